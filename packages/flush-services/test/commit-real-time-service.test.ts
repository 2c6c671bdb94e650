import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CommitRealTimeService } from "../src/commit-real-time-service.js";
import { FakeFlushable } from "./fake-flushable.js";

const PAGE = 4096;

describe("CommitRealTimeService", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_700_000_000_000);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("wakes the flush service, and tells onCommitted, only after a commit advanced", async () => {
    const queue = new FakeFlushable({ pool: true });
    const flushService = { wakeup: vi.fn() };
    const onCommitted = vi.fn(() => {
      expect(queue.committedWhere).toBe(100); // told once the bytes are readable
    });
    const service = new CommitRealTimeService(queue, {
      commitIntervalMs: 200,
      leastPages: 0,
      flushService,
      onCommitted,
    });
    service.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(queue.calls.commit).toBeGreaterThanOrEqual(5);
    expect(flushService.wakeup).not.toHaveBeenCalled(); // rounds without progress
    expect(onCommitted).not.toHaveBeenCalled();
    queue.append(100);
    service.wakeup();
    await vi.advanceTimersByTimeAsync(0);
    expect(queue.committedWhere).toBe(100);
    expect(flushService.wakeup).toHaveBeenCalledTimes(1);
    expect(onCommitted).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(flushService.wakeup).toHaveBeenCalledTimes(1);
    expect(onCommitted).toHaveBeenCalledTimes(1);
    await service.shutdown();
  });

  it("honours least-pages, committing a smaller tail once the thorough interval passed without a commit", async () => {
    const queue = new FakeFlushable({ pool: true, fileSize: 1 << 20 });
    const service = new CommitRealTimeService(queue, {
      commitIntervalMs: 200,
      leastPages: 4,
      thoroughIntervalMs: 1000,
    });
    service.start();
    await vi.advanceTimersByTimeAsync(0); // first round: thorough, nothing pending
    queue.append(4 * PAGE);
    await vi.advanceTimersByTimeAsync(200);
    expect(queue.committedWhere).toBe(4 * PAGE); // 4 pages: committed at once
    queue.append(100);
    await vi.advanceTimersByTimeAsync(800);
    expect(queue.committedWhere).toBe(4 * PAGE); // tail below the threshold waits
    await vi.advanceTimersByTimeAsync(400);
    expect(queue.committedWhere).toBe(4 * PAGE + 100);
    await service.shutdown();
  });

  it("drains everything on shutdown, file after file", async () => {
    const queue = new FakeFlushable({ pool: true, fileSize: 2 * PAGE });
    const flushService = { wakeup: vi.fn() };
    const service = new CommitRealTimeService(queue, { commitIntervalMs: 60_000, flushService });
    service.start();
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 7; i++) queue.append(PAGE);
    await service.shutdown();
    expect(queue.committedWhere).toBe(7 * PAGE);
    expect(flushService.wakeup).toHaveBeenCalled();
  });

  it("survives failing commits without spinning, and commits once the disk heals", async () => {
    const queue = new FakeFlushable({ pool: true });
    const service = new CommitRealTimeService(queue, { commitIntervalMs: 200 });
    service.start();
    queue.append(100);
    queue.failOn("commit", "DISK_FULL", Number.POSITIVE_INFINITY);
    await vi.advanceTimersByTimeAsync(1000);
    expect(queue.calls.commit).toBeLessThanOrEqual(6); // one try per interval
    queue.heal();
    await vi.advanceTimersByTimeAsync(200);
    expect(queue.committedWhere).toBe(100);
    await service.shutdown();
  });
});
