import { SimulatedDisk, VirtualClock } from "@store/mapped-file/testing";
import { describe, expect, it } from "vitest";
import { QUIET_SERVICES, openLife, powerCut, shutdown } from "./crash-kit.js";
import { commitLogFile, putOk, readQueue } from "./store-test-kit.js";

describe("recovery of a record torn by a power cut", () => {
  for (const crc of [
    { name: "with the CRC property (the default)", enabledAppendPropCRC: true },
    {
      name: "without it (enabledAppendPropCRC off, forceVerifyPropCRC on)",
      enabledAppendPropCRC: false,
    },
  ]) {
    it(`cuts a record whose write was torn inside its properties (its body CRC still matches), ${crc.name}`, async () => {
      await tornInsideProperties({ enabledAppendPropCRC: crc.enabledAppendPropCRC });
    });
  }
});

/** Writes a record whose properties cross a sector boundary, tears its write there, and recovers. */
async function tornInsideProperties(extra: { enabledAppendPropCRC: boolean }): Promise<void> {
  const clock = new VirtualClock();
  const disk = new SimulatedDisk({ clock });
  const config = { ...QUIET_SERVICES, flushDiskType: "ASYNC_FLUSH", ...extra } as const;
  const life = await openLife(disk, clock, config);
  await putOk(life.store, { topic: "T", body: Buffer.from("first") });
  await life.store.commitLog.mappedFileQueue.flush(0); // durable
  // Its properties run across the 512-byte sector boundary; the torn write keeps the sector before it.
  const properties = { note: "p".repeat(800) };
  const torn = await putOk(life.store, { topic: "T", body: Buffer.from("second"), properties });
  const start = torn.appendResult?.wroteOffset ?? 0;
  expect(start + 91 + 6 + 1 + 2).toBeLessThan(512);
  expect(start + (torn.appendResult?.wroteBytes ?? 0)).toBeGreaterThan(512);
  await powerCut(disk, clock, life, { keepUnsyncedWrites: 0, tearNextWrite: true });

  const after = await openLife(disk, clock, config);
  try {
    expect(after.store.recovery).toMatchObject({
      mode: "abnormal",
      processOffset: start,
      truncatedRecords: 1,
    });
    const served = await readQueue(after.store, "T");
    expect(served.map((m) => m.body.toString())).toEqual(["first"]);
    expect(
      (await putOk(after.store, { topic: "T", body: Buffer.from("third") })).appendResult
        ?.logicsOffset,
    ).toBe(1);
  } finally {
    await shutdown(clock, after);
  }
}

describe("the whole-record CRC property in the store", () => {
  it("reads a log written without it after it is turned on, and recovers it after a crash", async () => {
    const clock = new VirtualClock();
    const disk = new SimulatedDisk({ clock });
    const off = {
      ...QUIET_SERVICES,
      flushDiskType: "SYNC_FLUSH",
      enabledAppendPropCRC: false,
    } as const;
    const before = await openLife(disk, clock, off);
    for (let i = 0; i < 5; i++)
      await putOk(before.store, { topic: "T", body: Buffer.from(`old-${i}`), tags: "a" });
    await powerCut(disk, clock, before); // a crash: the next open validates the old records, forced
    const on = { ...QUIET_SERVICES, flushDiskType: "SYNC_FLUSH" } as const;
    const after = await openLife(disk, clock, on);
    try {
      expect(after.store.recovery).toMatchObject({
        mode: "abnormal",
        recordsScanned: 5,
        truncatedRecords: 0,
      });
      await putOk(after.store, { topic: "T", body: Buffer.from("new"), tags: "a" });
      const served = await readQueue(after.store, "T");
      expect(served.map((m) => m.body.toString())).toEqual([
        "old-0",
        "old-1",
        "old-2",
        "old-3",
        "old-4",
        "new",
      ]);
      expect(served.map((m) => ({ ...m.properties }))).toEqual(
        Array.from({ length: 6 }, () => ({ TAGS: "a" })),
      );
      expect(served.at(-1)?.totalSize).toBe((served[0]?.totalSize ?? 0) - 2 + 20); // "new" is 2 bytes shorter
    } finally {
      await shutdown(clock, after);
    }
  });

  it("cuts a record whose properties were damaged on disk, where only the whole-record CRC can see it", async () => {
    const clock = new VirtualClock();
    const disk = new SimulatedDisk({ clock });
    const config = { ...QUIET_SERVICES, flushDiskType: "SYNC_FLUSH" } as const;
    const life = await openLife(disk, clock, config);
    const puts = [];
    for (let i = 0; i < 4; i++)
      puts.push(
        await putOk(life.store, {
          topic: "T",
          body: Buffer.from(`m-${i}`),
          properties: { note: `value-${i}` },
        }),
      );
    await shutdown(clock, life);
    const third = puts[2]?.appendResult;
    const record = disk
      .readFile(commitLogFile(0))
      .subarray(third?.wroteOffset ?? 0, (third?.wroteOffset ?? 0) + (third?.wroteBytes ?? 0));
    disk.corrupt(
      commitLogFile(0),
      (third?.wroteOffset ?? 0) + record.indexOf("value-2", 0, "latin1"),
    );
    const after = await openLife(disk, clock, config);
    try {
      expect(after.store.recovery).toMatchObject({
        mode: "normal",
        processOffset: third?.wroteOffset,
        stopReason: "CRC_MISMATCH",
        truncatedRecords: 2,
      });
      expect((await readQueue(after.store, "T")).map((m) => m.body.toString())).toEqual([
        "m-0",
        "m-1",
      ]);
    } finally {
      await shutdown(clock, after);
    }
  });
});
