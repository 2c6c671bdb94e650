// One segment file: 1 KiB raw appends in page-cache mode (a positional write each) and in pool mode
// (memcpy, then commit in large chunks), one fdatasync at the end; against the raw baseline of the
// same run (the same bytes written with fs.writeSync in 1 MiB chunks + one fdatasync). `pnpm bench`.
import { join } from "node:path";
import type { BenchRow } from "@store/bench-kit";
import {
  makeBenchDir,
  mbPerSec,
  nowMs,
  quickMode,
  rawWriteBaseline,
  removeBenchDir,
  report,
} from "@store/bench-kit";
import { MappedFile, TransientStorePool, offsetToFileName } from "@store/mapped-file";

const MIB = 1024 * 1024;
const FILE_SIZE = (quickMode() ? 128 : 256) * MIB;
const RECORD_BYTES = 1024;
/** Pool mode commits once per this many appended bytes, as CommitRealTimeService would. */
const COMMIT_EVERY_BYTES = 4 * MIB;
const REPEATS = quickMode() ? 1 : 3;

const records = Array.from({ length: 256 }, (_, i) => Buffer.alloc(RECORD_BYTES, (i % 250) + 1));

async function appendAll(dir: string, pool: TransientStorePool | null): Promise<number> {
  const file = await MappedFile.open(join(dir, offsetToFileName(0)), FILE_SIZE, {
    transientStorePool: pool,
  });
  const started = nowMs();
  let pending: Promise<number> | null = null;
  for (let i = 0; file.appendMessage(records[i % records.length] as Buffer); i++) {
    if (pool !== null && file.wrotePosition % COMMIT_EVERY_BYTES === 0 && pending === null) {
      pending = file.commit(0).finally(() => (pending = null));
      await Promise.resolve();
    }
  }
  await pending;
  await file.commit(0);
  await file.flush(0);
  const ms = nowMs() - started;
  await file.destroy(0);
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const dir = await makeBenchDir();
  const pool = new TransientStorePool(1, FILE_SIZE);
  pool.init();
  const raw: number[] = [];
  const pageCache: number[] = [];
  const pooled: number[] = [];
  try {
    for (let run = 0; run < REPEATS; run++) {
      raw.push(rawWriteBaseline({ dir, totalBytes: FILE_SIZE }).mbPerSec);
      pageCache.push(mbPerSec(FILE_SIZE, await appendAll(dir, null)));
      pooled.push(mbPerSec(FILE_SIZE, await appendAll(dir, pool)));
    }
  } finally {
    await removeBenchDir(dir);
  }
  const baseline = median(raw);
  const row = (mode: string, mbps: number): BenchRow => ({
    mode,
    MBps: mbps,
    msgsPerSec: (mbps * 1e6) / RECORD_BYTES,
    ratioToRaw: mbps / baseline,
  });
  report(
    "MappedFile 1 KiB appends + one fdatasync",
    [
      row("raw 1 MiB writeSync (baseline)", baseline),
      row("page-cache", median(pageCache)),
      row("pool + commit", median(pooled)),
    ],
    {
      fileBytes: FILE_SIZE,
      repeats: REPEATS,
    },
  );
}

await main();
