// ASYNC_FLUSH strategies on the real disk: one writer appends 1 KiB records to a MappedFileQueue through
// a FlushManager (handleDiskFlush after each append, as the commit log does), yielding to the event
// loop once per MiB so the services run. Reports appends/s and the rate until everything is durable
// (shutdown's final commit and flush included), against the raw write baseline of the same run
// (fs.writeSync in 1 MiB chunks + one fdatasync per file). `pnpm bench` (BENCH_QUICK=1: short).
import { join } from "node:path";
import {
  makeBenchDir,
  nowMs,
  quickMode,
  rawWriteBaseline,
  removeBenchDir,
  report,
} from "@store/bench-kit";
import type { BenchRow } from "@store/bench-kit";
import { MappedFileQueue } from "@store/file-queue";
import { FlushManager } from "@store/flush-services";
import type { FlushConfigInput } from "@store/flush-services";
import { MappedFile, TransientStorePool, nodeFileIO, offsetToFileName } from "@store/mapped-file";
import { countingIO } from "./counting-io.js";

const MIB = 1024 * 1024;
const RECORD_BYTES = 1024;
const FILE_SIZE = 64 * MIB;
const TOTAL_BYTES = (quickMode() ? 128 : 512) * MIB;
const POOL_SIZE = 5;
const RECORDS_PER_YIELD = MIB / RECORD_BYTES;
/** Runs per strategy; the table shows the median by appends/s. */
const REPEATS = quickMode() ? 1 : 3;

const records = Array.from({ length: 256 }, (_, i) => Buffer.alloc(RECORD_BYTES, (i % 250) + 1));

interface Strategy {
  readonly name: string;
  readonly pool: boolean;
  readonly config: FlushConfigInput;
}

const strategies: readonly Strategy[] = [
  { name: "ASYNC_FLUSH (defaults: 500 ms, 4 pages)", pool: false, config: {} },
  {
    name: "ASYNC_FLUSH + pool (defaults: commit 200 ms, flush 500 ms)",
    pool: true,
    config: { transientStorePoolEnable: true },
  },
];

async function precreate(dir: string): Promise<void> {
  for (let offset = 0; offset < TOTAL_BYTES; offset += FILE_SIZE) {
    const file = await MappedFile.open(join(dir, offsetToFileName(offset)), FILE_SIZE, {
      preallocation: "zero-fill",
    });
    await file.close();
  }
}

/** Appends TOTAL_BYTES of records; returns the offset reached. */
async function appendAll(queue: MappedFileQueue, manager: FlushManager): Promise<number> {
  let next = 0;
  for (let i = 0; next < TOTAL_BYTES; i++) {
    let file = queue.getLastMappedFile();
    if (file === null || file.isFull()) file = await queue.getLastMappedFile(0);
    if (file === null) throw new Error(`no file: ${queue.lastCreateError?.message}`);
    if (!file.appendMessage(records[i % records.length] ?? Buffer.alloc(RECORD_BYTES))) continue;
    next = file.fileFromOffset + file.wrotePosition;
    void manager.handleDiskFlush(next, true); // PUT_OK at once; wakes the commit (pool) or flush service
    if (i % RECORDS_PER_YIELD === RECORDS_PER_YIELD - 1)
      await new Promise((resolve) => setImmediate(resolve));
  }
  return next;
}

async function runAsync(dir: string, strategy: Strategy): Promise<BenchRow> {
  const io = countingIO(nodeFileIO);
  let transientStorePool: TransientStorePool | null = null;
  if (strategy.pool) {
    transientStorePool = new TransientStorePool(POOL_SIZE, FILE_SIZE);
    transientStorePool.init();
  }
  const queue = new MappedFileQueue({
    storePath: dir,
    mappedFileSize: FILE_SIZE,
    io,
    transientStorePool,
  });
  const manager = new FlushManager(queue, strategy.config);
  manager.start();
  const start = nowMs();
  const reached = await appendAll(queue, manager);
  const appendedMs = nowMs() - start;
  const fsyncsDuringAppends = io.fsyncs;
  await manager.shutdown();
  const durableMs = nowMs() - start;
  const flushed = queue.flushedWhere;
  await queue.shutdown(1000);
  transientStorePool?.destroy();
  if (flushed !== reached) throw new Error(`shutdown left ${reached - flushed} bytes unflushed`);
  const messages = reached / RECORD_BYTES;
  return {
    strategy: strategy.name,
    "appends/s": Math.round(messages / (appendedMs / 1000)),
    "durable msgs/s (incl. final flush)": Math.round(messages / (durableMs / 1000)),
    "fdatasyncs while appending": fsyncsDuringAppends,
  };
}

async function main(): Promise<void> {
  const dir = await makeBenchDir("flush-services-async-");
  const rows: BenchRow[] = [];
  let baselineMsgs = 0;
  try {
    const raw = rawWriteBaseline({ dir, totalBytes: TOTAL_BYTES, fileSize: FILE_SIZE });
    baselineMsgs = raw.bytes / RECORD_BYTES / raw.seconds;
    rows.push({
      strategy: "raw fs.writeSync 1 MiB chunks + fdatasync (baseline)",
      "appends/s": Math.round(baselineMsgs),
    });
    await precreate(dir);
    for (const strategy of strategies) {
      const runs: BenchRow[] = [];
      for (let i = 0; i < REPEATS; i++) runs.push(await runAsync(dir, strategy));
      runs.sort((a, b) => Number(a["appends/s"]) - Number(b["appends/s"]));
      const median = runs[Math.floor(runs.length / 2)];
      if (median) rows.push(median);
    }
  } finally {
    await removeBenchDir(dir);
  }
  const withRatio = rows.map((row) => ({
    ...row,
    "of baseline": Number((Number(row["appends/s"]) / baselineMsgs).toFixed(2)),
  }));
  report("ASYNC_FLUSH strategies, 1 KiB appends, one writer", withRatio, {
    totalBytes: TOTAL_BYTES,
    fileSize: FILE_SIZE,
  });
}

await main();
