import { open as openFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SimulatedDisk, VirtualClock } from "@store/mapped-file/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MessageStoreConfigInput } from "../src/message-store-config.js";
import { MessageStore } from "../src/message-store.js";
import type { PutMessageResult } from "../src/store-types.js";
import { silentLogger, tempDir } from "./helpers.js";
import { QUIET_SERVICES, openLife, powerCut, shutdown } from "./crash-kit.js";
import {
  SIM_ROOT,
  bodies,
  commitLogFile,
  countingCommitLogReads,
  message,
  onClock,
  openOnDisk,
  putMany,
  putOk,
  readBodies,
  waitDispatched,
} from "./store-test-kit.js";

const TOPIC = "recoverTopic";
/** How a scan reports the zeroed (pre-allocated) space after the last record: not damage. */
const CLEAN_END = ["END", "BAD_MAGIC"];
const FILE_SIZE = 4096;

interface Placed {
  readonly offset: number;
  readonly size: number;
  readonly queueOffset: number;
}

function placed(result: PutMessageResult | undefined): Placed {
  const append = result?.appendResult;
  if (append === undefined) throw new Error("no append result");
  return { offset: append.wroteOffset, size: append.wroteBytes, queueOffset: append.logicsOffset };
}

/** RocketMQ's damageCommitLog: zero 16 bytes from the topic-length byte of the record at `offset`. */
async function damageCommitLog(
  commitLogDir: string,
  fileSize: number,
  offset: number,
): Promise<void> {
  const fileStart = offset - (offset % fileSize);
  const handle = await openFile(join(commitLogDir, String(fileStart).padStart(20, "0")), "r+");
  try {
    const position = offset % fileSize;
    const length = Buffer.alloc(4);
    await handle.read(length, 0, 4, position + 84);
    await handle.write(Buffer.alloc(16), 0, 16, position + 84 + 4 + length.readInt32BE(0));
  } finally {
    await handle.close();
  }
}

// RocketMQ DefaultMessageStoreTest.testRecover (research §9.6), on real files.
describe("MessageStore recovery (testRecover)", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: MessageStore | null = null;
  beforeEach(async () => ({ dir, cleanup } = await tempDir("recover-test-")));
  afterEach(async () => {
    await store?.shutdown();
    store = null;
    await cleanup();
  });

  const config = (): MessageStoreConfigInput => ({
    storePathRootDir: dir,
    mappedFileSizeCommitLog: 8 * 1024,
    mappedFileSizeConsumeQueue: 1000 * 20,
    flushDiskType: "SYNC_FLUSH",
    flushIntervalConsumeQueue: 1,
  });
  const open = async (): Promise<MessageStore> =>
    (store = await MessageStore.open(config(), { logger: silentLogger }));
  const reopen = async (): Promise<MessageStore> => {
    await store?.shutdown();
    return open();
  };

  /** 100 puts, then the second-last's place; one more put; normal shutdown; damage the second-last. */
  async function putAndDamageSecondLast(s: MessageStore, from: number): Promise<Placed> {
    const results = await putMany(s, TOPIC, 100, from);
    const secondLast = placed(results[99]);
    await putOk(s, message(TOPIC, from + 100));
    await waitDispatched(s, TOPIC, secondLast.queueOffset + 2);
    await s.shutdown();
    await damageCommitLog(join(dir, "commitlog"), 8 * 1024, secondLast.offset);
    return secondLast;
  }

  it("part 1: a clean restart keeps the max physical offset and the consume-queue max", async () => {
    const s = await open();
    await putMany(s, TOPIC, 100);
    await waitDispatched(s, TOPIC, 100);
    const maxPhy = s.getMaxPhyOffset();
    const again = await reopen();
    expect(again.recovery.mode).toBe("normal");
    expect(again.getMaxPhyOffset()).toBe(maxPhy);
    expect(again.getMaxOffsetInQueue(TOPIC, 0)).toBe(100);
    expect(again.recovery).toMatchObject({
      processOffset: maxPhy,
      truncatedRecords: 0,
      truncatedBytes: 0,
      truncatedFiles: 0,
    });
    expect(CLEAN_END).toContain(again.recovery.stopReason);
  });

  it("part 2: a damaged second-last record is cut with everything after it (normal recovery)", async () => {
    const s = await open();
    await putMany(s, TOPIC, 100);
    const secondLast = await putAndDamageSecondLast(s, 100);
    const again = await open();
    expect(again.recovery.mode).toBe("normal");
    expect(again.getMaxPhyOffset()).toBe(secondLast.offset);
    expect(again.getMaxOffsetInQueue(TOPIC, 0)).toBe(secondLast.queueOffset);
    expect(again.recovery.processOffset).toBe(secondLast.offset);
    expect(again.recovery.truncatedRecords).toBeGreaterThanOrEqual(1);
    expect(await readBodies(again, TOPIC)).toEqual(bodies(199));
    const next = await putOk(again, message(TOPIC, 999));
    expect(placed(next)).toMatchObject({
      offset: secondLast.offset,
      queueOffset: secondLast.queueOffset,
    });
  });

  it("part 3: the same with an abort file (abnormal recovery), and 100 more puts work", async () => {
    const s = await open();
    await putMany(s, TOPIC, 100);
    const secondLast = await putAndDamageSecondLast(s, 100);
    await writeFile(join(dir, "abort"), "");
    const again = await open();
    expect(again.recovery.mode).toBe("abnormal");
    expect(again.getMaxPhyOffset()).toBe(secondLast.offset);
    expect(again.getMaxOffsetInQueue(TOPIC, 0)).toBe(secondLast.queueOffset);
    const more = await putMany(again, TOPIC, 100, 199);
    expect(placed(more[0]).queueOffset).toBe(secondLast.queueOffset);
    await waitDispatched(again, TOPIC, 299);
    expect(await readBodies(again, TOPIC)).toEqual(bodies(299));
  });

  it("shutdown removes the abort file; the next open recovers normally", async () => {
    const s = await open();
    await putMany(s, TOPIC, 3);
    expect((await stat(join(dir, "abort"))).isFile()).toBe(true);
    await s.shutdown();
    await expect(stat(join(dir, "abort"))).rejects.toMatchObject({ code: "ENOENT" });
    await expect(stat(join(dir, "lock"))).rejects.toMatchObject({ code: "ENOENT" });
    expect((await open()).recovery.mode).toBe("normal");
  });
});

/** Queue offsets and places of `count` puts of topic TOPIC. */
async function putPlaced(s: MessageStore, count: number, from = 0): Promise<Placed[]> {
  return (await putMany(s, TOPIC, count, from)).map(placed);
}

// Deterministic crash scenarios on SimulatedDisk, complementing the property test.
describe("MessageStore recovery after damage (SimulatedDisk)", () => {
  const syncConfig: MessageStoreConfigInput = {
    flushDiskType: "SYNC_FLUSH",
    mappedFileSizeCommitLog: FILE_SIZE,
  };

  /** Puts 60 records (3 files), waits for dispatch, then shuts down or crashes (process). */
  async function fill(disk: SimulatedDisk, ending: "shutdown" | "crash"): Promise<Placed[]> {
    const s = await openOnDisk(disk, syncConfig);
    const records = await putPlaced(s, 60);
    await waitDispatched(s, TOPIC, 60);
    if (ending === "shutdown") {
      await s.shutdown();
    } else {
      disk.processCrash();
      await s.halt();
    }
    return records;
  }

  const lastFileStart = (records: readonly Placed[]): number => {
    const last = records.at(-1) as Placed;
    return last.offset - (last.offset % FILE_SIZE);
  };

  for (const ending of ["shutdown", "crash"] as const) {
    it(`${ending}: a corrupt body byte in the last file cuts from that record on and counts what it cut`, async () => {
      const disk = new SimulatedDisk();
      const records = await fill(disk, ending);
      const inLastFile = records.filter((r) => r.offset >= lastFileStart(records));
      const bad = inLastFile[2] as Placed;
      const cut = records.filter((r) => r.offset >= bad.offset);
      disk.corrupt(commitLogFile(lastFileStart(records)), (bad.offset % FILE_SIZE) + 88 + 3);
      const s = await openOnDisk(disk, syncConfig);
      try {
        expect(s.recovery).toMatchObject({
          mode: ending === "shutdown" ? "normal" : "abnormal",
          processOffset: bad.offset,
          stopReason: "CRC_MISMATCH",
          truncatedRecords: cut.length,
          truncatedBytes: cut.reduce((sum, r) => sum + r.size, 0),
          truncatedFiles: 0,
        });
        expect(s.getMaxPhyOffset()).toBe(bad.offset);
        expect(s.getMaxOffsetInQueue(TOPIC, 0)).toBe(bad.queueOffset);
        expect(await readBodies(s, TOPIC)).toEqual(bodies(bad.queueOffset));
        const next = placed(await putOk(s, message(TOPIC, 1000)));
        expect(next).toMatchObject({ offset: bad.offset, queueOffset: bad.queueOffset });
        await waitDispatched(s, TOPIC, bad.queueOffset + 1);
        expect((await readBodies(s, TOPIC)).at(-1)).toBe(message(TOPIC, 1000).body.toString());
      } finally {
        await s.shutdown();
      }
    });
  }

  it("a corrupt record in the second-last file cuts the last file too (truncatedFiles)", async () => {
    const disk = new SimulatedDisk();
    const records = await fill(disk, "shutdown");
    const lastStart = lastFileStart(records);
    const bad = records
      .filter((r) => r.offset >= lastStart - FILE_SIZE && r.offset < lastStart)
      .at(-1) as Placed;
    disk.corrupt(commitLogFile(lastStart - FILE_SIZE), (bad.offset % FILE_SIZE) + 88);
    const s = await openOnDisk(disk, syncConfig);
    try {
      expect(s.recovery).toMatchObject({
        processOffset: bad.offset,
        stopReason: "CRC_MISMATCH",
        truncatedRecords: 1,
        truncatedFiles: 1,
      });
      expect(disk.exists(commitLogFile(lastStart))).toBe(false);
      expect(s.getMaxOffsetInQueue(TOPIC, 0)).toBe(bad.queueOffset);
    } finally {
      await s.shutdown();
    }
  });

  it("a zeroed tail (writes that never reached the disk) loses nothing before it", async () => {
    const disk = new SimulatedDisk();
    const records = await fill(disk, "crash");
    const firstZeroed = records.at(-3) as Placed;
    const path = commitLogFile(lastFileStart(records));
    const position = firstZeroed.offset % FILE_SIZE;
    disk.overwrite(path, position, Buffer.alloc(FILE_SIZE - position));
    const s = await openOnDisk(disk, syncConfig);
    try {
      expect(s.recovery).toMatchObject({
        mode: "abnormal",
        processOffset: firstZeroed.offset,
        truncatedRecords: 0,
        truncatedBytes: 0,
      });
      expect(CLEAN_END).toContain(s.recovery.stopReason);
      expect(await readBodies(s, TOPIC)).toEqual(bodies(57));
      expect(placed(await putOk(s, message(TOPIC, 57))).queueOffset).toBe(57);
    } finally {
      await s.shutdown();
    }
  });

  it("a torn record (only its first 8 bytes written) is cut", async () => {
    const disk = new SimulatedDisk();
    const records = await fill(disk, "crash");
    const torn = records.at(-1) as Placed;
    disk.overwrite(
      commitLogFile(lastFileStart(records)),
      (torn.offset % FILE_SIZE) + 8,
      Buffer.alloc(torn.size - 8),
    );
    const s = await openOnDisk(disk, syncConfig);
    try {
      expect(s.recovery).toMatchObject({
        processOffset: torn.offset,
        truncatedRecords: 1,
        truncatedBytes: torn.size,
      });
      expect(s.recovery.stopReason).not.toBe("END");
      expect(s.getMaxOffsetInQueue(TOPIC, 0)).toBe(59);
      expect(placed(await putOk(s, message(TOPIC, 59)))).toMatchObject({
        offset: torn.offset,
        queueOffset: 59,
      });
    } finally {
      await s.shutdown();
    }
  });

  it("a power cut tearing the tick's one staged write keeps the records in its leading whole sectors", async () => {
    const disk = new SimulatedDisk();
    const config: MessageStoreConfigInput = {
      flushDiskType: "ASYNC_FLUSH",
      flushIntervalCommitLog: 60_000,
      flushIntervalConsumeQueue: 60_000,
    };
    const s = await openOnDisk(disk, config);
    await putPlaced(s, 10);
    await waitDispatched(s, TOPIC, 10);
    while (await s.commitLog.mappedFileQueue.flush(0));
    while (await s.consumeQueues.flush(0));
    await s.checkpoint.flush();
    expect(disk.unsyncedWrites).toBe(0);
    // Five puts in one tick are staged and reach the page cache as one write, before any put answers.
    const puts = Array.from({ length: 5 }, (_, i) =>
      s.putMessage(message(TOPIC, 10 + i, { body: Buffer.alloc(350, i) })),
    ); // all in the file
    expect(disk.unsyncedWrites).toBe(0);
    await Promise.resolve();
    expect(disk.unsyncedWrites).toBe(1);
    disk.powerCut({ keepUnsyncedWrites: 0, tearNextWrite: true });
    await s.halt();
    const results = await Promise.all(puts);
    expect(results.every((r) => r.status === "PUT_OK")).toBe(true);
    const ends = results.map(
      (r) => (r.appendResult?.wroteOffset ?? 0) + (r.appendResult?.wroteBytes ?? 0),
    );
    const tornAt = Math.floor((ends[4] as number) / 512) * 512; // the whole sectors that landed
    const kept = ends.filter((end) => end <= tornAt).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(5);
    const again = await openOnDisk(disk, config);
    try {
      expect(again.recovery.mode).toBe("abnormal");
      expect(again.getMaxOffsetInQueue(TOPIC, 0)).toBe(10 + kept);
      const got = await readBodies(again, TOPIC);
      expect(got.slice(0, 10)).toEqual(bodies(10));
      expect(got.slice(10)).toEqual(
        Array.from({ length: kept }, (_, i) => Buffer.alloc(350, i).toString()),
      );
      expect(placed(await putOk(again, message(TOPIC, 10 + kept))).queueOffset).toBe(10 + kept);
    } finally {
      await again.shutdown();
    }
  });

  const strategies: Record<string, MessageStoreConfigInput> = {
    SYNC_FLUSH: { flushDiskType: "SYNC_FLUSH" },
    SYNC_FLUSH_POOL: {
      flushDiskType: "SYNC_FLUSH",
      transientStorePoolEnable: true,
      transientStorePoolSize: 3,
    },
    ASYNC_FLUSH: { flushDiskType: "ASYNC_FLUSH", flushIntervalCommitLog: 60_000 },
    ASYNC_POOL: {
      flushDiskType: "ASYNC_FLUSH",
      transientStorePoolEnable: true,
      transientStorePoolSize: 3,
      flushIntervalCommitLog: 60_000,
      commitIntervalCommitLog: 60_000,
    },
  };
  for (const [name, strategy] of Object.entries(strategies)) {
    it(`${name}: a clean shutdown leaves every message and queue unit durable (power cut right after)`, async () => {
      const disk = new SimulatedDisk();
      const config = { ...strategy, mappedFileSizeCommitLog: FILE_SIZE };
      const s = await openOnDisk(disk, config);
      await Promise.all(Array.from({ length: 70 }, (_, i) => s.putMessage(message(TOPIC, i)))).then(
        (results) =>
          expect(results.map((r) => r.status)).toEqual(Array.from({ length: 70 }, () => "PUT_OK")),
      );
      await s.shutdown();
      disk.powerCut();
      expect(disk.exists(`${SIM_ROOT}/abort`)).toBe(false);
      const again = await openOnDisk(disk, config);
      try {
        expect(again.recovery).toMatchObject({
          mode: "normal",
          truncatedRecords: 0,
          truncatedFiles: 0,
        });
        expect(await readBodies(again, TOPIC)).toEqual(bodies(70));
      } finally {
        await again.shutdown();
      }
    });
  }

  it("puts racing a shutdown are either stored (PUT_OK, durable) or refused (SERVICE_NOT_AVAILABLE)", async () => {
    const disk = new SimulatedDisk();
    const s = await openOnDisk(disk, syncConfig);
    const puts = Array.from({ length: 80 }, (_, i) => s.putMessage(message(TOPIC, i)));
    const stopping = s.shutdown();
    const late = await s.putMessage(message(TOPIC, 999));
    expect(late.status).toBe("SERVICE_NOT_AVAILABLE");
    const results = await Promise.all(puts);
    await stopping;
    for (const result of results)
      expect(["PUT_OK", "SERVICE_NOT_AVAILABLE"]).toContain(result.status);
    const stored = results.filter((r) => r.status === "PUT_OK").length;
    expect(results.slice(0, stored).every((r) => r.status === "PUT_OK")).toBe(true); // a prefix, in order
    disk.powerCut();
    const again = await openOnDisk(disk, syncConfig);
    try {
      expect(again.recovery.mode).toBe("normal");
      expect(await readBodies(again, TOPIC)).toEqual(bodies(stored));
    } finally {
      await again.shutdown();
    }
  });

  it("rebuilds lost consume queues from the commit log", async () => {
    const disk = new SimulatedDisk();
    const s = await openOnDisk(disk, syncConfig);
    await putPlaced(s, 50);
    await putMany(s, "Other", 5);
    await s.shutdown();
    for (const path of disk.listFiles().filter((p) => p.startsWith(`${SIM_ROOT}/consumequeue/`)))
      await disk.unlink(path);
    const again = await openOnDisk(disk, syncConfig);
    try {
      await waitDispatched(again, TOPIC, 50);
      expect(await readBodies(again, TOPIC)).toEqual(bodies(50));
      expect(await readBodies(again, "Other")).toEqual(bodies(5));
      expect(placed(await putOk(again, message(TOPIC, 50))).queueOffset).toBe(50);
    } finally {
      await again.shutdown();
    }
  });

  /** 240 messages over three queues and several files, then a crash that leaves no consume queue and no checkpoint. */
  async function crashedWithoutQueues(disk: SimulatedDisk): Promise<number> {
    const s = await openOnDisk(disk, syncConfig);
    for (let i = 0; i < 240; i++) await putOk(s, message(TOPIC, i, { queueId: i % 3 }));
    disk.processCrash();
    await s.halt();
    for (const path of disk
      .listFiles()
      .filter((p) => p.includes("/consumequeue/") || p.endsWith("/checkpoint")))
      await disk.unlink(path);
    return disk.listFiles().filter((p) => p.includes("/commitlog/")).length;
  }

  async function expectAllIndexed(store: MessageStore): Promise<void> {
    for (let queueId = 0; queueId < 3; queueId++) {
      await waitDispatched(store, TOPIC, 80, queueId);
      const expected = Array.from({ length: 80 }, (_, i) =>
        message(TOPIC, i * 3 + queueId).body.toString(),
      );
      expect(await readBodies(store, TOPIC, queueId)).toEqual(expected);
    }
  }

  it("after a crash, recovery indexes the records as it validates them: the log is read once, not twice", async () => {
    const disk = new SimulatedDisk();
    const files = await crashedWithoutQueues(disk);
    expect(files).toBeGreaterThanOrEqual(3);
    const { io, reads } = countingCommitLogReads(disk);
    const again = await openOnDisk(disk, syncConfig, { io });
    try {
      expect(again.recovery).toMatchObject({
        mode: "abnormal",
        startOffset: 0,
        recordsScanned: 240,
      });
      // One read per 4 KiB file (a scan chunk is larger), one per file head looked at to choose where
      // to start, and a few for the tail: 21 for 9 files. A second pass (the dispatcher reading the
      // log again, as before) adds one per file: 30.
      expect(reads()).toBeLessThan(2 * files + 5);
      expect(again.dispatchBehindBytes()).toBe(0);
      await expectAllIndexed(again);
    } finally {
      await again.shutdown();
    }
  });

  it("after a crash, if the recovery cannot index a unit, the dispatcher indexes again from the scan's start: every unit once", async () => {
    const disk = new SimulatedDisk();
    await crashedWithoutQueues(disk);
    disk.failOn("open", "ENOSPC", { pathIncludes: "/consumequeue/", times: 1 });
    const again = await openOnDisk(disk, syncConfig);
    try {
      expect(again.recovery.mode).toBe("abnormal");
      await expectAllIndexed(again);
      await putOk(again, message(TOPIC, 240, { queueId: 0 }));
      await waitDispatched(again, TOPIC, 81, 0);
    } finally {
      await again.shutdown();
    }
  });

  it("halt() (a crash) leaves the abort file; the next open recovers abnormally and dispatches what was missing", async () => {
    const disk = new SimulatedDisk();
    const s = await openOnDisk(disk, syncConfig);
    await putPlaced(s, 20);
    disk.processCrash();
    await s.halt();
    expect(disk.exists(`${SIM_ROOT}/abort`)).toBe(true);
    const again = await openOnDisk(disk, syncConfig);
    try {
      expect(again.recovery.mode).toBe("abnormal");
      expect(CLEAN_END).toContain(again.recovery.stopReason);
      expect(again.getMaxOffsetInQueue(TOPIC, 0)).toBe(20);
      expect(await readBodies(again, TOPIC)).toEqual(bodies(20));
    } finally {
      await again.shutdown();
    }
    expect(disk.exists(`${SIM_ROOT}/abort`)).toBe(false);
    const third = await openOnDisk(disk, syncConfig);
    expect(third.recovery.mode).toBe("normal");
    await third.shutdown();
  });

  it("normal recovery validates the last three files and reports the records it scanned", async () => {
    const disk = new SimulatedDisk();
    const s = await openOnDisk(disk, syncConfig);
    const records = await putPlaced(s, 120);
    await s.shutdown();
    const files = disk.listFiles().filter((p) => p.startsWith(`${SIM_ROOT}/commitlog/`));
    const firstScanned = FILE_SIZE * (files.length - 3);
    const again = await openOnDisk(disk, syncConfig);
    try {
      expect(again.recovery).toMatchObject({
        mode: "normal",
        startOffset: firstScanned,
        processOffset: again.getMaxPhyOffset(),
        recordsScanned: records.filter((r) => r.offset >= firstScanned).length,
        truncatedRecords: 0,
        truncatedFiles: 0,
      });
    } finally {
      await again.shutdown();
    }
  });

  it("never brings back records a power cut left past a hole, even when later appends line up with them", async () => {
    // Writeback order: the disk keeps later writes of the tail but loses earlier ones. Recovery cuts at
    // the hole; new puts refill it with records of the same size, so they end on a record boundary
    // inside the old ones. Without zeroing past the cut, the next recovery would read the old records
    // as valid and put messages lost in the crash back into the queue, under taken queue offsets.
    const disk = new SimulatedDisk();
    const config: MessageStoreConfigInput = {
      flushDiskType: "ASYNC_FLUSH",
      mappedFileSizeCommitLog: 64 * 1024,
      flushIntervalCommitLog: 60_000,
    };
    const body = (kind: string, i: number): Buffer => Buffer.from(`${kind}-${i}`.padEnd(40, "."));
    const s = await openOnDisk(disk, config);
    const offsets: number[] = [];
    for (let i = 0; i < 10; i++) {
      offsets.push(
        (await putOk(s, { topic: TOPIC, body: body("old", i) })).appendResult?.wroteOffset ?? -1,
      );
      if (i === 3) await s.commitLog.mappedFileQueue.flush(0); // old-0..3 are durable
    }
    const hole = offsets[4] as number;
    const survivorsFrom = offsets[6] as number;
    disk.powerCut({
      keepOnly: (w) => w.path.includes("/commitlog/") && w.position >= survivorsFrom,
    }); // old-6..9 land, old-4..5 do not
    await s.halt();

    const after = await openOnDisk(disk, config);
    try {
      expect(after.recovery).toMatchObject({ mode: "abnormal", processOffset: hole });
      expect(after.recovery.staleBytesCleared).toBeGreaterThan(0);
      for (let i = 0; i < 2; i++) await putOk(after, { topic: TOPIC, body: body("new", i) }); // refill old-4..5's slots
      await waitDispatched(after, TOPIC, 6);
    } finally {
      await after.shutdown();
    }
    const again = await openOnDisk(disk, config);
    try {
      await waitDispatched(again, TOPIC, 6);
      const expected = [0, 1, 2, 3]
        .map((i) => body("old", i).toString())
        .concat([0, 1].map((i) => body("new", i).toString()));
      expect(await readBodies(again, TOPIC)).toEqual(expected);
      expect(again.getMaxOffsetInQueue(TOPIC, 0)).toBe(6);
    } finally {
      await again.shutdown();
    }
  });

  it("pool: a kill -9 while a commit's parallel writes are half done brings nothing back after later puts line up", async () => {
    const disk = new SimulatedDisk();
    const config: MessageStoreConfigInput = {
      flushDiskType: "ASYNC_FLUSH",
      transientStorePoolEnable: true,
      transientStorePoolSize: 2,
      mappedFileSizeCommitLog: 8 * 1024 * 1024,
      commitCommitLogLeastPages: 2048, // 8 MiB: the service commits only what this test asks for
      commitCommitLogThoroughInterval: 600_000,
      flushIntervalCommitLog: 60_000,
    };
    const body = (kind: string, i: number): Buffer =>
      Buffer.from(`${kind}-${String(i).padStart(5, "0")}`.padEnd(1000, "."));
    const s = await openOnDisk(disk, config);
    await Promise.all(
      Array.from({ length: 3000 }, (_, i) => putOk(s, { topic: TOPIC, body: body("old", i) })),
    ); // ~3.2 MiB
    disk.failOn("write", "EIO", { pathIncludes: "/commitlog/" }); // the first of the commit's 1 MiB writes
    await expect(s.commitLog.mappedFileQueue.commit(0)).rejects.toMatchObject({ code: "IO_ERROR" });
    disk.processCrash(); // kill -9: the later chunks are in the page cache, the first is not
    await s.halt();

    const after = await openOnDisk(disk, config);
    try {
      expect(after.recovery).toMatchObject({ mode: "abnormal", processOffset: 0 });
      expect(after.recovery.staleBytesCleared).toBeGreaterThan(0);
      // Same-size puts refill the hole and end on a record boundary inside the old records.
      await Promise.all(
        Array.from({ length: 1500 }, (_, i) =>
          putOk(after, { topic: TOPIC, body: body("new", i) }),
        ),
      );
    } finally {
      await after.shutdown();
    }
    const again = await openOnDisk(disk, config);
    try {
      await waitDispatched(again, TOPIC, 1500);
      const stored = await readBodies(again, TOPIC);
      expect(stored).toHaveLength(1500);
      expect(stored.every((b) => b.startsWith("new-"))).toBe(true);
    } finally {
      await again.shutdown();
    }
  });

  it("keeps a record larger than the configured limit across a restart, wherever the scan's chunks end", async () => {
    const disk = new SimulatedDisk();
    const mib = 1024 * 1024;
    const config: MessageStoreConfigInput = {
      flushDiskType: "SYNC_FLUSH",
      maxMessageSize: 1024,
      mappedFileSizeCommitLog: 8 * mib,
      mappedFileSizeConsumeQueue: 100 * 20,
    };
    const s = await openOnDisk(disk, config);
    s.commitLog.maxMessageSize = mib;
    // Four ~1 MB records, then one that crosses the 4 MiB mark where recovery's first read ends.
    const sizes = [1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 10];
    for (const [i, size] of sizes.entries())
      await putOk(s, { topic: TOPIC, body: Buffer.alloc(size, i) });
    await waitDispatched(s, TOPIC, sizes.length);
    const maxPhy = s.getMaxPhyOffset();
    expect(maxPhy).toBeGreaterThan(4 * mib);
    await s.shutdown();
    const again = await openOnDisk(disk, config);
    try {
      expect(again.recovery).toMatchObject({ processOffset: maxPhy, truncatedRecords: 0 });
      expect(again.getMaxOffsetInQueue(TOPIC, 0)).toBe(sizes.length);
    } finally {
      await again.shutdown();
    }
  });
});

describe("MessageStore recovery after a kill -9 makes what it read durable", () => {
  it("a SYNC-acknowledged put after the recovery survives a later power cut (the recovered tail in an earlier file is synced)", async () => {
    const clock = new VirtualClock();
    const disk = new SimulatedDisk({ clock });
    const config = {
      ...QUIET_SERVICES,
      flushDiskType: "SYNC_FLUSH",
      mappedFileSizeCommitLog: FILE_SIZE,
    } as const;
    const first = await openLife(disk, clock, config);
    for (let i = 0; i < 5; i++) await putOk(first.store, message(TOPIC, i));
    const release = disk.stallFsyncs();
    // Not acknowledged: they reach the page cache of file 0 and file 1, never the disk.
    const unsynced = Array.from({ length: 40 }, (_, i) =>
      first.store.putMessage(message(TOPIC, 5 + i)),
    );
    await clock.settle();
    expect(first.store.getMaxPhyOffset()).toBeGreaterThan(FILE_SIZE);
    disk.processCrash();
    first.process.kill();
    release();
    await onClock(clock, first.store.halt());
    await Promise.allSettled(unsynced);

    const second = await openLife(disk, clock, config);
    const recoveredEnd = second.store.recovery.processOffset;
    expect(recoveredEnd).toBeGreaterThan(FILE_SIZE); // the page cache held it all
    const acked = await putOk(second.store, message(TOPIC, 100));
    await powerCut(disk, clock, second);

    const third = await openLife(disk, clock, config);
    try {
      expect(third.store.recovery.processOffset).toBeGreaterThan(recoveredEnd);
      expect((await readBodies(third.store, TOPIC)).at(-1)).toBe(
        message(TOPIC, 100).body.toString(),
      );
      expect(third.store.getMaxOffsetInQueue(TOPIC, 0)).toBe(
        (acked.appendResult?.logicsOffset ?? 0) + 1,
      );
    } finally {
      await shutdown(clock, third);
    }
  });
});
