import { stat } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MessageStoreConfigInput } from "../src/message-store-config.js";
import { MessageStore } from "../src/message-store.js";
import { silentLogger, tempDir, waitFor } from "./helpers.js";
import { bodies, message, putMany, putOk, readBodies, waitDispatched } from "./store-test-kit.js";

const TOPIC = "CleanTopic";
const FILE_SIZE = 4096;
const HOUR_MS = 3_600_000;
/** A moment whose hour is `hour` (today). */
const at = (hour: number): Date => new Date(new Date().setHours(hour, 30, 0, 0));

describe("CleanCommitLogService (through MessageStore.cleanExpiredFiles)", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: MessageStore | null = null;
  let usage = 0;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir("clean-test-"));
    usage = 0;
  });
  afterEach(async () => {
    await store?.shutdown();
    store = null;
    await cleanup();
  });

  const config = (extra: MessageStoreConfigInput = {}): MessageStoreConfigInput => ({
    storePathRootDir: dir,
    mappedFileSizeCommitLog: FILE_SIZE,
    mappedFileSizeConsumeQueue: 1000 * 20,
    flushDiskType: "ASYNC_FLUSH",
    fileReservedTime: 72,
    deleteWhen: "04",
    deleteCommitLogFilesInterval: 0,
    destroyMapedFileIntervalForcibly: 120_000,
    diskMaxUsedSpaceRatio: 75,
    ...extra,
  });
  const open = async (extra: MessageStoreConfigInput = {}): Promise<MessageStore> =>
    (store = await MessageStore.open(config(extra), {
      logger: silentLogger,
      diskUsage: () => Promise.resolve(usage),
    }));

  /**
   * 100 messages over several files, dispatched, and every file before the last flushed; returns the
   * store. A flush holds its file while the fdatasync runs, and a held file is not deleted on that
   * round: waiting keeps the flush service's catch-up (one file a round) from racing the assertions.
   */
  async function filled(extra: MessageStoreConfigInput = {}): Promise<MessageStore> {
    const s = await open(extra);
    await putMany(s, TOPIC, 100);
    await waitDispatched(s, TOPIC, 100);
    const queue = s.commitLog.mappedFileQueue;
    expect(queue.mappedFiles.length).toBeGreaterThanOrEqual(4);
    await waitFor(
      () => queue.flushedWhere >= (queue.getLastMappedFile()?.fileFromOffset ?? 0),
      20_000,
    );
    return s;
  }

  function age(s: MessageStore, count: number, hours = 73): void {
    for (const file of s.commitLog.mappedFileQueue.mappedFiles.slice(0, count))
      file.lastModifiedTimestamp = Date.now() - hours * HOUR_MS;
  }

  /** Queue offset of the first message stored in the commit log at or after `phyOffset`. */
  async function firstQueueOffsetFrom(s: MessageStore, phyOffset: number): Promise<number> {
    for (let offset = 0; offset < s.getMaxOffsetInQueue(TOPIC, 0); offset++) {
      const unit = await s.consumeQueues.find(TOPIC, 0)?.getUnit(offset);
      if (unit && unit.offset >= phyOffset) return offset;
    }
    return s.getMaxOffsetInQueue(TOPIC, 0);
  }

  it("at the deleteWhen hour deletes expired files, never the last, and moves the queue's min offset", async () => {
    const s = await filled();
    const files = s.commitLog.mappedFileQueue.mappedFiles;
    const names = files.map((f) => f.fileName);
    const last = files.at(-1);
    age(s, files.length); // every file, the last one included, is old
    expect(await s.cleanExpiredFiles(at(4))).toBe(files.length - 1);
    expect(s.commitLog.mappedFileQueue.mappedFiles).toEqual([last]);
    for (const name of names.slice(0, -1))
      await expect(stat(name)).rejects.toMatchObject({ code: "ENOENT" });
    const minPhy = s.getMinPhyOffset();
    expect(minPhy).toBe(last?.fileFromOffset);
    const min = await firstQueueOffsetFrom(s, minPhy);
    expect(min).toBeGreaterThan(0);
    expect(s.getMinOffsetInQueue(TOPIC, 0)).toBe(min);
    const got = await s.getMessage("group", TOPIC, 0, 0, 32);
    expect(got).toMatchObject({
      status: "OFFSET_TOO_SMALL",
      nextBeginOffset: min,
      minOffset: min,
      maxOffset: 100,
    });
    expect(await readBodies(s, TOPIC)).toEqual(bodies(100 - min, min));
    // The store goes on, and a restart keeps the new minimum.
    await putOk(s, message(TOPIC, 100));
    await waitDispatched(s, TOPIC, 101);
    await s.shutdown();
    const again = await open();
    expect(again.getMinPhyOffset()).toBe(minPhy);
    expect(again.getMinOffsetInQueue(TOPIC, 0)).toBe(min);
    expect(await readBodies(again, TOPIC)).toEqual(bodies(101 - min, min));
  });

  it("deletes nothing outside the deleteWhen hours while the disk has room, and nothing unexpired", async () => {
    const s = await filled();
    const count = s.commitLog.mappedFileQueue.mappedFiles.length;
    age(s, count);
    expect(await s.cleanExpiredFiles(at(5))).toBe(0);
    age(s, count, 1); // now only an hour old
    expect(await s.cleanExpiredFiles(at(4))).toBe(0);
    expect(s.commitLog.mappedFileQueue.mappedFiles).toHaveLength(count);
    expect(s.getMinOffsetInQueue(TOPIC, 0)).toBe(0);
  });

  it("deletes the oldest expired files and stops at the first one that has not expired", async () => {
    const s = await filled();
    age(s, 2);
    expect(await s.cleanExpiredFiles(at(4))).toBe(2);
    expect(s.getMinPhyOffset()).toBe(2 * FILE_SIZE);
  });

  it("never deletes a file a reader holds (until it is released)", async () => {
    const s = await filled();
    const files = s.commitLog.mappedFileQueue.mappedFiles;
    const first = files[0];
    if (first === undefined) throw new Error("no files");
    expect(first.hold()).toBe(true);
    age(s, files.length);
    expect(await s.cleanExpiredFiles(at(4))).toBe(0);
    expect((await stat(first.fileName)).isFile()).toBe(true);
    first.release();
    expect(await s.cleanExpiredFiles(at(4))).toBe(files.length - 1);
    await expect(stat(first.fileName)).rejects.toMatchObject({ code: "ENOENT" });
    expect(s.getMinOffsetInQueue(TOPIC, 0)).toBe(
      await firstQueueOffsetFrom(s, s.getMinPhyOffset()),
    );
  });

  it("deletes expired files at any hour once disk usage passes diskMaxUsedSpaceRatio", async () => {
    const s = await filled();
    const count = s.commitLog.mappedFileQueue.mappedFiles.length;
    age(s, 1);
    usage = 0.5;
    expect(await s.cleanExpiredFiles(at(5))).toBe(0);
    usage = 0.8;
    expect(await s.cleanExpiredFiles(at(5))).toBe(1);
    // Ten points past the ratio, even files that have not expired go (never the last).
    usage = 0.9;
    expect(await s.cleanExpiredFiles(at(5))).toBe(count - 2);
    expect(s.commitLog.mappedFileQueue.mappedFiles).toHaveLength(1);
  });

  it("reads every deleteWhen hour of a ';'-separated list", async () => {
    const s = await filled({ deleteWhen: "03;17" });
    age(s, 1);
    expect(await s.cleanExpiredFiles(at(4))).toBe(0);
    expect(await s.cleanExpiredFiles(at(17))).toBe(1);
  });
});
