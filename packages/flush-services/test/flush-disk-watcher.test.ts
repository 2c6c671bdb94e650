import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FlushDiskWatcher } from "../src/flush-disk-watcher.js";
import { GroupCommitRequest } from "../src/group-commit-request.js";

describe("FlushDiskWatcher", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  // RocketMQ FlushDiskWatcherTest.testTimeout, with a 500 ms timeout instead of 5000.
  it("times out every request at its deadline; a later PUT_OK does not overwrite it", async () => {
    const watcher = new FlushDiskWatcher();
    watcher.start();
    const requests = Array.from({ length: 100 }, () => new GroupCommitRequest(0, 500));
    for (const request of requests) watcher.add(request);
    await vi.advanceTimersByTimeAsync(1000);
    for (const request of requests) request.wakeupCustomer("PUT_OK");
    const statuses = await Promise.all(requests.map((r) => r.future));
    expect(new Set(statuses)).toEqual(new Set(["FLUSH_DISK_TIMEOUT"]));
    expect(watcher.queueSize()).toBe(0);
    await watcher.shutdown();
  });

  // RocketMQ FlushDiskWatcherTest.testWatcher, shortened the same way.
  it("leaves requests completed in time alone", async () => {
    const watcher = new FlushDiskWatcher();
    watcher.start();
    const requests = Array.from({ length: 100 }, () => new GroupCommitRequest(0, 500));
    for (const request of requests) {
      watcher.add(request);
      request.wakeupCustomer("PUT_OK");
    }
    await vi.advanceTimersByTimeAsync(Math.ceil((500 << 20) / 1e6));
    const statuses = await Promise.all(requests.map((r) => r.future));
    expect(new Set(statuses)).toEqual(new Set(["PUT_OK"]));
    expect(watcher.queueSize()).toBe(0);
    await watcher.shutdown();
  });

  it("does not time a request out before its deadline", async () => {
    const watcher = new FlushDiskWatcher();
    watcher.start();
    const request = new GroupCommitRequest(0, 200);
    watcher.add(request);
    await vi.advanceTimersByTimeAsync(199);
    expect(request.isDone).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(request.status).toBe("FLUSH_DISK_TIMEOUT");
    await watcher.shutdown();
  });

  it("uses one timer for many pending requests, not one per request or a poll", async () => {
    const watcher = new FlushDiskWatcher();
    watcher.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(0); // idle: no timer at all
    const requests: GroupCommitRequest[] = [];
    for (let i = 0; i < 1000; i++) {
      const request = new GroupCommitRequest(i, 5000);
      requests.push(request);
      watcher.add(request);
      if (i % 100 === 0) await vi.advanceTimersByTimeAsync(10);
    }
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(1);
    expect(watcher.queueSize()).toBe(1000);
    const spy = vi.spyOn(globalThis, "setTimeout");
    await vi.advanceTimersByTimeAsync(4000);
    expect(spy).not.toHaveBeenCalled(); // nothing was due: the loop slept through
    spy.mockRestore();
    for (const request of requests) request.wakeupCustomer("PUT_OK");
    await watcher.shutdown();
  });

  it("times out a later request with an earlier deadline first", async () => {
    const watcher = new FlushDiskWatcher();
    watcher.start();
    const slow = new GroupCommitRequest(0, 5000);
    watcher.add(slow);
    await vi.advanceTimersByTimeAsync(10);
    const fast = new GroupCommitRequest(0, 100);
    watcher.add(fast);
    await vi.advanceTimersByTimeAsync(100);
    expect(fast.status).toBe("FLUSH_DISK_TIMEOUT");
    expect(slow.isDone).toBe(false);
    await vi.advanceTimersByTimeAsync(4890);
    expect(slow.status).toBe("FLUSH_DISK_TIMEOUT");
    await watcher.shutdown();
  });

  it("completes what it still watches with FLUSH_DISK_TIMEOUT when it stops", async () => {
    const watcher = new FlushDiskWatcher();
    watcher.start();
    const request = new GroupCommitRequest(0, 60_000);
    watcher.add(request);
    await watcher.shutdown();
    expect(await request.future).toBe("FLUSH_DISK_TIMEOUT");
  });

  it("watches requests added before start", async () => {
    const watcher = new FlushDiskWatcher();
    const request = new GroupCommitRequest(0, 100);
    watcher.add(request);
    watcher.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(request.status).toBe("FLUSH_DISK_TIMEOUT");
    await watcher.shutdown();
  });
});

describe("GroupCommitRequest", () => {
  it("keeps the first completion", async () => {
    const request = new GroupCommitRequest(10, 1000);
    expect(request.wakeupCustomer("FLUSH_DISK_TIMEOUT")).toBe(true);
    expect(request.wakeupCustomer("PUT_OK")).toBe(false);
    expect(await request.future).toBe("FLUSH_DISK_TIMEOUT");
    expect(request.status).toBe("FLUSH_DISK_TIMEOUT");
  });

  it("rejects a bad offset or timeout with BAD_ARGUMENT", () => {
    for (const [offset, timeout] of [
      [-1, 1000],
      [1.5, 1000],
      [Number.NaN, 1000],
      [0, 0],
      [0, -1],
      [0, Number.POSITIVE_INFINITY],
    ] as const) {
      expect(() => new GroupCommitRequest(offset, timeout)).toThrow(
        expect.objectContaining({ code: "BAD_ARGUMENT" }),
      );
    }
  });
});
