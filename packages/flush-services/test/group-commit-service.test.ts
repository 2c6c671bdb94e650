import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FlushDiskWatcher } from "../src/flush-disk-watcher.js";
import { GroupCommitRequest } from "../src/group-commit-request.js";
import { GroupCommitService } from "../src/group-commit-service.js";
import { FakeFlushable } from "./fake-flushable.js";

/** Shutdown under fake timers: the drain waits its grace on a timer. */
async function stop(service: { shutdown(): Promise<void> }): Promise<void> {
  const stopping = service.shutdown();
  await vi.advanceTimersByTimeAsync(20);
  await stopping;
}

function put(
  service: GroupCommitService,
  queue: FakeFlushable,
  bytes: number,
  timeoutMs = 5000,
  watcher?: FlushDiskWatcher,
): GroupCommitRequest {
  const request = new GroupCommitRequest(queue.append(bytes), timeoutMs);
  watcher?.add(request);
  service.putRequest(request);
  return request;
}

describe("GroupCommitService", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("serves 256 requests issued in one tick with one fdatasync", async () => {
    const queue = new FakeFlushable({ fileSize: 1 << 20 });
    const service = new GroupCommitService(queue);
    service.start();
    await vi.advanceTimersByTimeAsync(0);
    const requests = Array.from({ length: 256 }, () => put(service, queue, 1024));
    const statuses = await Promise.all(requests.map((r) => r.future));
    expect(new Set(statuses)).toEqual(new Set(["PUT_OK"]));
    expect(queue.calls.fsyncs).toBe(1);
    await stop(service);
  });

  it("answers without waiting for a timer: a put wakes the loop at once", async () => {
    const queue = new FakeFlushable();
    const service = new GroupCommitService(queue, { idleIntervalMs: 60_000 });
    service.start();
    await vi.advanceTimersByTimeAsync(0);
    const request = put(service, queue, 100);
    for (let i = 0; i < 20 && !request.isDone; i++) await Promise.resolve();
    expect(request.status).toBe("PUT_OK"); // no fake time passed
    await stop(service);
  });

  it("never resolves PUT_OK before the covering fdatasync completed", async () => {
    const queue = new FakeFlushable();
    const service = new GroupCommitService(queue);
    service.start();
    const release = queue.stallFsyncs();
    const first = put(service, queue, 100);
    await vi.advanceTimersByTimeAsync(50);
    expect(queue.fsyncsInFlight).toBe(1);
    const second = put(service, queue, 100); // arrives during the fdatasync: next batch
    await vi.advanceTimersByTimeAsync(1000);
    expect(first.isDone).toBe(false);
    expect(second.isDone).toBe(false);
    release();
    expect(await first.future).toBe("PUT_OK");
    expect(await second.future).toBe("PUT_OK");
    expect(queue.fsyncCovered).toEqual([100, 200]); // the first fdatasync did not cover the second
    await stop(service);
  });

  it("completes requests an earlier fdatasync covered without waiting for the next one", async () => {
    const queue = new FakeFlushable();
    const service = new GroupCommitService(queue);
    service.start();
    await vi.advanceTimersByTimeAsync(0);
    const first = put(service, queue, 100);
    const coveredOffset = queue.append(100); // appended before the first fdatasync starts: covered by it
    await vi.advanceTimersByTimeAsync(0);
    expect(first.status).toBe("PUT_OK");
    expect(queue.flushedWhere).toBe(coveredOffset);
    const release = queue.stallFsyncs();
    const covered = new GroupCommitRequest(coveredOffset, 5000); // its request comes late
    const uncovered = put(service, queue, 100);
    service.putRequest(covered);
    await vi.advanceTimersByTimeAsync(0);
    expect(queue.fsyncsInFlight).toBe(1);
    expect(covered.status).toBe("PUT_OK");
    expect(uncovered.isDone).toBe(false);
    release();
    expect(await uncovered.future).toBe("PUT_OK");
    await stop(service);
  });

  it("flushes file by file until a request in the next file is covered", async () => {
    const queue = new FakeFlushable({ fileSize: 8192 });
    const service = new GroupCommitService(queue);
    const requests = [
      put(service, queue, 6000),
      put(service, queue, 6000),
      put(service, queue, 6000),
    ];
    service.start();
    const statuses = await Promise.all(requests.map((r) => r.future));
    expect(statuses).toEqual(["PUT_OK", "PUT_OK", "PUT_OK"]);
    expect(queue.flushedWhere).toBe(16384 + 6000);
    await stop(service);
  });

  it("with commitBeforeFlush commits pool bytes itself, so a pooled SYNC put never times out", async () => {
    const queue = new FakeFlushable({ pool: true, fileSize: 8192 });
    const service = new GroupCommitService(queue, { commitBeforeFlush: true });
    service.start();
    const requests = [put(service, queue, 5000), put(service, queue, 5000)];
    expect(await Promise.all(requests.map((r) => r.future))).toEqual(["PUT_OK", "PUT_OK"]);
    expect(queue.committedWhere).toBe(8192 + 5000);
    await stop(service);
  });

  it("without commitBeforeFlush a pooled put waits for someone else's commit", async () => {
    const queue = new FakeFlushable({ pool: true });
    const service = new GroupCommitService(queue);
    const watcher = new FlushDiskWatcher();
    service.start();
    watcher.start();
    const request = put(service, queue, 100, 1000, watcher);
    await vi.advanceTimersByTimeAsync(500);
    expect(request.isDone).toBe(false);
    await queue.commit(0);
    await vi.advanceTimersByTimeAsync(10); // the idle round picks it up
    expect(request.status).toBe("PUT_OK");
    await stop(service);
    await watcher.shutdown();
  });

  it("keeps requests across a failed flush and serves them on the next round", async () => {
    const queue = new FakeFlushable();
    const service = new GroupCommitService(queue);
    service.start();
    queue.failOn("flush", "IO_ERROR", 3);
    const request = put(service, queue, 100);
    await vi.advanceTimersByTimeAsync(0);
    expect(request.isDone).toBe(false);
    expect(service.pendingRequests).toBe(1);
    await vi.advanceTimersByTimeAsync(30);
    expect(request.status).toBe("PUT_OK");
    expect(queue.calls.flush).toBe(4);
    await stop(service);
  });

  it("gives FLUSH_DISK_TIMEOUT at the deadline while the disk fails, and recovers when it heals", async () => {
    const queue = new FakeFlushable();
    const service = new GroupCommitService(queue);
    const watcher = new FlushDiskWatcher();
    service.start();
    watcher.start();
    queue.failOn("flush", "DISK_FULL", Number.POSITIVE_INFINITY);
    const doomed = put(service, queue, 100, 300, watcher);
    await vi.advanceTimersByTimeAsync(299);
    expect(doomed.isDone).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(doomed.status).toBe("FLUSH_DISK_TIMEOUT");
    const flushCalls = queue.calls.flush;
    expect(flushCalls).toBeLessThan(40); // one try per 10 ms round, not a spin
    queue.heal();
    const later = put(service, queue, 100, 300, watcher);
    await vi.advanceTimersByTimeAsync(0);
    expect(later.status).toBe("PUT_OK");
    await stop(service);
    await watcher.shutdown();
  });

  it("gives FLUSH_DISK_TIMEOUT at the deadline on a stalled disk and recovers when it returns", async () => {
    const queue = new FakeFlushable();
    const service = new GroupCommitService(queue);
    const watcher = new FlushDiskWatcher();
    service.start();
    watcher.start();
    const release = queue.stallFsyncs();
    const stuck = [put(service, queue, 100, 500, watcher), put(service, queue, 100, 500, watcher)];
    await vi.advanceTimersByTimeAsync(500);
    expect(stuck.map((r) => r.status)).toEqual(["FLUSH_DISK_TIMEOUT", "FLUSH_DISK_TIMEOUT"]);
    release();
    const fresh = put(service, queue, 100, 500, watcher);
    await vi.advanceTimersByTimeAsync(0);
    expect(fresh.status).toBe("PUT_OK");
    expect(queue.flushedWhere).toBe(300);
    await stop(service);
    await watcher.shutdown();
  });

  it("a wakeup without requests still flushes (WAIT=false puts)", async () => {
    const queue = new FakeFlushable();
    const service = new GroupCommitService(queue, { idleIntervalMs: 60_000 });
    service.start();
    await vi.advanceTimersByTimeAsync(0);
    queue.append(100);
    service.wakeup();
    await vi.advanceTimersByTimeAsync(0);
    expect(queue.flushedWhere).toBe(100);
    await stop(service);
  });

  it("shutdown serves late requests and leaves none pending", async () => {
    const queue = new FakeFlushable();
    const service = new GroupCommitService(queue);
    service.start();
    await vi.advanceTimersByTimeAsync(0);
    const early = put(service, queue, 100);
    const stopping = service.shutdown();
    const late = put(service, queue, 100); // during the shutdown grace
    await vi.advanceTimersByTimeAsync(10);
    await stopping;
    expect([early.status, late.status]).toEqual(["PUT_OK", "PUT_OK"]);
    expect(service.pendingRequests).toBe(0);
  });

  it("shutdown completes FLUSH_DISK_TIMEOUT what the disk will not take", async () => {
    const queue = new FakeFlushable();
    const service = new GroupCommitService(queue);
    service.start();
    queue.failOn("flush", "IO_ERROR", Number.POSITIVE_INFINITY);
    const request = put(service, queue, 100);
    await stop(service);
    expect(request.status).toBe("FLUSH_DISK_TIMEOUT");
  });

  it("after shutdown, a request completes at once from the flushed position", async () => {
    const queue = new FakeFlushable();
    const service = new GroupCommitService(queue);
    service.start();
    const flushed = put(service, queue, 100);
    await vi.advanceTimersByTimeAsync(0);
    await stop(service);
    const covered = new GroupCommitRequest(flushed.nextOffset, 5000);
    service.putRequest(covered);
    const notCovered = new GroupCommitRequest(queue.append(100), 5000);
    service.putRequest(notCovered);
    expect([covered.status, notCovered.status]).toEqual(["PUT_OK", "FLUSH_DISK_TIMEOUT"]);
  });

  it("serves requests queued before start, and again after a restart", async () => {
    const queue = new FakeFlushable();
    const service = new GroupCommitService(queue);
    const before = put(service, queue, 100);
    service.start();
    expect(await before.future).toBe("PUT_OK");
    await stop(service);
    service.start();
    const after = put(service, queue, 100);
    expect(await after.future).toBe("PUT_OK");
    await vi.advanceTimersByTimeAsync(10);
    await stop(service);
  });

  it("reports the store timestamp after a batch", async () => {
    const queue = new FakeFlushable();
    const onFlushed = vi.fn();
    const service = new GroupCommitService(queue, { onFlushed });
    service.start();
    vi.setSystemTime(1_700_000_000_000);
    await put(service, queue, 100).future;
    expect(onFlushed).toHaveBeenCalledWith(1_700_000_000_000);
    await vi.advanceTimersByTimeAsync(100); // idle rounds: no repeat for an unchanged timestamp
    expect(onFlushed).toHaveBeenCalledTimes(1);
    await stop(service);
  });

  it("skips requests the watcher already timed out", async () => {
    const queue = new FakeFlushable();
    const service = new GroupCommitService(queue);
    const request = put(service, queue, 100);
    request.wakeupCustomer("FLUSH_DISK_TIMEOUT");
    service.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(service.pendingRequests).toBe(0);
    expect(request.status).toBe("FLUSH_DISK_TIMEOUT");
    await stop(service);
  });
});

/** Until the fake disk has an fdatasync in flight (one turn of the event loop at a time). */
async function untilFsyncInFlight(queue: FakeFlushable): Promise<void> {
  while (queue.fsyncsInFlight === 0) await new Promise((resolve) => setImmediate(resolve));
}

describe("GroupCommitService landing", () => {
  it("acknowledges the landed batch first; the fdatasync for what arrived meanwhile follows the acks", async () => {
    const queue = new FakeFlushable();
    const service = new GroupCommitService(queue);
    service.start();
    const release = queue.stallFsyncs();
    const landed = [put(service, queue, 100), put(service, queue, 100)];
    await untilFsyncInFlight(queue);
    const waiting = put(service, queue, 100);
    const fsyncsStartedAtAcks: number[] = [];
    const acked = landed.map((request) =>
      request.future.then(() => fsyncsStartedAtAcks.push(queue.fsyncStarted.length)),
    );
    release();
    await Promise.all(acked);
    expect(await waiting.future).toBe("PUT_OK");
    await service.shutdown();
    expect(fsyncsStartedAtAcks).toEqual([1, 1]);
    expect(queue.fsyncCovered).toEqual([200, 300]);
  });
});
