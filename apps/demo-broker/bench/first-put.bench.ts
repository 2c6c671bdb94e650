// How long the first put on a fresh store waits, with and without the segment made ready before the
// ports open (what the demo broker does: MappedFileQueue.getLastMappedFile(0) right after open, see
// src/first-segment.ts). Baseline, same run: the first put on a fresh store that was not prepared.
// Each case runs in a fresh directory; `pnpm bench` (BENCH_QUICK=1: 64 MiB segments only).
import { loadavg } from "node:os";
import type { BenchRow } from "@store/bench-kit";
import {
  makeBenchDir,
  nowMs,
  percentile,
  quickMode,
  removeBenchDir,
  report,
} from "@store/bench-kit";
import type { MessageStoreConfigInput } from "@store/commitlog";
import { MessageStore } from "@store/commitlog";
import { pino } from "pino";

const MIB = 1024 * 1024;
const ROUNDS = quickMode() ? 1 : 3;
const logger = pino({ level: "silent" });

interface Case {
  readonly name: string;
  readonly config: MessageStoreConfigInput;
}

const cases: Case[] = [
  { name: "SYNC_FLUSH", config: { flushDiskType: "SYNC_FLUSH" } },
  { name: "ASYNC_FLUSH", config: { flushDiskType: "ASYNC_FLUSH" } },
  {
    name: "ASYNC_FLUSH + pool",
    config: {
      flushDiskType: "ASYNC_FLUSH",
      transientStorePoolEnable: true,
      transientStorePoolSize: 2,
    },
  },
];
const sizes = quickMode() ? [64 * MIB] : [64 * MIB, 1024 * MIB];

/** Opens a fresh store, optionally prepares the first segment, then times the first put and the next 100. */
async function firstPut(config: MessageStoreConfigInput, prepare: boolean) {
  const dir = await makeBenchDir("first-put-");
  try {
    const store = await MessageStore.open({ ...config, storePathRootDir: dir }, { logger });
    try {
      let start = nowMs();
      if (prepare) await store.commitLog.mappedFileQueue.getLastMappedFile(0);
      const prepareMs = nowMs() - start;
      start = nowMs();
      const result = await store.putMessage({ topic: "T", body: Buffer.alloc(1024) });
      const firstMs = nowMs() - start;
      if (result.status !== "PUT_OK") throw new Error(`first put: ${result.status}`);
      const next: number[] = [];
      for (let i = 0; i < 100; i++) {
        start = nowMs();
        await store.putMessage({ topic: "T", body: Buffer.alloc(1024) });
        next.push(nowMs() - start);
      }
      return { prepareMs, firstMs, nextMaxMs: Math.max(...next) };
    } finally {
      await store.shutdown();
    }
  } finally {
    await removeBenchDir(dir);
  }
}

const rows: BenchRow[] = [];
for (const size of sizes) {
  for (const c of cases) {
    if (size > 64 * MIB && c.config.transientStorePoolEnable === true) continue; // 2 GiB of pool memory
    const lazy: number[] = [];
    const prepared: { prepareMs: number; firstMs: number; nextMaxMs: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      lazy.push((await firstPut({ ...c.config, mappedFileSizeCommitLog: size }, false)).firstMs);
      prepared.push(await firstPut({ ...c.config, mappedFileSizeCommitLog: size }, true));
    }
    const median = (values: number[]) => percentile(values, 0.5);
    const preparedFirst = median(prepared.map((p) => p.firstMs));
    rows.push({
      case: `${c.name}, ${size / MIB} MiB`,
      "baseline first put ms": median(lazy),
      "prepare ms (before ports open)": median(prepared.map((p) => p.prepareMs)),
      "prepared first put ms": preparedFirst,
      "next 100 puts max ms": median(prepared.map((p) => p.nextMaxMs)),
      "prepared / baseline": preparedFirst / median(lazy),
    });
  }
}
report("first put on a fresh store (median of rounds)", rows, {
  rounds: ROUNDS,
  loadavg: loadavg()
    .map((l) => l.toFixed(2))
    .join(" "),
});
