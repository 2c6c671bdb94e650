// What the message index costs the dispatcher per record, by the number of keys a record has, at
// RocketMQ's default geometry (5 000 000 slots, 20 000 000 entries) on the real disk; what a flush and
// a query cost. Baseline in the same run: the same loop handing the records to an index that does
// nothing (the dispatcher's own cost of handing them over). `pnpm bench index` (BENCH_QUICK=1: fewer
// records).
import type { BenchRow } from "@store/bench-kit";
import { makeBenchDir, nowMs, quickMode, removeBenchDir, report } from "@store/bench-kit";
import type { DispatchIndex } from "../dist/index-service.js";
import { IndexService } from "../dist/index-service.js";
import { nodeFileIO, systemClock } from "@store/mapped-file";
import { pino } from "pino";

const RECORDS = quickMode() ? 500_000 : 2_000_000;
/** Records per commit: a dispatch step's worth of appended units. */
const STEP = 4096;
const RECORD_BYTES = 1200;
const logger = pino({ level: "silent" });

/** Keys of record `n`: its UNIQ_KEY and `keyCount - 1` keys of KEYS (none at 0). */
function keysOf(
  n: number,
  keyCount: number,
): { keys: string | undefined; uniqKey: string | undefined } {
  if (keyCount === 0) return { keys: undefined, uniqKey: undefined };
  const uniqKey = `AC11000100002A9F0000${n.toString(16).toUpperCase().padStart(12, "0")}`;
  const keys =
    keyCount === 1
      ? undefined
      : Array.from({ length: keyCount - 1 }, (_, k) => `order-${n}-${k}`).join(" ");
  return { keys, uniqKey };
}

/** µs per record handing RECORDS records to `index`, a step at a time (the keys are made beforehand). */
async function feed(index: DispatchIndex, keyCount: number, base: number): Promise<number> {
  const prepared = Array.from({ length: STEP }, (_, n) => keysOf(base + n, keyCount));
  const started = nowMs();
  for (let first = 0; first < RECORDS; first += STEP) {
    for (let n = first; n < first + STEP; n++) {
      const { keys, uniqKey } = prepared[n % STEP] as {
        keys: string | undefined;
        uniqKey: string | undefined;
      };
      index.add(
        (base + n) * RECORD_BYTES,
        RECORD_BYTES,
        1_800_000_000_000 + n,
        "Bench",
        0,
        keys,
        uniqKey,
      );
    }
    await index.commit();
  }
  return ((nowMs() - started) * 1000) / RECORDS;
}

const nothing: DispatchIndex = { add: () => undefined, commit: () => Promise.resolve() };

async function keyCase(keyCount: number): Promise<BenchRow> {
  const dir = await makeBenchDir();
  try {
    const index = new IndexService({
      storePath: `${dir}/index`,
      geometry: { hashSlotNum: 5_000_000, indexNum: 20_000_000 },
      io: nodeFileIO,
      clock: systemClock,
      logger,
    });
    await index.load(false);
    const baselineUs = await feed(nothing, keyCount, 0);
    const firstUs = await feed(index, keyCount, 0); // the slot table's pages are touched for the first time
    const cpuBefore = process.cpuUsage();
    const steadyUs = await feed(index, keyCount, RECORDS);
    const cpu = process.cpuUsage(cpuBefore);
    let started = nowMs();
    await index.flush();
    const flushMs = nowMs() - started;
    const queries = 2000;
    started = nowMs();
    for (let q = 0; q < queries && keyCount > 0; q++)
      for await (const offset of index.candidates(
        "Bench",
        keysOf(RECORDS + q * 97, keyCount).uniqKey ?? "",
        0,
        Number.MAX_SAFE_INTEGER,
      ))
        void offset;
    const queryUs = keyCount > 0 ? ((nowMs() - started) * 1000) / queries : 0;
    await index.shutdown();
    return {
      keysPerRecord: keyCount,
      baselineUsPerRecord: baselineUs,
      firstPassUsPerRecord: firstUs,
      usPerRecord: steadyUs,
      extraUsPerRecord: steadyUs - baselineUs,
      cpuUsPerRecord: (cpu.user + cpu.system) / RECORDS,
      flushMs,
      candidateLookupUs: queryUs,
    };
  } finally {
    await removeBenchDir(dir);
  }
}

async function main(): Promise<void> {
  const rows: BenchRow[] = [];
  for (const keyCount of [0, 1, 2, 5]) rows.push(await keyCase(keyCount));
  report(
    "IndexService per dispatched record (µs; first pass touches the slot table, then steady)",
    rows,
    { records: RECORDS, stepRecords: STEP, rssMiB: process.memoryUsage().rss / 2 ** 20 },
  );
}

await main();
