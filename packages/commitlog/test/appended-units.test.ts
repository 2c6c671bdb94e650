import { SimulatedDisk } from "@store/mapped-file/testing";
import { describe, expect, it } from "vitest";
import { AppendedUnits } from "../src/appended-units.js";
import {
  PROPERTY_DELAY_TIME_LEVEL,
  PROPERTY_TAGS,
  SCHEDULE_TOPIC,
  SYSFLAG_TRANSACTION_COMMIT_TYPE,
  SYSFLAG_TRANSACTION_PREPARED_TYPE,
  SYSFLAG_TRANSACTION_ROLLBACK_TYPE,
} from "@store/message-codec";
import type { DispatchUnit } from "@store/message-codec";
import type { MessageStoreConfigInput } from "../src/message-store-config.js";
import type { MessageStore } from "../src/message-store.js";
import { waitFor } from "./helpers.js";
import { countingCommitLogReads, message, openOnDisk, putOk, SIM_ROOT } from "./store-test-kit.js";

const SIZE = 100;

function pushAt(units: AppendedUnits, offset: number, queueOffset = offset / SIZE): void {
  units.push(offset, SIZE, "T", 1, queueOffset, 7, 1000 + offset, 0);
}

/** Takes a run as takeFrom does, returning the units it visited. */
function take(units: AppendedUnits, offset: number, limit: number, max: number): DispatchUnit[] {
  const taken: DispatchUnit[] = [];
  const end = units.takeFrom(
    offset,
    limit,
    max,
    (physicalOffset, size, topic, queueId, queueOffset, tagsCode, storeTimestamp, sysFlag) => {
      taken.push({
        kind: "MESSAGE",
        physicalOffset,
        size,
        topic,
        queueId,
        queueOffset,
        tagsCode,
        storeTimestamp,
        sysFlag,
      });
    },
  );
  expect(end).toBe(offset + taken.reduce((sum, unit) => sum + unit.size, 0));
  return taken;
}

describe("AppendedUnits", () => {
  it("keeps each unit's KEYS and UNIQ_KEY (for the message index) across the ring's growth", () => {
    const units = new AppendedUnits(64, 2);
    for (let i = 0; i < 5; i++)
      units.push(
        i * SIZE,
        SIZE,
        "T",
        0,
        i,
        0,
        1000,
        0,
        i % 2 === 0 ? `k${i} shared` : undefined,
        `u${i}`,
      );
    units.dropBefore(SIZE); // the ring wraps before it grows
    for (let i = 5; i < 9; i++)
      units.push(i * SIZE, SIZE, "T", 0, i, 0, 1000, 0, `k${i}`, undefined);
    const seen: [string | undefined, string | undefined][] = [];
    units.takeFrom(SIZE, 9 * SIZE, 100, (...unit) => seen.push([unit[8], unit[9]]));
    expect(seen).toEqual([
      [undefined, "u1"],
      ["k2 shared", "u2"],
      [undefined, "u3"],
      ["k4 shared", "u4"],
      ["k5", undefined],
      ["k6", undefined],
      ["k7", undefined],
      ["k8", undefined],
    ]);
  });

  it("hands out the units that run back to back from an offset, up to a readable end and a count", () => {
    const units = new AppendedUnits(8);
    for (let i = 0; i < 5; i++) pushAt(units, i * SIZE);
    expect(take(units, 0, 250, 10).map((unit) => unit.physicalOffset)).toEqual([0, 100]); // the third ends at 300
    expect(take(units, 200, 1000, 2).map((unit) => unit.physicalOffset)).toEqual([200, 300]);
    expect(take(units, 400, 1000, 10)).toEqual([
      {
        kind: "MESSAGE",
        size: SIZE,
        topic: "T",
        queueId: 1,
        physicalOffset: 400,
        tagsCode: 7,
        storeTimestamp: 1400,
        queueOffset: 4,
        sysFlag: 0,
      },
    ]);
    expect(units.length).toBe(0);
  });

  it("hands out nothing when its first unit does not start at the offset asked for (a gap is read from the log)", () => {
    const units = new AppendedUnits(8);
    pushAt(units, 0);
    pushAt(units, 300); // 100..300 was not recorded
    expect(take(units, 100, 1000, 10)).toEqual([]);
    units.dropBefore(300);
    expect(take(units, 300, 1000, 10).map((unit) => unit.physicalOffset)).toEqual([300]);
    pushAt(units, 400);
    pushAt(units, 600);
    expect(take(units, 400, 1000, 10).map((unit) => unit.physicalOffset)).toEqual([400]); // stops at the gap
    expect(units.length).toBe(1);
    units.clear();
    expect(units.length).toBe(0);
  });

  it("doubles while the dispatcher lags, keeping the order across a wrap, up to its maximum", () => {
    const units = new AppendedUnits(8, 2);
    pushAt(units, 0);
    pushAt(units, 100);
    expect(take(units, 0, 10_000, 1).map((unit) => unit.physicalOffset)).toEqual([0]);
    pushAt(units, 200); // wraps to the ring's start
    pushAt(units, 300); // full: grows to 4
    expect(units.capacity).toBe(4);
    for (let i = 4; i < 12; i++) pushAt(units, i * SIZE);
    expect(units.capacity).toBe(8);
    expect(units.length).toBe(8); // the rest found it full at its maximum
    expect(take(units, 100, 100_000, 100).map((unit) => unit.physicalOffset)).toEqual([
      100, 200, 300, 400, 500, 600, 700, 800,
    ]);
  });

  it("records nothing while full, and wraps around once units are taken", () => {
    const units = new AppendedUnits(3);
    for (let i = 0; i < 5; i++) pushAt(units, i * SIZE);
    expect(units.length).toBe(3);
    expect(take(units, 0, 10_000, 2).map((unit) => unit.physicalOffset)).toEqual([0, 100]);
    pushAt(units, 300);
    pushAt(units, 400);
    expect(take(units, 200, 10_000, 10).map((unit) => unit.physicalOffset)).toEqual([
      200, 300, 400,
    ]);
  });
});

/** Every unit of every queue, as [topic, queueId, units]. */
async function allUnits(store: MessageStore): Promise<unknown[]> {
  const all: unknown[] = [];
  for (const queue of store.consumeQueues.all())
    all.push([queue.topic, queue.queueId, await queue.getUnits(0, 1000)]);
  return all.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** Everything put is readable (a pool commits in the background) and indexed. */
function allDispatched(store: MessageStore): boolean {
  return (
    store.commitLog.getMaxOffset() === store.commitLog.mappedFileQueue.getMaxWrotePosition() &&
    store.dispatchBehindBytes() === 0
  );
}

const STRATEGIES: Record<string, MessageStoreConfigInput> = {
  SYNC_FLUSH: { flushDiskType: "SYNC_FLUSH" },
  ASYNC_FLUSH: { flushDiskType: "ASYNC_FLUSH" },
  ASYNC_POOL: {
    flushDiskType: "ASYNC_FLUSH",
    transientStorePoolEnable: true,
    transientStorePoolSize: 3,
    commitIntervalCommitLog: 2,
    commitCommitLogLeastPages: 0,
  },
};

describe("dispatch from the commit log's record of its puts", () => {
  it("reads nothing back from the commit log to index single puts", async () => {
    const disk = new SimulatedDisk();
    const { io, reads } = countingCommitLogReads(disk);
    const store = await openOnDisk(
      disk,
      { flushDiskType: "SYNC_FLUSH", mappedFileSizeCommitLog: 64 * 1024 },
      { io },
    );
    try {
      const before = reads();
      for (let i = 0; i < 50; i++) await putOk(store, message("T", i, { queueId: i % 3 }));
      await waitFor(() => store.dispatchBehindBytes() === 0);
      expect(
        store.getMaxOffsetInQueue("T", 0) +
          store.getMaxOffsetInQueue("T", 1) +
          store.getMaxOffsetInQueue("T", 2),
      ).toBe(50);
      expect(reads() - before).toBe(0);
    } finally {
      await store.shutdown();
    }
  });

  for (const [strategy, config] of Object.entries(STRATEGIES)) {
    it(`${strategy}: builds the same consume queues as a rebuild that reads every record from the log`, async () => {
      const disk = new SimulatedDisk();
      let store = await openOnDisk(disk, config);
      let expected: unknown[];
      try {
        // One at a time, each dispatched before the next: every single put is indexed from the record
        // (a batch or a delayed message in between is read from the log).
        for (let i = 0; i < 150; i++) {
          const kind = i % 6;
          if (kind === 0) await putOk(store, message("T", i, { queueId: i % 4, tags: `tag-${i}` }));
          else if (kind === 1)
            await putOk(
              store,
              message("T", i, { tags: undefined, properties: { [PROPERTY_TAGS]: `prop-${i}` } }),
            );
          else if (kind === 2)
            await putOk(
              store,
              message("U", i, {
                sysFlag:
                  i % 12 === 2
                    ? SYSFLAG_TRANSACTION_PREPARED_TYPE
                    : SYSFLAG_TRANSACTION_ROLLBACK_TYPE,
              }),
            );
          else if (kind === 3)
            await putOk(
              store,
              message("U", i, { sysFlag: SYSFLAG_TRANSACTION_COMMIT_TYPE, tags: "" }),
            );
          else if (kind === 4)
            await putOk(
              store,
              message(SCHEDULE_TOPIC, i, {
                queueId: 2,
                properties: { [PROPERTY_DELAY_TIME_LEVEL]: "3" },
              }),
            );
          else
            expect(
              (await store.putMessages([message("B", i, { tags: "b" }), message("B", i + 1000)]))
                .status,
            ).toBe("PUT_OK");
          await waitFor(() => allDispatched(store));
        }
        expect(store.commitLog.getMaxOffset()).toBeGreaterThan(3 * 4096); // several files: roll-overs in between
        expected = await allUnits(store);
        expect(expected.length).toBeGreaterThanOrEqual(5);
      } finally {
        await store.shutdown();
      }
      for (const path of disk.listFiles().filter((p) => p.startsWith(`${SIM_ROOT}/consumequeue/`)))
        await disk.unlink(path);
      store = await openOnDisk(disk, config);
      try {
        await waitFor(() => allDispatched(store));
        expect(await allUnits(store)).toEqual(expected);
      } finally {
        await store.shutdown();
      }
    });
  }
});
