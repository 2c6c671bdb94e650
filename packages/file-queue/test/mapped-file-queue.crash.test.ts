// Power-cut properties of the queue over SimulatedDisk: whatever was flushed survives byte for byte,
// and what was not flushed may vanish (read back as the file's zeros) but never turns into other bytes.
import type { Preallocation } from "@store/mapped-file";
import { TransientStorePool } from "@store/mapped-file";
import { SimulatedDisk } from "@store/mapped-file/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MappedFileQueue } from "../src/index.js";
import { BLANK_RECORD, recordCallback } from "./helpers.js";

const SIZE = 8192;
const MAX_LOG = 64 * SIZE;
const STORE = "/store/commitlog";

type Op =
  | { kind: "append"; size: number }
  | { kind: "commit"; leastPages: number }
  | { kind: "flush"; leastPages: number; all: boolean };

interface Scenario {
  readonly pool: boolean;
  readonly preallocation: Preallocation;
  readonly ops: readonly Op[];
  readonly keepUnsyncedWrites: number;
  readonly tearNextWrite: boolean;
}

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("append" as const),
      size: fc.integer({ min: 1, max: 3000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("commit" as const),
      leastPages: fc.integer({ min: 0, max: 2 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("flush" as const),
      leastPages: fc.integer({ min: 0, max: 2 }),
      all: fc.boolean(),
    }),
  },
);

const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.record({
  pool: fc.boolean(),
  preallocation: fc.constantFrom<Preallocation>("zero-fill", "sparse"),
  ops: fc.array(opArbitrary, { minLength: 1, maxLength: 40 }),
  keepUnsyncedWrites: fc.nat({ max: 12 }),
  tearNextWrite: fc.boolean(),
});

/** Record bytes that are never 0, so a byte that reads back 0 is "vanished", never "changed". */
function recordBytes(sequence: number, size: number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) bytes[i] = ((sequence * 31 + i) % 255) + 1;
  return bytes;
}

/** Appends like the commit log (rolling over on END_OF_FILE) and mirrors every placed byte in `model`. */
async function appendTracked(queue: MappedFileQueue, bytes: Buffer, model: Buffer): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const file = await queue.getLastMappedFile(0);
    if (file === null) throw new Error(`no file: ${queue.lastCreateError?.message}`);
    const result = file.appendMessage(bytes, recordCallback);
    if (result.status === "PUT_OK") {
      bytes.copy(model, result.wroteOffset);
      return;
    }
    expect(result.status).toBe("END_OF_FILE");
    BLANK_RECORD.subarray(0, result.wroteBytes).copy(model, result.wroteOffset);
  }
  expect.fail("a record did not fit in a fresh file");
}

/** Runs the ops, cuts the power, and checks the durable files against what was appended. */
async function runScenario(scenario: Scenario): Promise<void> {
  const disk = new SimulatedDisk();
  const pool = scenario.pool ? new TransientStorePool(3, SIZE) : null;
  pool?.init();
  const queue = new MappedFileQueue({
    storePath: STORE,
    mappedFileSize: SIZE,
    transientStorePool: pool,
    io: disk,
    preallocation: scenario.preallocation,
  });
  const model = Buffer.alloc(MAX_LOG);
  let sequence = 0;
  let lastFlushedWhere = 0;
  for (const op of scenario.ops) {
    if (op.kind === "append") {
      await appendTracked(queue, recordBytes(sequence++, op.size), model);
    } else if (op.kind === "commit") {
      await queue.commit(op.leastPages);
    } else {
      if (op.all) while (await queue.commit(0));
      let before = queue.flushedWhere;
      while (await queue.flush(op.leastPages)) {
        expect(queue.flushedWhere).toBeGreaterThan(before);
        before = queue.flushedWhere;
        if (!op.all) break;
      }
      expect(queue.flushedWhere).toBe(before);
      if (op.all && op.leastPages === 0)
        expect(queue.flushedWhere).toBe(queue.getMaxWrotePosition());
      expect(queue.flushedWhere).toBeGreaterThanOrEqual(lastFlushedWhere);
      lastFlushedWhere = queue.flushedWhere;
    }
  }
  const flushedWhere = queue.flushedWhere;
  const files = queue.mappedFiles.map((f) => ({ path: f.fileName, from: f.fileFromOffset }));
  disk.powerCut({
    keepUnsyncedWrites: scenario.keepUnsyncedWrites,
    tearNextWrite: scenario.tearNextWrite,
  });
  for (const { path, from } of files) {
    const durable = disk.readFile(path, "durable");
    expect(durable.length).toBe(SIZE);
    for (let i = 0; i < SIZE; i++) {
      const offset = from + i;
      const expected = model[offset] ?? 0;
      const actual = durable[i] ?? -1;
      if (offset < flushedWhere) {
        if (actual !== expected)
          expect.fail(
            `flushed byte at ${offset} is ${actual}, appended ${expected} (flushedWhere ${flushedWhere})`,
          );
      } else if (actual !== expected && actual !== 0) {
        expect.fail(`unflushed byte at ${offset} became ${actual}, appended ${expected}`);
      }
    }
  }
  // the directory a power cut leaves behind loads again: no gap, no short file
  const reloaded = new MappedFileQueue({ storePath: STORE, mappedFileSize: SIZE, io: disk });
  await reloaded.load();
  expect(reloaded.mappedFiles.map((f) => f.fileName)).toEqual(files.map((f) => f.path));
  await reloaded.shutdown(0);
}

describe("MappedFileQueue under power cuts", () => {
  it("keeps every byte below flushedWhere, and bytes above it vanish or survive but never change", async () => {
    await fc.assert(fc.asyncProperty(scenarioArbitrary, runScenario), { numRuns: 150 });
  });

  it("keeps every flushed byte of a long run with many roll-overs", async () => {
    const ops: Op[] = [];
    for (let i = 0; i < 200; i++) {
      ops.push({ kind: "append", size: 700 + ((i * 37) % 1500) });
      if (i % 7 === 0) ops.push({ kind: "commit", leastPages: 0 });
      if (i % 11 === 0) ops.push({ kind: "flush", leastPages: 1, all: false });
    }
    for (const pool of [false, true]) {
      await runScenario({
        pool,
        preallocation: "zero-fill",
        ops,
        keepUnsyncedWrites: 3,
        tearNextWrite: true,
      });
    }
  });

  it("sweeps many more random scenarios", { tags: ["slow"] }, async () => {
    await fc.assert(fc.asyncProperty(scenarioArbitrary, runScenario), { numRuns: 3000 });
  });
});
