import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MappedFile, TransientStorePool } from "../src/index.js";
import { SimulatedDisk } from "../src/testing.js";
import { bytesCallback, pattern } from "./helpers.js";

const FILE_SIZE = 32 * 1024; // 8 pages: thresholds and the end of the file both come into play
const PATH = "/store/commitlog/00000000000000000000";

type Op =
  | { kind: "append"; size: number; raw: boolean; seed: number }
  | { kind: "commit" | "flush"; leastPages: number; wait: boolean }
  | { kind: "yield" }
  /** Starts holding fdatasyncs back, or lets them go: appends and commits then land during a flush. */
  | { kind: "stall" };

interface Scenario {
  pooled: boolean;
  ops: Op[];
  keepUnsyncedWrites: number;
  tearNextWrite: boolean;
}

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("append" as const),
      size: fc.oneof(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 12_000 })),
      raw: fc.boolean(),
      seed: fc.integer({ min: 1, max: 1_000_000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constantFrom("commit" as const, "flush" as const),
      leastPages: fc.integer({ min: 0, max: 3 }),
      wait: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "yield" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "stall" as const }) },
);

const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.record({
  pooled: fc.boolean(),
  ops: fc.array(opArbitrary, { maxLength: 60, size: "max" }),
  keepUnsyncedWrites: fc.nat({ max: 12 }),
  tearNextWrite: fc.boolean(),
});

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A pool whose only buffer holds garbage from an earlier file, as a reused buffer would. */
function dirtyPool(): TransientStorePool {
  const pool = new TransientStorePool(1, FILE_SIZE);
  pool.init();
  const buffer = pool.borrowBuffer();
  if (buffer === null) throw new Error("empty pool");
  buffer.fill(0x5a);
  pool.returnBuffer(buffer);
  return pool;
}

/**
 * Runs the operations against a fresh file. Returns the file, the bytes a reader should eventually
 * see (`expected`: every append placed where it went, zeros elsewhere), the commits and flushes
 * still in flight (not awaited, so a crash can land in the middle of them) and the release of any
 * held fdatasyncs.
 */
async function run(disk: SimulatedDisk, scenario: Scenario) {
  const file = await MappedFile.open(PATH, FILE_SIZE, {
    io: disk,
    transientStorePool: scenario.pooled ? dirtyPool() : null,
  });
  const expected = Buffer.alloc(FILE_SIZE);
  const inFlight: Promise<number>[] = [];
  let releaseFsyncs: (() => void) | null = null;
  for (const op of scenario.ops) {
    if (op.kind === "append") {
      const bytes = pattern(op.size, op.seed);
      const position = file.wrotePosition;
      if (op.raw) {
        if (file.appendMessage(bytes)) bytes.copy(expected, position);
      } else {
        const appended = file.appendMessage(bytes, bytesCallback);
        if (appended.status === "PUT_OK") bytes.copy(expected, position);
        if (appended.status === "END_OF_FILE")
          bytesCallback
            .doAppend(0, position, FILE_SIZE - position, bytes)
            .data?.copy(expected, position);
      }
    } else if (op.kind === "yield") {
      await nextTurn();
      // page-cache mode: staged appends are in the file once the tick is over
      if (!scenario.pooled) expect(file.committedPosition).toBe(file.wrotePosition);
    } else if (op.kind === "stall") {
      if (releaseFsyncs) releaseFsyncs();
      releaseFsyncs = releaseFsyncs ? null : disk.stallFsyncs();
    } else {
      const pending = op.kind === "commit" ? file.commit(op.leastPages) : file.flush(op.leastPages);
      // Waiting on a flush while fdatasyncs are held would never end (nor would a commit queued behind one).
      if (op.wait && releaseFsyncs === null) await pending;
      else inFlight.push(pending);
    }
    expect(file.flushedPosition).toBeLessThanOrEqual(file.committedPosition);
    expect(file.committedPosition).toBeLessThanOrEqual(file.wrotePosition);
    // pool mode reads what is committed; page-cache mode reads everything (a read writes staged bytes first)
    expect(file.readPosition).toBe(scenario.pooled ? file.committedPosition : file.wrotePosition);
    // A power cut right now must keep everything below flushedPosition (the durable view is what it keeps).
    expect(
      firstMismatch(disk.readFile(PATH, "durable"), expected, 0, file.flushedPosition, false),
    ).toBe(-1);
  }
  return { file, expected, inFlight, releaseFsyncs: releaseFsyncs ?? ((): void => undefined) };
}

/** The first index where `actual` breaks the rule, or -1. */
function firstMismatch(
  actual: Buffer,
  expected: Buffer,
  from: number,
  to: number,
  zeroAllowed: boolean,
): number {
  for (let i = from; i < to; i++) {
    if (actual[i] !== expected[i] && !(zeroAllowed && actual[i] === 0)) return i;
  }
  return -1;
}

async function powerCutKeepsEverythingFlushed(scenario: Scenario): Promise<void> {
  const disk = new SimulatedDisk();
  const { file, expected, inFlight } = await run(disk, scenario);
  const flushed = file.flushedPosition; // covers every flush that returned before the cut
  disk.powerCut({
    keepUnsyncedWrites: scenario.keepUnsyncedWrites,
    tearNextWrite: scenario.tearNextWrite,
  });
  await Promise.allSettled(inFlight);

  const after = disk.readFile(PATH);
  expect(after.length).toBe(FILE_SIZE);
  expect(firstMismatch(after, expected, 0, flushed, false)).toBe(-1);
  expect(firstMismatch(after, expected, flushed, FILE_SIZE, true)).toBe(-1);

  const reopened = await MappedFile.open(PATH, FILE_SIZE, { io: disk });
  reopened.resetPositions(flushed);
  if (flushed > 0) {
    const read = await reopened.selectMappedBuffer(0);
    expect(read?.buffer.equals(expected.subarray(0, flushed))).toBe(true);
    read?.release();
  }
  await reopened.close();
}

async function processCrashKeepsEverythingCommitted(scenario: Scenario): Promise<void> {
  const disk = new SimulatedDisk();
  const { file, expected, inFlight, releaseFsyncs } = await run(disk, scenario);
  const committed = file.committedPosition;
  disk.processCrash();
  releaseFsyncs(); // a process crash does not clear held fdatasyncs; they now fail on the closed descriptor
  await Promise.allSettled(inFlight);
  const after = disk.readFile(PATH);
  expect(firstMismatch(after, expected, 0, committed, false)).toBe(-1);
  expect(firstMismatch(after, expected, committed, FILE_SIZE, true)).toBe(-1);
}

describe("MappedFile durability on SimulatedDisk", () => {
  it("keeps every byte below flushedPosition through a power cut; later bytes are appended ones or zeros", async () => {
    await fc.assert(fc.asyncProperty(scenarioArbitrary, powerCutKeepsEverythingFlushed), {
      numRuns: 150,
    });
  });

  it("keeps everything committed through a process crash", async () => {
    await fc.assert(fc.asyncProperty(scenarioArbitrary, processCrashKeepsEverythingCommitted), {
      numRuns: 100,
    });
  });

  it("survives a power cut that lands during a stalled fdatasync: the flush fails, flushedPosition never lied", async () => {
    const disk = new SimulatedDisk();
    const file = await MappedFile.open(PATH, FILE_SIZE, { io: disk });
    file.appendMessage(pattern(5000, 1));
    expect(await file.flush(0)).toBe(5000);
    file.appendMessage(pattern(5000, 2));
    const release = disk.stallFsyncs();
    const flushing = file.flush(0);
    await nextTurn();
    disk.powerCut();
    release();
    await expect(flushing).rejects.toMatchObject({ code: "IO_ERROR" });
    expect(file.flushedPosition).toBe(5000);
    const after = disk.readFile(PATH);
    expect(after.subarray(0, 5000).equals(pattern(5000, 1))).toBe(true);
    expect(after.subarray(5000).equals(Buffer.alloc(FILE_SIZE - 5000))).toBe(true);
  });

  it("holds the power-cut property over many more runs", { tags: ["slow"] }, async () => {
    await fc.assert(fc.asyncProperty(scenarioArbitrary, powerCutKeepsEverythingFlushed), {
      numRuns: 5000,
    });
    await fc.assert(fc.asyncProperty(scenarioArbitrary, processCrashKeepsEverythingCommitted), {
      numRuns: 2000,
    });
  });
});
