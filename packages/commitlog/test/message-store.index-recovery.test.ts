import { SimulatedDisk } from "@store/mapped-file/testing";
import { describe, expect, it } from "vitest";
import { decodeMessage } from "@store/message-codec";
import type { MessageInput } from "@store/message-codec";
import type { MessageStoreConfigInput } from "../src/message-store-config.js";
import type { MessageStore } from "../src/message-store.js";
import { waitFor } from "./helpers.js";
import { SIM_ROOT, openOnDisk, putOk, waitDispatched } from "./store-test-kit.js";

const TOPIC = "IndexedTopic";
const INDEX_DIR = `${SIM_ROOT}/index/`;
/**
 * Small index files (15 entries each) over small commit-log files; no periodic flush of the consume
 * queues, so none of the index either (a test flushes it itself; a full file is flushed as the next
 * one starts).
 */
const BASE: MessageStoreConfigInput = {
  mappedFileSizeCommitLog: 4096,
  maxHashSlotNum: 8,
  maxIndexNum: 16,
  maxMsgsNumBatch: 1000,
  flushIntervalConsumeQueue: 1_000_000_000,
};
const SYNC: MessageStoreConfigInput = { ...BASE, flushDiskType: "SYNC_FLUSH" };
/** The log is flushed only when a test says so. */
const ASYNC_HELD: MessageStoreConfigInput = {
  ...BASE,
  flushDiskType: "ASYNC_FLUSH",
  flushIntervalCommitLog: 1_000_000_000,
  flushCommitLogThoroughInterval: 1_000_000_000,
};

/** Message `i` of a generation: keys `<gen>-<i>` and `<gen>-all`, UNIQ_KEY `<gen>-uniq-<i>`. */
function keyed(gen: string, i: number): MessageInput {
  return {
    topic: TOPIC,
    body: Buffer.from(`${gen} body ${i}`),
    keys: [`${gen}-${i}`, `${gen}-all`],
    properties: { UNIQ_KEY: `${gen}-uniq-${i}` },
  };
}

async function putGeneration(
  store: MessageStore,
  gen: string,
  count: number,
  from = 0,
): Promise<void> {
  for (let i = from; i < from + count; i++) await putOk(store, keyed(gen, i));
}

/** Bodies a query returns, in order. */
async function found(store: MessageStore, key: string): Promise<string[]> {
  const result = await store.queryMessage(TOPIC, key, 1000, 0, Number.MAX_SAFE_INTEGER);
  return result.messages.map((record) => {
    const decoded = decodeMessage(record);
    if (!decoded.ok) throw new Error(decoded.reason);
    return decoded.message.body.toString();
  });
}

/** Every message i in [0, count) of `gen` is found once by each of its keys, and all by the shared one. */
async function expectIndexed(store: MessageStore, gen: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    expect(await found(store, `${gen}-${i}`)).toEqual([`${gen} body ${i}`]);
    expect(await found(store, `${gen}-uniq-${i}`)).toEqual([`${gen} body ${i}`]);
  }
  expect(await found(store, `${gen}-all`)).toEqual(
    Array.from({ length: count }, (_, i) => `${gen} body ${i}`),
  );
}

/** Entries in the index files, all files together. */
function entries(store: MessageStore): number {
  return (store.indexService?.files ?? []).reduce(
    (sum, file) => sum + file.header.indexCount - 1,
    0,
  );
}

async function crash(
  disk: SimulatedDisk,
  store: MessageStore,
  kind: "power" | "process",
): Promise<void> {
  if (kind === "power") disk.powerCut();
  else disk.processCrash();
  await store.halt();
}

describe("MessageStore message index across crashes", () => {
  it("after a power cut, finds every message the log kept by each of its keys, once (the last index file never flushed)", async () => {
    const disk = new SimulatedDisk();
    const first = await openOnDisk(disk, SYNC);
    await putGeneration(first, "a", 30);
    await waitDispatched(first, TOPIC, 30);
    const full = first.indexService?.files.slice(0, -1) ?? [];
    await waitFor(() => full.every((file) => !file.dirty)); // their final flushes, queued as the next began
    await crash(disk, first, "power");
    const again = await openOnDisk(disk, SYNC);
    try {
      expect(again.recovery.mode).toBe("abnormal");
      // 90 entries, 15 a file: the five full ones were flushed when the next began; the sixth never was.
      expect(again.indexRecovery).toMatchObject({ filesLoaded: 5, filesDropped: 1 });
      await expectIndexed(again, "a", 30);
      expect(entries(again)).toBe(30 * 3);
    } finally {
      await again.shutdown();
    }
  });

  it("keeps what the index flushed and indexes the rest again, each record once", async () => {
    const disk = new SimulatedDisk();
    const first = await openOnDisk(disk, SYNC);
    await putGeneration(first, "a", 20);
    await waitDispatched(first, TOPIC, 20);
    expect(await first.indexService?.flush()).toBeGreaterThan(0);
    const covered = first.indexService?.coveredEnd;
    await putGeneration(first, "a", 10, 20);
    await waitDispatched(first, TOPIC, 30);
    await crash(disk, first, "power");
    const again = await openOnDisk(disk, SYNC);
    try {
      expect(again.indexRecovery?.coveredEnd).toBeGreaterThanOrEqual(
        covered ?? Number.POSITIVE_INFINITY,
      );
      expect(again.indexRecovery?.coveredEnd).toBeLessThan(again.getMaxPhyOffset());
      expect(again.indexRecovery?.filesLoaded).toBeGreaterThan(1);
      await expectIndexed(again, "a", 30);
      expect(entries(again)).toBe(30 * 3); // nothing indexed twice
    } finally {
      await again.shutdown();
    }
  });

  it("cuts the entries of records a power cut took from the log, and indexes the records stored there next", async () => {
    const disk = new SimulatedDisk();
    const first = await openOnDisk(disk, ASYNC_HELD);
    await putGeneration(first, "kept", 5);
    await first.commitLog.mappedFileQueue.flush(0); // durable
    const durableEnd = first.commitLog.mappedFileQueue.flushedWhere;
    await putGeneration(first, "lost", 5); // in the page cache only
    await waitDispatched(first, TOPIC, 10);
    await first.indexService?.flush(); // the index is durable past the durable log
    await crash(disk, first, "power");
    const again = await openOnDisk(disk, ASYNC_HELD);
    try {
      expect(again.recovery.processOffset).toBe(durableEnd);
      expect(again.indexRecovery).toMatchObject({
        entriesTruncated: 5 * 3,
        coveredEnd: durableEnd,
      });
      expect(await found(again, "lost-0")).toEqual([]);
      await putGeneration(again, "new", 5); // at the offsets "lost" had
      await waitDispatched(again, TOPIC, 10);
      await expectIndexed(again, "kept", 5);
      await expectIndexed(again, "new", 5);
      expect(await found(again, "lost-all")).toEqual([]);
    } finally {
      await again.shutdown();
    }
  });

  it("after a kill -9 (the page cache survives), finds everything that was dispatched", async () => {
    const disk = new SimulatedDisk();
    const first = await openOnDisk(disk, ASYNC_HELD);
    await putGeneration(first, "a", 25);
    await waitDispatched(first, TOPIC, 25);
    await crash(disk, first, "process");
    const again = await openOnDisk(disk, ASYNC_HELD);
    try {
      await expectIndexed(again, "a", 25);
    } finally {
      await again.shutdown();
    }
  });

  it("indexes the whole log again at open when the index directory is gone", async () => {
    const disk = new SimulatedDisk();
    const first = await openOnDisk(disk, SYNC);
    await putGeneration(first, "a", 20);
    await waitDispatched(first, TOPIC, 20);
    await first.shutdown();
    for (const path of disk.listFiles().filter((p) => p.startsWith(INDEX_DIR)))
      await disk.unlink(path);
    const again = await openOnDisk(disk, SYNC);
    try {
      expect(again.recovery.mode).toBe("normal");
      expect(again.indexRecovery?.caughtUpBytes).toBe(again.getMaxPhyOffset());
      await expectIndexed(again, "a", 20);
    } finally {
      await again.shutdown();
    }
  });

  it("deletes index files written with another maxHashSlotNum at open and indexes their records again", async () => {
    const disk = new SimulatedDisk();
    const first = await openOnDisk(disk, SYNC);
    await putGeneration(first, "a", 20);
    await waitDispatched(first, TOPIC, 20);
    await first.shutdown();
    const again = await openOnDisk(disk, { ...SYNC, maxHashSlotNum: 64 });
    try {
      expect(again.indexRecovery).toMatchObject({
        filesLoaded: 0,
        coveredEnd: 0,
        caughtUpBytes: again.getMaxPhyOffset(),
      });
      expect(again.indexRecovery?.filesDropped).toBeGreaterThan(1);
      await expectIndexed(again, "a", 20);
    } finally {
      await again.shutdown();
    }
  });

  it("returns a message once when a crash left part of its keys in a file and all of them in the next", async () => {
    // 2 + 12 keys: the first file takes 15 entries, so the last message's keys span two files.
    const disk = new SimulatedDisk();
    const many = (i: number): MessageInput => ({
      topic: TOPIC,
      body: Buffer.from(`m${i}`),
      keys: Array.from({ length: 12 }, (_, k) => `k${k}`),
      properties: { UNIQ_KEY: `u${i}` },
    });
    const first = await openOnDisk(disk, SYNC);
    await putOk(first, many(0)); // 13 entries
    await putOk(first, many(1)); // 2 in the first file, 11 in a second
    await waitDispatched(first, TOPIC, 2);
    const index = first.indexService;
    if (index === null) throw new Error("no index");
    expect(index.files.length).toBe(2);
    await waitFor(() => !(index.files[0]?.dirty ?? true)); // the full file's final flush, queued at the roll
    await crash(disk, first, "power"); // the second file was never flushed
    const again = await openOnDisk(disk, SYNC);
    try {
      expect(again.indexRecovery).toMatchObject({ filesLoaded: 1, filesDropped: 1 });
      expect(entries(again)).toBe(26 + 2); // message 1's first two entries are in both files
      expect(await found(again, "u1")).toEqual(["m1"]);
      expect(await found(again, "k0")).toEqual(["m0", "m1"]);
      expect(await found(again, "k11")).toEqual(["m0", "m1"]);
    } finally {
      await again.shutdown();
    }
  });
});
