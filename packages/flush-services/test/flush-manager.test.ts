import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CommitRealTimeService } from "../src/commit-real-time-service.js";
import { FlushDiskWatcher } from "../src/flush-disk-watcher.js";
import { FlushManager } from "../src/flush-manager.js";
import { FlushRealTimeService } from "../src/flush-real-time-service.js";
import { GroupCommitService } from "../src/group-commit-service.js";
import { FakeFlushable } from "./fake-flushable.js";

async function stop(manager: FlushManager): Promise<void> {
  const stopping = manager.shutdown();
  await vi.advanceTimersByTimeAsync(20);
  await stopping;
}

describe("FlushManager", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("wires GroupCommitService and FlushDiskWatcher for SYNC_FLUSH", () => {
    const manager = new FlushManager(new FakeFlushable(), { flushDiskType: "SYNC_FLUSH" });
    expect(manager.flushService).toBeInstanceOf(GroupCommitService);
    expect(manager.flushDiskWatcher).toBeInstanceOf(FlushDiskWatcher);
    expect(manager.commitService).toBeNull();
  });

  it("wires FlushRealTimeService for ASYNC_FLUSH (the default)", () => {
    const manager = new FlushManager(new FakeFlushable());
    expect(manager.config.flushDiskType).toBe("ASYNC_FLUSH");
    expect(manager.flushService).toBeInstanceOf(FlushRealTimeService);
    expect(manager.flushDiskWatcher).toBeNull();
    expect(manager.commitService).toBeNull();
  });

  it("adds CommitRealTimeService for ASYNC_FLUSH with a pool", () => {
    const manager = new FlushManager(new FakeFlushable({ pool: true }), {
      transientStorePoolEnable: true,
    });
    expect(manager.flushService).toBeInstanceOf(FlushRealTimeService);
    expect(manager.commitService).toBeInstanceOf(CommitRealTimeService);
  });

  it("SYNC_FLUSH: resolves PUT_OK after the fdatasync, FLUSH_DISK_TIMEOUT at syncFlushTimeout", async () => {
    const queue = new FakeFlushable();
    const manager = new FlushManager(queue, {
      flushDiskType: "SYNC_FLUSH",
      syncFlushTimeout: 1000,
    });
    manager.start();
    expect(await manager.handleDiskFlush(queue.append(100), true)).toBe("PUT_OK");
    expect(queue.flushedWhere).toBe(100);
    const release = queue.stallFsyncs();
    const stalled = manager.handleDiskFlush(queue.append(100), true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await stalled).toBe("FLUSH_DISK_TIMEOUT");
    release();
    await stop(manager);
  });

  it("SYNC_FLUSH: an already flushed offset resolves at once", async () => {
    const queue = new FakeFlushable();
    const manager = new FlushManager(queue, { flushDiskType: "SYNC_FLUSH" });
    expect(await manager.handleDiskFlush(0, true)).toBe("PUT_OK");
  });

  it("SYNC_FLUSH without waitStoreMsgOK answers at once and still flushes", async () => {
    const queue = new FakeFlushable();
    const manager = new FlushManager(queue, {
      flushDiskType: "SYNC_FLUSH",
      groupCommitIntervalMs: 60_000,
    });
    manager.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(await manager.handleDiskFlush(queue.append(100), false)).toBe("PUT_OK");
    expect(queue.flushedWhere).toBe(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(queue.flushedWhere).toBe(100);
    await stop(manager);
  });

  it("SYNC_FLUSH with a pool: the group commit commits, so no put times out", async () => {
    const queue = new FakeFlushable({ pool: true });
    const manager = new FlushManager(queue, {
      flushDiskType: "SYNC_FLUSH",
      transientStorePoolEnable: true,
      syncFlushTimeout: 100,
    });
    manager.start();
    const statuses = await Promise.all(
      [100, 200, 300].map(() => manager.handleDiskFlush(queue.append(100), true)),
    );
    expect(statuses).toEqual(["PUT_OK", "PUT_OK", "PUT_OK"]);
    expect(manager.commitService).toBeNull();
    await stop(manager);
  });

  it("SYNC_FLUSH: shutdown leaves no request pending", async () => {
    const queue = new FakeFlushable();
    const manager = new FlushManager(queue, { flushDiskType: "SYNC_FLUSH" });
    manager.start();
    const futures = Array.from({ length: 50 }, () =>
      manager.handleDiskFlush(queue.append(100), true),
    );
    await stop(manager);
    const statuses = await Promise.all(futures);
    expect(statuses.every((s) => s === "PUT_OK")).toBe(true);
    expect(await manager.handleDiskFlush(queue.append(100), true)).toBe("FLUSH_DISK_TIMEOUT");
  });

  it("SYNC_FLUSH: rejects a bad offset with BAD_ARGUMENT", () => {
    const manager = new FlushManager(new FakeFlushable(), { flushDiskType: "SYNC_FLUSH" });
    expect(() => manager.handleDiskFlush(-1, true)).toThrow(
      expect.objectContaining({ code: "BAD_ARGUMENT" }),
    );
  });

  it("ASYNC_FLUSH: answers PUT_OK at once and flushes within the interval", async () => {
    const queue = new FakeFlushable();
    const manager = new FlushManager(queue, {
      flushIntervalCommitLog: 500,
      flushCommitLogLeastPages: 0,
    });
    manager.start();
    expect(await manager.handleDiskFlush(queue.append(100), true)).toBe("PUT_OK");
    expect(queue.flushedWhere).toBe(0);
    await vi.advanceTimersByTimeAsync(500);
    expect(queue.flushedWhere).toBe(100);
    await stop(manager);
  });

  it("ASYNC_FLUSH with a pool: a put wakes the commit, which wakes an untimed flush", async () => {
    const queue = new FakeFlushable({ pool: true });
    const manager = new FlushManager(queue, {
      transientStorePoolEnable: true,
      commitCommitLogLeastPages: 0,
      flushCommitLogTimed: false,
      flushCommitLogLeastPages: 0,
    });
    manager.start();
    await vi.advanceTimersByTimeAsync(0);
    await manager.handleDiskFlush(queue.append(100), true);
    await vi.advanceTimersByTimeAsync(0);
    expect(queue.committedWhere).toBe(100);
    expect(queue.flushedWhere).toBe(100);
    await stop(manager);
  });

  it("shutdown drains the commit service before the final flush", async () => {
    const queue = new FakeFlushable({ pool: true });
    const manager = new FlushManager(queue, {
      transientStorePoolEnable: true,
      commitIntervalCommitLog: 60_000,
      flushIntervalCommitLog: 60_000,
    });
    manager.start();
    await vi.advanceTimersByTimeAsync(0);
    queue.append(100);
    await stop(manager);
    expect(queue.committedWhere).toBe(100);
    expect(queue.flushedWhere).toBe(100);
  });

  it("wakeup() wakes the commit and flush services", async () => {
    const queue = new FakeFlushable();
    const manager = new FlushManager(queue, {
      flushCommitLogTimed: false,
      flushCommitLogLeastPages: 0,
    });
    manager.start();
    await vi.advanceTimersByTimeAsync(0);
    queue.append(100);
    manager.wakeup();
    await vi.advanceTimersByTimeAsync(0);
    expect(queue.flushedWhere).toBe(100);
    await stop(manager);
  });

  it("shutdown() twice returns the same promise; start() after it restarts", async () => {
    const queue = new FakeFlushable();
    const manager = new FlushManager(queue, { flushDiskType: "SYNC_FLUSH" });
    manager.start();
    const first = manager.shutdown();
    expect(manager.shutdown()).toBe(first);
    await vi.advanceTimersByTimeAsync(20);
    await first;
    manager.start();
    expect(await manager.handleDiskFlush(queue.append(100), true)).toBe("PUT_OK");
    await stop(manager);
  });
});
