// The services over the real MappedFileQueue on SimulatedDisk: batching, stalls, failures, shutdown.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { FlushConfigInput } from "../src/flush-config.js";
import { FlushManager } from "../src/flush-manager.js";
import type { FlushStatus } from "../src/types.js";
import { captureLogger } from "./log-capture.js";
import type { SimStore } from "./sim-store.js";
import { appendRecord, holds, recordBytes, simStore } from "./sim-store.js";

const PAGE = 4096;

/** Lets pending microtasks and zero-delay work run under fake timers. */
async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

async function stop(manager: FlushManager): Promise<void> {
  const stopping = manager.shutdown();
  await vi.advanceTimersByTimeAsync(50);
  await stopping;
}

function start(
  store: SimStore,
  config: FlushConfigInput,
  onFlushed?: (t: number) => void,
): FlushManager {
  const manager = new FlushManager(store.queue, config, onFlushed ? { onFlushed } : {});
  manager.start();
  return manager;
}

describe("FlushManager over MappedFileQueue on SimulatedDisk", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_700_000_000_000);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("SYNC_FLUSH: 256 requests issued in one tick are served by a handful of fdatasyncs", async () => {
    const store = simStore({ fileSize: 1 << 20 });
    const manager = start(store, { flushDiskType: "SYNC_FLUSH" });
    const file = await store.queue.getLastMappedFile(0);
    if (file === null) throw new Error("no file");
    const before = store.disk.counters.fsyncs;
    const futures: Promise<FlushStatus>[] = [];
    for (let i = 0; i < 256; i++) {
      expect(file.appendMessage(recordBytes(i, 1024))).toBe(true);
      futures.push(manager.handleDiskFlush(file.fileFromOffset + file.wrotePosition, true));
    }
    const statuses = await Promise.all(futures);
    expect(statuses.filter((s) => s === "PUT_OK")).toHaveLength(256);
    expect(store.disk.counters.fsyncs - before).toBeLessThanOrEqual(2);
    await stop(manager);
  });

  it("SYNC_FLUSH: never resolves PUT_OK before a completed fdatasync covered the request", async () => {
    const store = simStore({ fileSize: 16 * PAGE });
    const manager = start(store, { flushDiskType: "SYNC_FLUSH" });
    await appendRecord(store, recordBytes(0, 10)); // creates the file before the stall
    const release = store.disk.stallFsyncs();
    const acks: { from: number; to: number; durableAtAck: boolean }[] = [];
    const pending: Promise<void>[] = [];
    for (let i = 1; i <= 20; i++) {
      const next = await appendRecord(store, recordBytes(i, 1000));
      if (next === null) throw new Error("append failed");
      pending.push(
        manager.handleDiskFlush(next, true).then((status) => {
          expect(status).toBe("PUT_OK");
          acks.push({
            from: next - 1000,
            to: next,
            durableAtAck: holds(store, next - 1000, next, "durable"),
          });
        }),
      );
      await settle();
    }
    await vi.advanceTimersByTimeAsync(1000);
    expect(acks).toEqual([]);
    expect(store.disk.unsyncedWrites).toBeGreaterThan(0);
    release();
    await Promise.all(pending);
    expect(acks).toHaveLength(20);
    expect(acks.every((a) => a.durableAtAck)).toBe(true);
    await stop(manager);
  });

  it("SYNC_FLUSH: a stalled disk gives FLUSH_DISK_TIMEOUT at the deadline; the service recovers with the disk", async () => {
    const store = simStore({ fileSize: 16 * PAGE });
    const manager = start(store, { flushDiskType: "SYNC_FLUSH", syncFlushTimeout: 1000 });
    await appendRecord(store, recordBytes(0, 10));
    const release = store.disk.stallFsyncs();
    const stalled = manager.handleDiskFlush(
      (await appendRecord(store, recordBytes(1, 100))) ?? -1,
      true,
    );
    let status: FlushStatus | null = null;
    void stalled.then((s) => (status = s));
    await vi.advanceTimersByTimeAsync(999);
    expect(status).toBeNull();
    await vi.advanceTimersByTimeAsync(1);
    expect(status).toBe("FLUSH_DISK_TIMEOUT");
    release();
    const next = await appendRecord(store, recordBytes(2, 100));
    expect(await manager.handleDiskFlush(next ?? -1, true)).toBe("PUT_OK");
    expect(holds(store, 0, next ?? 0, "durable")).toBe(true); // the timed-out message is durable now too
    await stop(manager);
  });

  it("SYNC_FLUSH: a failed fdatasync (ENOSPC) logs DISK_FULL and times requests out at their deadline, for good", async () => {
    const store = simStore({ fileSize: 16 * PAGE });
    const { logger, errors } = captureLogger();
    const manager = new FlushManager(
      store.queue,
      { flushDiskType: "SYNC_FLUSH", syncFlushTimeout: 500 },
      { logger },
    );
    manager.start();
    await appendRecord(store, recordBytes(0, 10));
    store.disk.failOn("fsync", "ENOSPC");
    const failing = manager.handleDiskFlush(
      (await appendRecord(store, recordBytes(1, 100))) ?? -1,
      true,
    );
    await vi.advanceTimersByTimeAsync(499);
    let status: FlushStatus | null = null;
    void failing.then((s) => (status = s));
    await settle();
    expect(status).toBeNull();
    await vi.advanceTimersByTimeAsync(1);
    expect(status).toBe("FLUSH_DISK_TIMEOUT");
    expect(errors()[0]).toMatchObject({ code: "DISK_FULL", service: "GroupCommitService" });
    expect(errors().length).toBeLessThanOrEqual(2); // a try per 10 ms round, logged at most once a second
    expect(manager.flushService.lastError).toMatchObject({ code: "DISK_FULL" });
    // The fault is gone, but the pages that fsync covered may never reach the disk: MappedFile refuses
    // to flush the file again, so nothing in it is ever acknowledged (recovery after a restart decides).
    const next = await appendRecord(store, recordBytes(2, 100));
    const later = manager.handleDiskFlush(next ?? -1, true);
    await vi.advanceTimersByTimeAsync(500);
    expect(await later).toBe("FLUSH_DISK_TIMEOUT");
    expect(manager.flushService.isStopped).toBe(false);
    await stop(manager);
  });

  it("SYNC_FLUSH with a pool: a failed commit (ENOSPC) times out at the deadline and recovers when space returns", async () => {
    const store = simStore({ fileSize: 16 * PAGE, pool: true });
    const manager = start(store, {
      flushDiskType: "SYNC_FLUSH",
      transientStorePoolEnable: true,
      syncFlushTimeout: 300,
    });
    await appendRecord(store, recordBytes(0, 10));
    store.disk.failOn("write", "ENOSPC", { times: Number.POSITIVE_INFINITY });
    const failing = manager.handleDiskFlush(
      (await appendRecord(store, recordBytes(1, 100))) ?? -1,
      true,
    );
    await vi.advanceTimersByTimeAsync(300);
    expect(await failing).toBe("FLUSH_DISK_TIMEOUT");
    expect(manager.flushService.lastError).toMatchObject({ code: "DISK_FULL" });
    store.disk.heal();
    const next = await appendRecord(store, recordBytes(2, 100));
    expect(await manager.handleDiskFlush(next ?? -1, true)).toBe("PUT_OK");
    expect(holds(store, 0, next ?? 0, "durable")).toBe(true);
    await settle();
    expect(manager.flushService.lastError).toBeNull();
    await stop(manager);
  });

  it("SYNC_FLUSH: shutdown resolves every pending request, even while the disk is stalled", async () => {
    const store = simStore({ fileSize: 16 * PAGE });
    const manager = start(store, {
      flushDiskType: "SYNC_FLUSH",
      syncFlushTimeout: 60_000,
      serviceJoinTimeMs: 200,
    });
    await appendRecord(store, recordBytes(0, 10));
    const release = store.disk.stallFsyncs();
    const futures: Promise<FlushStatus>[] = [];
    for (let i = 1; i <= 10; i++)
      futures.push(
        manager.handleDiskFlush((await appendRecord(store, recordBytes(i, 100))) ?? -1, true),
      );
    const stopping = manager.shutdown();
    await vi.advanceTimersByTimeAsync(200);
    await stopping;
    const statuses = await Promise.all(futures);
    expect(new Set(statuses)).toEqual(new Set(["FLUSH_DISK_TIMEOUT"]));
    release();
    await settle();
  });

  it("SYNC_FLUSH with a pool: puts are committed and flushed by the group commit alone", async () => {
    const store = simStore({ fileSize: 4 * PAGE, pool: true });
    const manager = start(store, {
      flushDiskType: "SYNC_FLUSH",
      transientStorePoolEnable: true,
      syncFlushTimeout: 100,
    });
    let last = 0;
    for (let i = 0; i < 20; i++) {
      last = (await appendRecord(store, recordBytes(i, 1500))) ?? -1;
      expect(await manager.handleDiskFlush(last, true)).toBe("PUT_OK");
    }
    expect(holds(store, 0, last, "durable")).toBe(true);
    await stop(manager);
  });

  it("ASYNC_FLUSH: honours least-pages between rounds and flushes the rest on the thorough interval", async () => {
    const store = simStore({ fileSize: 64 * PAGE });
    const onFlushed = vi.fn();
    const manager = start(
      store,
      {
        flushIntervalCommitLog: 500,
        flushCommitLogLeastPages: 4,
        flushCommitLogThoroughInterval: 10_000,
      },
      onFlushed,
    );
    await appendRecord(store, recordBytes(0, 10)); // file creation syncs too: count from here
    await vi.advanceTimersByTimeAsync(500); // first round: thorough, flushes the 10 bytes
    const baseline = store.disk.counters.fsyncs;
    expect(onFlushed).toHaveBeenCalledWith(1_700_000_000_000);
    await appendRecord(store, recordBytes(1, 3 * PAGE));
    await vi.advanceTimersByTimeAsync(3000);
    expect(store.disk.counters.fsyncs).toBe(baseline); // 3 dirty pages: below the threshold
    await appendRecord(store, recordBytes(2, PAGE));
    await vi.advanceTimersByTimeAsync(500);
    expect(store.disk.counters.fsyncs).toBe(baseline + 1);
    const lastRecord = await appendRecord(store, recordBytes(3, 100));
    await vi.advanceTimersByTimeAsync(4000);
    expect(store.queue.flushedWhere).toBeLessThan(lastRecord ?? 0);
    await vi.advanceTimersByTimeAsync(2500); // 10 s after the first thorough round
    expect(store.queue.flushedWhere).toBe(lastRecord);
    expect(holds(store, 0, lastRecord ?? 0, "durable")).toBe(true);
    await stop(manager);
  });

  for (const pool of [false, true]) {
    it(`ASYNC_FLUSH${pool ? " with a pool" : ""}: given the file size, a complete file is flushed at once, not at the next interval`, async () => {
      const store = simStore({ fileSize: 16 * PAGE, pool });
      const manager = new FlushManager(
        store.queue,
        {
          transientStorePoolEnable: pool,
          commitIntervalCommitLog: 10,
          flushIntervalCommitLog: 500,
        },
        { mappedFileSize: 16 * PAGE },
      );
      manager.start();
      await vi.advanceTimersByTimeAsync(500); // the first (thorough) rounds
      let next = 0;
      for (let i = 0; i < 5; i++) {
        next = (await appendRecord(store, recordBytes(i, 5 * PAGE))) ?? -1;
        await manager.handleDiskFlush(next, true);
      }
      // 4 records fill the first file (3 fit, then a roll-over); the fifth lies in the second file.
      expect(next).toBeGreaterThan(16 * PAGE);
      await vi.advanceTimersByTimeAsync(20); // a commit round (pool), well inside the 500 ms interval
      expect(store.queue.flushedWhere).toBeGreaterThanOrEqual(16 * PAGE);
      expect(holds(store, 0, 16 * PAGE, "durable")).toBe(true);
      await stop(manager);
    });
  }

  it("ASYNC_FLUSH with a pool: the commit service wakes the flush service only after it made progress", async () => {
    const store = simStore({ fileSize: 64 * PAGE, pool: true });
    const manager = start(store, {
      transientStorePoolEnable: true,
      commitIntervalCommitLog: 200,
      commitCommitLogLeastPages: 4,
      commitCommitLogThoroughInterval: 60_000,
      flushCommitLogTimed: false,
      flushIntervalCommitLog: 60_000,
      flushCommitLogLeastPages: 0,
    });
    await appendRecord(store, recordBytes(0, 10));
    await vi.advanceTimersByTimeAsync(60_000); // first thorough commit, and the flush it woke
    const fsyncs = store.disk.counters.fsyncs;
    const flushed = store.queue.flushedWhere;
    await appendRecord(store, recordBytes(1, 2 * PAGE));
    await vi.advanceTimersByTimeAsync(1000); // rounds run, nothing to commit (2 pages < 4)
    expect(store.queue.committedWhere).toBe(flushed);
    expect(store.disk.counters.fsyncs).toBe(fsyncs); // so the flush service was not woken
    const next = await appendRecord(store, recordBytes(2, 2 * PAGE));
    await manager.handleDiskFlush(next ?? -1, true); // wakes the commit service
    await settle();
    expect(store.queue.committedWhere).toBe(next);
    expect(store.queue.flushedWhere).toBe(next); // woken at once, not after 60 s
    await stop(manager);
  });

  it("ASYNC_FLUSH with a pool: shutdown commits and flushes everything", async () => {
    const store = simStore({ fileSize: 4 * PAGE, pool: true });
    const manager = start(store, {
      transientStorePoolEnable: true,
      commitIntervalCommitLog: 60_000,
      flushIntervalCommitLog: 60_000,
    });
    let last = 0;
    for (let i = 0; i < 12; i++) last = (await appendRecord(store, recordBytes(i, 1500))) ?? -1;
    await stop(manager);
    expect(store.queue.flushedWhere).toBe(last);
    expect(holds(store, 0, last, "durable")).toBe(true);
  });
});
