import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FlushRealTimeService } from "../src/flush-real-time-service.js";
import { FakeFlushable } from "./fake-flushable.js";
import { captureLogger } from "./log-capture.js";

const PAGE = 4096;

describe("FlushRealTimeService", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_700_000_000_000);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("flushes once per interval, and a wakeup does not cut the timed sleep short", async () => {
    const queue = new FakeFlushable();
    const service = new FlushRealTimeService(queue, { flushIntervalMs: 500, leastPages: 0 });
    service.start();
    queue.append(100);
    service.wakeup();
    await vi.advanceTimersByTimeAsync(499);
    expect(queue.flushedWhere).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(queue.flushedWhere).toBe(100);
    await service.shutdown();
  });

  it("with timed=false a wakeup starts the round at once", async () => {
    const queue = new FakeFlushable();
    const service = new FlushRealTimeService(queue, {
      flushIntervalMs: 500,
      leastPages: 0,
      timed: false,
    });
    service.start();
    await vi.advanceTimersByTimeAsync(0);
    queue.append(100);
    service.wakeup();
    await vi.advanceTimersByTimeAsync(0);
    expect(queue.flushedWhere).toBe(100);
    await service.shutdown();
  });

  it("honours least-pages between thorough rounds and flushes everything on the thorough interval", async () => {
    const queue = new FakeFlushable({ fileSize: 1 << 20 });
    const service = new FlushRealTimeService(queue, {
      flushIntervalMs: 500,
      leastPages: 4,
      thoroughIntervalMs: 10_000,
    });
    service.start();
    await vi.advanceTimersByTimeAsync(500); // the first round is thorough (nothing to flush yet)
    queue.append(3 * PAGE + 10);
    await vi.advanceTimersByTimeAsync(5000);
    expect(queue.flushedWhere).toBe(0); // 3 pages: below the threshold
    queue.append(PAGE);
    await vi.advanceTimersByTimeAsync(500);
    expect(queue.flushedWhere).toBe(4 * PAGE + 10); // 4 pages: flushed
    queue.append(100);
    await vi.advanceTimersByTimeAsync(3000);
    expect(queue.flushedWhere).toBe(4 * PAGE + 10);
    await vi.advanceTimersByTimeAsync(1500); // 10 s after the first thorough round
    expect(queue.flushedWhere).toBe(4 * PAGE + 110);
    await service.shutdown();
  });

  it("finishes a file and flushes the next in one round", async () => {
    const queue = new FakeFlushable({ fileSize: 8 * PAGE });
    const service = new FlushRealTimeService(queue, { flushIntervalMs: 500, leastPages: 0 });
    service.start();
    queue.append(6 * PAGE);
    queue.append(6 * PAGE); // rolls into the second file
    await vi.advanceTimersByTimeAsync(500);
    expect(queue.flushedWhere).toBe(14 * PAGE);
    await service.shutdown();
  });

  it("with mappedFileSize, catches up in one round however many files are behind", async () => {
    const queue = new FakeFlushable({ fileSize: 8 * PAGE });
    const service = new FlushRealTimeService(queue, {
      flushIntervalMs: 500,
      leastPages: 4,
      mappedFileSize: 8 * PAGE,
    });
    service.start();
    await vi.advanceTimersByTimeAsync(500); // the first (thorough) round: nothing yet
    for (let i = 0; i < 5; i++) queue.append(7 * PAGE); // five files, each closed by a roll-over
    await vi.advanceTimersByTimeAsync(500);
    expect(queue.flushedWhere).toBe(4 * 8 * PAGE + 7 * PAGE);
    expect(queue.calls.fsyncs).toBe(5);
    await service.shutdown();
  });

  it("with mappedFileSize, flushes a file as soon as it is complete instead of at the next interval", async () => {
    const queue = new FakeFlushable({ fileSize: 8 * PAGE });
    const service = new FlushRealTimeService(queue, {
      flushIntervalMs: 500,
      leastPages: 4,
      mappedFileSize: 8 * PAGE,
    });
    service.start();
    await vi.advanceTimersByTimeAsync(500); // the first (thorough) round: nothing yet
    queue.append(5 * PAGE);
    service.wakeup(); // part of a file: the timed sleep goes on
    await vi.advanceTimersByTimeAsync(100);
    expect(queue.flushedWhere).toBe(0);
    queue.append(5 * PAGE); // rolls over: the first file is complete
    service.wakeup();
    await vi.advanceTimersByTimeAsync(0);
    expect(queue.flushedWhere).toBe(13 * PAGE); // the full file, then what the next holds (>= 4 pages)
    expect(queue.calls.fsyncs).toBe(2);
    await service.shutdown();
  });

  it("with mappedFileSize, a file completed during a round is flushed right after it, without a wakeup", async () => {
    const queue = new FakeFlushable({ fileSize: 8 * PAGE });
    const service = new FlushRealTimeService(queue, {
      flushIntervalMs: 500,
      leastPages: 4,
      mappedFileSize: 8 * PAGE,
    });
    service.start();
    await vi.advanceTimersByTimeAsync(500);
    queue.append(5 * PAGE);
    const release = queue.stallFsyncs();
    await vi.advanceTimersByTimeAsync(500); // a round starts and waits on its fdatasync
    queue.append(5 * PAGE); // meanwhile the file fills and the next one starts
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(queue.flushedWhere).toBe(13 * PAGE);
    await service.shutdown();
  });

  it("does not spin on a complete file whose flush keeps failing", async () => {
    const queue = new FakeFlushable({ fileSize: 8 * PAGE });
    const service = new FlushRealTimeService(queue, {
      flushIntervalMs: 500,
      leastPages: 4,
      mappedFileSize: 8 * PAGE,
      logger: captureLogger().logger,
    });
    service.start();
    await vi.advanceTimersByTimeAsync(500);
    queue.append(5 * PAGE);
    queue.append(5 * PAGE);
    queue.failOn("flush", "IO_ERROR", 1000);
    await vi.advanceTimersByTimeAsync(2000);
    expect(queue.calls.flush).toBeLessThanOrEqual(5); // one call per interval, not a busy loop
    queue.heal();
    await vi.advanceTimersByTimeAsync(500);
    expect(queue.flushedWhere).toBe(13 * PAGE);
    await service.shutdown();
  });

  it("logs a failed flush, keeps running, and flushes on a later round", async () => {
    const queue = new FakeFlushable();
    const { logger, errors, entries } = captureLogger();
    const service = new FlushRealTimeService(queue, {
      flushIntervalMs: 500,
      leastPages: 0,
      logger,
    });
    service.start();
    queue.append(100);
    queue.failOn("flush", "DISK_FULL", 2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(queue.flushedWhere).toBe(0);
    expect(errors()).toHaveLength(1); // the second failure within a second is only counted
    expect(errors()[0]).toMatchObject({ code: "DISK_FULL", service: "FlushRealTimeService" });
    await vi.advanceTimersByTimeAsync(500);
    expect(queue.flushedWhere).toBe(100);
    expect(service.isStopped).toBe(false);
    expect(service.lastError).toBeNull();
    expect(entries.filter((e) => e.msg === "FlushRealTimeService recovered")).toHaveLength(1);
    await service.shutdown();
  });

  it("on shutdown flushes everything, file after file, up to RETRY_TIMES_OVER calls", async () => {
    const queue = new FakeFlushable({ fileSize: 2 * PAGE });
    const service = new FlushRealTimeService(queue, { flushIntervalMs: 60_000 });
    service.start();
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 30; i++) queue.append(PAGE); // 15 files
    await service.shutdown(); // cuts the sleep short; no round ran
    expect(queue.calls.flush).toBe(10);
    expect(queue.flushedWhere).toBe(20 * PAGE);
  });

  it("stops the final flush at the first call without progress", async () => {
    const queue = new FakeFlushable();
    const service = new FlushRealTimeService(queue, { flushIntervalMs: 60_000 });
    service.start();
    queue.append(100);
    await service.shutdown();
    expect(queue.calls.flush).toBe(2);
    expect(queue.flushedWhere).toBe(100);
  });

  it("reports the store timestamp of full flushes", async () => {
    const queue = new FakeFlushable();
    const onFlushed = vi.fn();
    const service = new FlushRealTimeService(queue, { flushIntervalMs: 500, onFlushed });
    service.start();
    queue.append(100);
    await vi.advanceTimersByTimeAsync(500); // first round is thorough
    expect(onFlushed).toHaveBeenCalledWith(1_700_000_000_000);
    await service.shutdown();
  });
});
