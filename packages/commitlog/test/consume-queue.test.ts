import { SimulatedDisk } from "@store/mapped-file/testing";
import { describe, expect, it } from "vitest";
import type { ConsumeQueueUnit } from "../src/consume-queue.js";
import { CQ_STORE_UNIT_SIZE, ConsumeQueue, isHoleUnit } from "../src/consume-queue.js";
import {
  bodies,
  message,
  openOnDisk,
  putOk,
  readBodies,
  waitDispatched,
} from "./store-test-kit.js";

const ROOT = "/store/consumequeue";
const MSG_SIZE = 100;

function unitAt(index: number): ConsumeQueueUnit {
  return { offset: index * MSG_SIZE, size: MSG_SIZE, tagsCode: index };
}

/** A queue of topic "T", queue 0, on `disk`; `unitsPerFile` units per file. */
function newQueue(disk: SimulatedDisk, unitsPerFile?: number): ConsumeQueue {
  const mappedFileSize = unitsPerFile === undefined ? undefined : unitsPerFile * CQ_STORE_UNIT_SIZE;
  return new ConsumeQueue({ rootDir: ROOT, topic: "T", queueId: 0, mappedFileSize, io: disk });
}

async function putUnits(queue: ConsumeQueue, count: number, from = 0): Promise<void> {
  for (let i = from; i < from + count; i++)
    expect(await queue.putMessagePositionInfo(unitAt(i), i)).toBe(true);
}

async function reload(disk: SimulatedDisk, unitsPerFile?: number): Promise<ConsumeQueue> {
  const queue = newQueue(disk, unitsPerFile);
  await queue.load();
  await queue.recover();
  return queue;
}

function queueFiles(disk: SimulatedDisk): string[] {
  return disk.listFiles().filter((path) => path.startsWith(`${ROOT}/T/0/`));
}

describe("ConsumeQueue", () => {
  // RocketMQ ConsumeQueueTest.testPutMessagePositionInfo_buildCQRepeatedly
  it("treats re-putting a unit for an already-indexed offset as a duplicate (true, nothing written)", async () => {
    const disk = new SimulatedDisk();
    const queue = newQueue(disk);
    await putUnits(queue, 3);
    const writes = disk.counters.writes;
    expect(await queue.putMessagePositionInfo(unitAt(0), 0)).toBe(true);
    expect(await queue.putMessagePositionInfo(unitAt(2), 2)).toBe(true);
    expect(disk.counters.writes).toBe(writes);
    expect(queue.getMaxOffsetInQueue()).toBe(3);
    expect(queue.maxPhysicOffset).toBe(3 * MSG_SIZE);
  });

  it("recognises a duplicate by its queue offset too, after a restart forgot the max physical offset", async () => {
    const disk = new SimulatedDisk();
    const queue = newQueue(disk);
    await putUnits(queue, 3);
    await queue.flush(0);
    const again = newQueue(disk);
    await again.load();
    await again.recover();
    expect(await again.putMessagePositionInfo({ offset: 0, size: 5000, tagsCode: 0 }, 1)).toBe(
      true,
    );
    expect(again.getMaxOffsetInQueue()).toBe(3);
    expect(await again.getUnit(1)).toEqual(unitAt(1));
  });

  // RocketMQ ConsumeQueueTest.testCorrectMinOffset (research §8)
  it("correctMinOffset moves the min to the first unit at or past the commit log's min offset", async () => {
    const disk = new SimulatedDisk();
    const queue = newQueue(disk);
    const max = 10_000;
    await putUnits(queue, max);
    expect(queue.getMaxOffsetInQueue()).toBe(max);
    queue.setMinLogicOffset(100);
    await queue.correctMinOffset(2000);
    expect(queue.getMinOffsetInQueue()).toBe(20);
    queue.setMinLogicOffset((max - 1) * CQ_STORE_UNIT_SIZE);
    await queue.correctMinOffset(max * MSG_SIZE);
    expect(queue.minLogicOffset).toBe(max * CQ_STORE_UNIT_SIZE);
  });

  it("correctMinOffset never moves the min back", async () => {
    const disk = new SimulatedDisk();
    const queue = newQueue(disk);
    await putUnits(queue, 50);
    queue.setMinLogicOffset(30 * CQ_STORE_UNIT_SIZE);
    await queue.correctMinOffset(0);
    expect(queue.getMinOffsetInQueue()).toBe(30);
  });

  it("truncateDirtyLogicFiles keeps only units whose records lie wholly below the cut, deleting later files", async () => {
    const disk = new SimulatedDisk();
    const queue = newQueue(disk, 10);
    await putUnits(queue, 35);
    expect(queueFiles(disk)).toHaveLength(4);
    await queue.truncateDirtyLogicFiles(21 * MSG_SIZE + 50); // inside the record of unit 21
    expect(queue.getMaxOffsetInQueue()).toBe(21);
    expect(queue.maxPhysicOffset).toBe(21 * MSG_SIZE);
    expect(queueFiles(disk)).toHaveLength(3);
    expect(await queue.getUnit(20)).toEqual(unitAt(20));
    expect(await queue.getUnit(21)).toBeNull();
    // The next dispatch continues right after the cut.
    expect(await queue.putMessagePositionInfo(unitAt(21), 21)).toBe(true);
    expect(queue.getMaxOffsetInQueue()).toBe(22);
  });

  it("makes a cut durable: a power cut after it and before new units brings no cut unit back", async () => {
    const disk = new SimulatedDisk();
    const queue = newQueue(disk, 10);
    await putUnits(queue, 15);
    while (await queue.flush(0));
    await queue.truncateDirtyLogicFiles(12 * MSG_SIZE);
    expect(await queue.putMessagePositionInfo(unitAt(12), 12)).toBe(true); // never flushed
    disk.powerCut();
    const again = await reload(disk, 10);
    expect(again.getMaxOffsetInQueue()).toBe(12);
    expect(await again.getUnit(13)).toBeNull();
  });

  it("recover(keepUnitsBelow) scans back past any number of files whose first unit is missing", async () => {
    const disk = new SimulatedDisk();
    const queue = newQueue(disk, 10);
    await putUnits(queue, 95);
    while (await queue.flush(0));
    for (let file = 3; file < 10; file++)
      disk.overwrite(
        `${ROOT}/T/0/${String(file * 10 * CQ_STORE_UNIT_SIZE).padStart(20, "0")}`,
        0,
        Buffer.alloc(10 * CQ_STORE_UNIT_SIZE),
      );
    const again = newQueue(disk, 10);
    await again.load();
    const scan = await again.recover(95 * MSG_SIZE);
    expect(scan).toMatchObject({
      end: 30 * CQ_STORE_UNIT_SIZE,
      lastRecordEnd: 30 * MSG_SIZE,
      mismatched: 0,
    });
    expect(again.getMaxOffsetInQueue()).toBe(30);
    expect(queueFiles(disk)).toHaveLength(4);
  });

  it("recover(keepUnitsBelow, check) cuts the last units that do not match their records, and counts them", async () => {
    const disk = new SimulatedDisk();
    const queue = newQueue(disk, 10);
    await putUnits(queue, 12);
    while (await queue.flush(0));
    const again = newQueue(disk, 10);
    await again.load();
    const scan = await again.scanForRecovery(Number.POSITIVE_INFINITY, (_queue, unit, index) =>
      Promise.resolve(index < 9 && unit.offset === index * MSG_SIZE),
    );
    expect(scan).toMatchObject({
      end: 9 * CQ_STORE_UNIT_SIZE,
      lastRecordEnd: 9 * MSG_SIZE,
      mismatched: 3,
    });
    expect(again.getMaxOffsetInQueue()).toBe(20); // a scan changes nothing
  });

  it("truncateDirtyLogicFiles at a file boundary and at 0", async () => {
    const disk = new SimulatedDisk();
    const queue = newQueue(disk, 10);
    await putUnits(queue, 25);
    await queue.truncateDirtyLogicFiles(10 * MSG_SIZE);
    expect(queue.getMaxOffsetInQueue()).toBe(10);
    expect(queue.maxPhysicOffset).toBe(10 * MSG_SIZE);
    await queue.truncateDirtyLogicFiles(0);
    expect(queue.getMaxOffsetInQueue()).toBe(0);
    expect(queue.maxPhysicOffset).toBe(-1);
    expect(await queue.putMessagePositionInfo(unitAt(0), 0)).toBe(true);
    expect(queue.getMaxOffsetInQueue()).toBe(1);
  });

  it("recover() stops at a zeroed unit and cuts the index there", async () => {
    const disk = new SimulatedDisk();
    const queue = newQueue(disk, 10);
    await putUnits(queue, 25);
    while (await queue.flush(0));
    disk.overwrite(
      `${ROOT}/T/0/${String(10 * CQ_STORE_UNIT_SIZE).padStart(20, "0")}`,
      7 * CQ_STORE_UNIT_SIZE,
      Buffer.alloc(CQ_STORE_UNIT_SIZE),
    );
    const again = await reload(disk, 10);
    expect(again.getMaxOffsetInQueue()).toBe(17);
    expect(again.maxPhysicOffset).toBe(17 * MSG_SIZE);
    expect(queueFiles(disk)).toHaveLength(2);
    expect(await again.putMessagePositionInfo(unitAt(17), 17)).toBe(true);
    expect(again.getMaxOffsetInQueue()).toBe(18);
  });

  it("recover() of an intact queue keeps every unit (full files, then a partial one)", async () => {
    const disk = new SimulatedDisk();
    const queue = newQueue(disk, 10);
    await putUnits(queue, 23);
    while (await queue.flush(0));
    const again = await reload(disk, 10);
    expect(again.getMaxOffsetInQueue()).toBe(23);
    expect(again.maxPhysicOffset).toBe(23 * MSG_SIZE);
    expect(await again.getUnits(20, 10)).toEqual([unitAt(20), unitAt(21), unitAt(22)]);
  });

  it("fills a gap in queue offsets with hole units, which survive a restart", async () => {
    const disk = new SimulatedDisk();
    const queue = newQueue(disk, 10);
    await putUnits(queue, 2);
    expect(await queue.putMessagePositionInfo(unitAt(2), 13)).toBe(true);
    expect(queue.getMaxOffsetInQueue()).toBe(14);
    const units = await queue.getUnits(0, 10);
    expect(units.slice(0, 2)).toEqual([unitAt(0), unitAt(1)]);
    expect(units.slice(2).every(isHoleUnit)).toBe(true);
    const tail = await queue.getUnits(10, 10);
    expect(tail.slice(0, 3).every(isHoleUnit)).toBe(true);
    expect(tail[3]).toEqual(unitAt(2));
    expect(queue.maxPhysicOffset).toBe(3 * MSG_SIZE);
    while (await queue.flush(0));
    const again = await reload(disk, 10);
    expect(again.getMaxOffsetInQueue()).toBe(14);
    expect(again.maxPhysicOffset).toBe(3 * MSG_SIZE);
  });

  it("starts a queue whose first unit is not unit 0 at that offset (min offset there)", async () => {
    const disk = new SimulatedDisk();
    const queue = newQueue(disk, 10);
    expect(await queue.putMessagePositionInfo(unitAt(0), 25)).toBe(true);
    expect(queue.getMinOffsetInQueue()).toBe(25);
    expect(queue.getMaxOffsetInQueue()).toBe(26);
    expect(await queue.getUnit(24)).toBeNull();
    expect(await queue.getUnit(25)).toEqual(unitAt(0));
  });

  it("deleteExpiredFile removes files that only point below the commit log's min offset and moves the min", async () => {
    const disk = new SimulatedDisk();
    const queue = newQueue(disk, 10);
    await putUnits(queue, 35);
    const deleted = await queue.deleteExpiredFile(22 * MSG_SIZE);
    expect(deleted).toBe(2);
    expect(queue.getMinOffsetInQueue()).toBe(22);
    expect(queue.getMaxOffsetInQueue()).toBe(35);
    expect(await queue.getUnits(0, 5)).toEqual([]);
    expect((await queue.getUnits(22, 3)).map((u) => u.offset)).toEqual([2200, 2300, 2400]);
  });

  it("getUnits stays inside one file and returns nothing past the end", async () => {
    const disk = new SimulatedDisk();
    const queue = newQueue(disk, 10);
    await putUnits(queue, 15);
    expect(await queue.getUnits(8, 10)).toEqual([unitAt(8), unitAt(9)]);
    expect(await queue.getUnits(15, 10)).toEqual([]);
    expect(await queue.getUnits(100, 10)).toEqual([]);
    expect(await queue.getUnit(14)).toEqual(unitAt(14));
  });
});

describe("ConsumeQueue holes through the store", () => {
  it("reads skip the hole units of a gap in queue offsets, before and after a restart", async () => {
    const disk = new SimulatedDisk();
    const config = { flushDiskType: "SYNC_FLUSH" as const };
    const store = await openOnDisk(disk, config);
    await putOk(store, message("T", 0));
    store.commitLog.topicQueueTable.set("T-0", 5); // the next message gets queue offset 5
    expect((await putOk(store, message("T", 1))).appendResult?.logicsOffset).toBe(5);
    await waitDispatched(store, "T", 6);
    const check = async (s: typeof store): Promise<void> => {
      const all = await s.getMessage("group", "T", 0, 0, 32);
      expect(all).toMatchObject({ status: "FOUND", nextBeginOffset: 6 });
      expect(all.messages).toHaveLength(2);
      const fromHole = await s.getMessage("group", "T", 0, 2, 32);
      expect(fromHole).toMatchObject({ status: "FOUND", nextBeginOffset: 6 });
      expect(fromHole.messages).toHaveLength(1);
      const onlyHoles = await s.getMessage("group", "T", 0, 1, 2);
      expect(onlyHoles.messages).toHaveLength(0);
      expect(onlyHoles.nextBeginOffset).toBe(3);
      expect(await readBodies(s, "T")).toEqual(bodies(2));
    };
    await check(store);
    await store.shutdown();
    const again = await openOnDisk(disk, config);
    try {
      await check(again);
      expect((await putOk(again, message("T", 2))).appendResult?.logicsOffset).toBe(6);
    } finally {
      await again.shutdown();
    }
  });
});
