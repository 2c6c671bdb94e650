import { SimulatedDisk, VirtualClock } from "@store/mapped-file/testing";
import { describe, expect, it } from "vitest";
import { writeInt32BE, writeInt64BE } from "@store/message-codec";
import { CQ_STORE_UNIT_SIZE } from "../src/consume-queue.js";
import type { RecoveryCase } from "../src/dispatch-plan.js";
import {
  DISPATCH_RULES,
  FIRST_DISPATCH_OFFSET,
  firstDispatchOffset,
  keepUnitsBelow,
  recoveryCase,
} from "../src/dispatch-plan.js";
import type { MessageStore } from "../src/message-store.js";
import type { Life } from "./crash-kit.js";
import { QUIET_SERVICES, openLife, powerCut, shutdown } from "./crash-kit.js";
import { SIM_ROOT, commitLogFile, putOk, readBodies } from "./store-test-kit.js";

const TOPIC = "T";
const FILE_SIZE = 64 * 1024;

interface Put {
  readonly body: string;
  readonly queueId: number;
  readonly offset: number;
  readonly size: number;
  readonly queueOffset: number;
}

const config = {
  ...QUIET_SERVICES,
  flushDiskType: "SYNC_FLUSH",
  mappedFileSizeCommitLog: FILE_SIZE,
  flushIntervalConsumeQueue: 1000,
  flushConsumeQueueThoroughInterval: 1000,
} as const;

async function putPhase(store: MessageStore, phase: string, count: number): Promise<Put[]> {
  const puts: Put[] = [];
  for (let i = 0; i < count; i++) {
    const body = `${phase}-${String(i).padStart(3, "0")}`.padEnd(1000, ".");
    const queueId = i % 2;
    const append = (await putOk(store, { topic: TOPIC, queueId, body: Buffer.from(body) }))
      .appendResult;
    puts.push({
      body,
      queueId,
      offset: append?.wroteOffset ?? -1,
      size: append?.wroteBytes ?? -1,
      queueOffset: append?.logicsOffset ?? -1,
    });
  }
  return puts;
}

/**
 * Three phases of SYNC puts (70, 60, 60) over queues 0 and 1, 5 s apart: the checkpoint covers the first two,
 * the third's units are only in the page cache. Then a power cut.
 */
async function crashedStore(clock: VirtualClock, disk: SimulatedDisk): Promise<Put[]> {
  const life = await openLife(disk, clock, config);
  const puts = await putPhase(life.store, "a", 70); // into the second file
  await clock.advance(5000);
  puts.push(...(await putPhase(life.store, "b", 60)));
  await clock.advance(5000);
  puts.push(...(await putPhase(life.store, "c", 60)));
  await clock.settle();
  await powerCut(disk, clock, life);
  return puts;
}

async function expectAllServed(store: MessageStore, puts: readonly Put[]): Promise<void> {
  for (const queueId of [0, 1]) {
    expect(await readBodies(store, TOPIC, queueId)).toEqual(
      puts.filter((p) => p.queueId === queueId).map((p) => p.body),
    );
  }
}

function queueFile(queueId: number, fileStart = 0): string {
  return `${SIM_ROOT}/consumequeue/${TOPIC}/${queueId}/${String(fileStart).padStart(20, "0")}`;
}

describe("DISPATCH_RULES: the rows", () => {
  it("picks a row from the abort file and the state of the queues", () => {
    expect(recoveryCase({ abortFileFound: false, queuesDamaged: false })).toBe("CLEAN_SHUTDOWN");
    expect(recoveryCase({ abortFileFound: true, queuesDamaged: false })).toBe("CRASH");
    expect(recoveryCase({ abortFileFound: true, queuesDamaged: true })).toBe("QUEUES_DAMAGED");
    expect(recoveryCase({ abortFileFound: false, queuesDamaged: true })).toBe("QUEUES_DAMAGED");
  });

  it("resolves each row's kept-units point to a commit-log offset", () => {
    const points = { logStart: 100, logEnd: 900, checkpointPoint: 400, highestUnitEnd: 700 };
    expect(keepUnitsBelow(DISPATCH_RULES.CLEAN_SHUTDOWN, points)).toBe(900);
    expect(keepUnitsBelow(DISPATCH_RULES.CRASH, points)).toBe(400);
    expect(keepUnitsBelow(DISPATCH_RULES.QUEUES_DAMAGED, points)).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe("FIRST_DISPATCH_OFFSET: one test per row", () => {
  const points = { logStart: 100, logEnd: 900, checkpointPoint: 400, highestUnitEnd: 700 };

  it("CLEAN_SHUTDOWN: the end of the highest kept unit's record, within [log start, log end]", () => {
    for (const scanDispatchedAll of [false, true]) {
      const facts = { case: "CLEAN_SHUTDOWN", scanDispatchedAll } as const;
      expect(firstDispatchOffset(facts, points)).toMatchObject({
        offset: 700,
        row: { start: "END_OF_HIGHEST_UNIT" },
      });
      expect(firstDispatchOffset(facts, { ...points, highestUnitEnd: -1 }).offset).toBe(100);
      expect(firstDispatchOffset(facts, { ...points, highestUnitEnd: 2000 }).offset).toBe(900);
    }
  });

  it("CRASH with a scan that dispatched every record it validated: the recovered log end", () => {
    expect(firstDispatchOffset({ case: "CRASH", scanDispatchedAll: true }, points)).toMatchObject({
      offset: 900,
      row: { start: "RECOVERED_LOG_END" },
    });
  });

  it("CRASH with a scan that stopped dispatching: the checkpoint point", () => {
    expect(firstDispatchOffset({ case: "CRASH", scanDispatchedAll: false }, points)).toMatchObject({
      offset: 400,
      row: { start: "CHECKPOINT_POINT" },
    });
  });

  it("QUEUES_DAMAGED: the log start, whatever the scan did", () => {
    for (const scanDispatchedAll of [false, true]) {
      expect(
        firstDispatchOffset({ case: "QUEUES_DAMAGED", scanDispatchedAll }, points),
      ).toMatchObject({ offset: 100, row: { start: "LOG_START" } });
    }
  });

  it("has exactly one row for each case and scan outcome that recovery can meet", () => {
    const reachable: [RecoveryCase, boolean][] = [
      ["CLEAN_SHUTDOWN", false],
      ["CRASH", true],
      ["CRASH", false],
      ["QUEUES_DAMAGED", false],
    ];
    expect(FIRST_DISPATCH_OFFSET.map((row) => [row.case, row.scanDispatchedAll])).toEqual(
      reachable,
    );
  });
});

describe("DISPATCH_RULES in MessageStore.open, one test per row", () => {
  it("CLEAN_SHUTDOWN: keeps the units below the recovered log end and restarts at the highest unit's end", async () => {
    const clock = new VirtualClock();
    const disk = new SimulatedDisk({ clock });
    const life: Life = await openLife(disk, clock, config);
    const puts = await putPhase(life.store, "a", 40);
    await shutdown(clock, life);
    const bad = puts[37] as Put; // damage found after the clean shutdown: the log is cut there
    disk.corrupt(
      commitLogFile(bad.offset - (bad.offset % FILE_SIZE)),
      (bad.offset % FILE_SIZE) + 100,
    );
    const after = await openLife(disk, clock, config);
    try {
      expect(after.store.recovery).toMatchObject({ mode: "normal", processOffset: bad.offset });
      expect(after.store.queueRecovery).toMatchObject({
        case: "CLEAN_SHUTDOWN",
        keptUnitsBelow: bad.offset,
        restartedAt: bad.offset,
        dispatchStart: "END_OF_HIGHEST_UNIT",
        mismatchedUnits: 0,
        gapsFound: 0,
      });
      await expectAllServed(after.store, puts.slice(0, 37));
    } finally {
      await shutdown(clock, after);
    }
  });

  it("CLEAN_SHUTDOWN only after a shutdown that flushed every queue: a failed final flush keeps abort", async () => {
    const clock = new VirtualClock();
    const disk = new SimulatedDisk({ clock });
    const life = await openLife(disk, clock, config);
    const puts = await putPhase(life.store, "a", 10);
    disk.failOn("fsync", "EIO", {
      pathIncludes: "/consumequeue/",
      times: Number.POSITIVE_INFINITY,
    });
    await shutdown(clock, life);
    expect(disk.exists(`${SIM_ROOT}/abort`)).toBe(true);
    disk.heal();
    disk.powerCut();
    const after = await openLife(disk, clock, config);
    try {
      expect(after.store.queueRecovery.case).toBe("CRASH");
      await expectAllServed(after.store, puts);
    } finally {
      await shutdown(clock, after);
    }
  });

  it("CLEAN_SHUTDOWN without any consume queue: restarts at the log start and indexes everything", async () => {
    const clock = new VirtualClock();
    const disk = new SimulatedDisk({ clock });
    const life = await openLife(disk, clock, config);
    const puts = await putPhase(life.store, "a", 40);
    await shutdown(clock, life);
    for (const path of disk.listFiles().filter((p) => p.includes("/consumequeue/")))
      await disk.unlink(path);
    const after = await openLife(disk, clock, config);
    try {
      expect(after.store.queueRecovery).toMatchObject({ case: "CLEAN_SHUTDOWN", restartedAt: 0 });
      await expectAllServed(after.store, puts);
    } finally {
      await shutdown(clock, after);
    }
  });

  it("CRASH: cuts the units at and past the checkpoint point, durable or not, and indexes those records again", async () => {
    const clock = new VirtualClock();
    const disk = new SimulatedDisk({ clock });
    const puts = await crashedStore(clock, disk);
    const after = await openLife(disk, clock, config);
    try {
      expect(after.store.recovery).toMatchObject({ mode: "abnormal", startOffset: FILE_SIZE });
      expect(after.store.queueRecovery).toMatchObject({
        case: "CRASH",
        keptUnitsBelow: FILE_SIZE,
        restartedAt: after.store.recovery.processOffset,
        dispatchStart: "RECOVERED_LOG_END",
        mismatchedUnits: 0,
        gapsFound: 0,
      });
      expect(after.store.queueRecovery.zeroedBytes).toBeGreaterThan(0); // units of the second phase were durable: cut anyway
      await expectAllServed(after.store, puts);
    } finally {
      await shutdown(clock, after);
    }
  });

  it("QUEUES_DAMAGED: a kept unit that points at another queue's record makes recovery rebuild every queue", async () => {
    const clock = new VirtualClock();
    const disk = new SimulatedDisk({ clock });
    const puts = await crashedStore(clock, disk);
    // Queue 0's last unit below the checkpoint point now points at the queue-1 record before its own.
    const own = puts.filter((p) => p.queueId === 0 && p.offset + p.size <= FILE_SIZE).at(-1) as Put;
    const other = puts.filter((p) => p.queueId === 1 && p.offset < own.offset).at(-1) as Put;
    const unit = Buffer.alloc(CQ_STORE_UNIT_SIZE);
    writeInt64BE(unit, 0, other.offset);
    writeInt32BE(unit, 8, other.size);
    disk.overwrite(queueFile(0), own.queueOffset * CQ_STORE_UNIT_SIZE, unit);
    const after = await openLife(disk, clock, config);
    try {
      expect(after.store.queueRecovery).toMatchObject({
        case: "QUEUES_DAMAGED",
        keptUnitsBelow: Number.NEGATIVE_INFINITY,
        restartedAt: 0,
        dispatchStart: "LOG_START",
        mismatchedUnits: 1,
      });
      expect(after.store.checkpoint.logicsMsgTimestamp).toBe(0); // its promise was broken: cleared before the rebuild
      await expectAllServed(after.store, puts);
    } finally {
      await shutdown(clock, after);
    }
  });

  it("QUEUES_DAMAGED: a queue whose files are gone shows a gap when its later records are dispatched", async () => {
    const clock = new VirtualClock();
    const disk = new SimulatedDisk({ clock });
    const puts = await crashedStore(clock, disk);
    for (const path of disk
      .listFiles()
      .filter((p) => p.startsWith(`${SIM_ROOT}/consumequeue/${TOPIC}/0/`)))
      await disk.unlink(path);
    const after = await openLife(disk, clock, config);
    try {
      expect(after.store.queueRecovery).toMatchObject({
        case: "QUEUES_DAMAGED",
        restartedAt: 0,
        mismatchedUnits: 0,
      });
      expect(after.store.queueRecovery.gapsFound).toBeGreaterThan(0);
      await expectAllServed(after.store, puts);
      expect(
        (await putOk(after.store, { topic: TOPIC, queueId: 0, body: Buffer.from("next") }))
          .appendResult?.logicsOffset,
      ).toBe(95);
    } finally {
      await shutdown(clock, after);
    }
  });
});
