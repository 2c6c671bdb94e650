// SYNC_FLUSH group commit on the real disk: N concurrent writers each append a 1 KiB record to a
// MappedFileQueue and await handleDiskFlush, in a loop. Reports acknowledged msgs/s, the batch reached
// (acks per fdatasync) and p50/p99 ack latency, against the limit measured in the same run:
// limit msgs/s = batch / (write + fdatasync latency of batch KiB), with the probe's mean latency
// (throughput is a mean too) and, for reference, its p50. Page-cache mode (one pwrite per
// append) and pool mode (appends fill a buffer; the group commit writes the batch, then fdatasyncs).
// Segment files are zero-filled before timing, as the allocate service keeps ahead of the writers.
// `pnpm bench` (BENCH_QUICK=1: short).
import { join } from "node:path";
import { fdatasyncLatency, makeBenchDir, nowMs, percentile, quickMode, removeBenchDir, report } from "@store/bench-kit";
import type { BenchRow } from "@store/bench-kit";
import { MappedFileQueue } from "@store/file-queue";
import { FlushManager } from "@store/flush-services";
import { MappedFile, TransientStorePool, nodeFileIO, offsetToFileName } from "@store/mapped-file";
import { countingIO } from "./counting-io.js";

const RECORD_BYTES = 1024;
const FILE_SIZE = 64 * 1024 * 1024;
const WRITER_COUNTS = [1, 8, 64, 256];
const DURATION_MS = quickMode() ? 1000 : 3000;
const WARMUP_MS = 300;
const PROBE_ITERATIONS = quickMode() ? 100 : 300;
/** Segment files zero-filled up front (a run that needs more creates them inline, which shows in p99). */
const PRECREATED_FILES = quickMode() ? 6 : 16;
const POOL_SIZE = 5;
/** Runs per case; the table shows the one with the median ratio to its limit (this VM's disk is shared and noisy). */
const REPEATS = quickMode() ? 1 : 3;

const records = Array.from({ length: 256 }, (_, i) => Buffer.alloc(RECORD_BYTES, (i % 250) + 1));

/** Appends one record to the last file, synchronously as the commit log does; -1 when it is full. */
function tryAppend(queue: MappedFileQueue, record: Buffer): number {
  const file = queue.getLastMappedFile();
  if (file === null || !file.appendMessage(record)) return -1;
  return file.fileFromOffset + file.wrotePosition;
}

/** The roll-over path: creates (opens) the next file, then appends. */
async function appendToNewFile(queue: MappedFileQueue, record: Buffer): Promise<number> {
  for (;;) {
    const file = await queue.getLastMappedFile(0);
    if (file === null) throw new Error(`no file: ${queue.lastCreateError?.message}`);
    if (file.appendMessage(record)) return file.fileFromOffset + file.wrotePosition;
  }
}

interface SyncRun {
  readonly acked: number;
  readonly timeouts: number;
  readonly seconds: number;
  readonly fsyncs: number;
  readonly fsyncP50Ms: number;
  readonly fsyncP99Ms: number;
  readonly ackP50Ms: number;
  readonly ackP99Ms: number;
}

async function runWriters(queue: MappedFileQueue, manager: FlushManager, writers: number, durationMs: number) {
  const latencies: number[] = [];
  let acked = 0;
  let timeouts = 0;
  // performance.now(): a double, where bench-kit's nowMs() allocates a BigInt per call.
  const deadline = performance.now() + durationMs;
  const writer = async (id: number): Promise<void> => {
    for (let i = id; performance.now() < deadline; i += writers) {
      const start = performance.now();
      const record = records[i % records.length] ?? Buffer.alloc(RECORD_BYTES);
      let next = tryAppend(queue, record);
      if (next < 0) next = await appendToNewFile(queue, record);
      const status = await manager.handleDiskFlush(next, true);
      latencies.push(performance.now() - start);
      if (status === "PUT_OK") acked++;
      else timeouts++;
    }
  };
  await Promise.all(Array.from({ length: writers }, (_, id) => writer(id)));
  return { latencies, acked, timeouts };
}

async function precreate(dir: string): Promise<void> {
  for (let i = 0; i < PRECREATED_FILES; i++) {
    const file = await MappedFile.open(join(dir, offsetToFileName(i * FILE_SIZE)), FILE_SIZE, { preallocation: "zero-fill" });
    await file.close();
  }
}

/** One case over the pre-created files (a new queue starts at offset 0 and overwrites them). */
async function runSync(dir: string, writers: number, pool: boolean): Promise<SyncRun> {
  const io = countingIO(nodeFileIO);
  let transientStorePool: TransientStorePool | null = null;
  if (pool) {
    transientStorePool = new TransientStorePool(POOL_SIZE, FILE_SIZE);
    transientStorePool.init();
  }
  const queue = new MappedFileQueue({ storePath: dir, mappedFileSize: FILE_SIZE, io, transientStorePool });
  const manager = new FlushManager(queue, { flushDiskType: "SYNC_FLUSH", transientStorePoolEnable: pool });
  manager.start();
  try {
    await runWriters(queue, manager, writers, WARMUP_MS);
    const fsyncsBefore = io.fsyncs;
    io.resetSamples();
    const start = nowMs();
    const { latencies, acked, timeouts } = await runWriters(queue, manager, writers, DURATION_MS);
    const seconds = (nowMs() - start) / 1000;
    return {
      acked,
      timeouts,
      seconds,
      fsyncs: io.fsyncs - fsyncsBefore,
      fsyncP50Ms: percentile(io.fsyncSamplesMs, 0.5),
      fsyncP99Ms: percentile(io.fsyncSamplesMs, 0.99),
      ackP50Ms: percentile(latencies, 0.5),
      ackP99Ms: percentile(latencies, 0.99),
    };
  } finally {
    await manager.shutdown();
    await queue.shutdown(1000);
    transientStorePool?.destroy();
  }
}

async function measure(dir: string, writers: number, pool: boolean): Promise<BenchRow> {
  const run = await runSync(dir, writers, pool);
  const batch = run.acked / Math.max(1, run.fsyncs);
  // Same run: one write of the batch's bytes plus one fdatasync, on a zero-filled file.
  const probe = await fdatasyncLatency({ dir, writeBytes: Math.max(1, Math.round(batch)) * RECORD_BYTES, iterations: PROBE_ITERATIONS });
  // Throughput is a mean over the run, so the like-for-like limit divides by the probe's mean latency;
  // the p50-based limit is shown too (this disk's fdatasync p99 is often 5-10x its p50).
  const limit = batch / (probe.meanMs / 1000);
  const limitP50 = batch / (probe.p50Ms / 1000);
  const throughput = run.acked / run.seconds;
  return {
    mode: pool ? "pool" : "page cache",
    writers,
    "acks/s": Math.round(throughput),
    "batch (msgs/fdatasync)": Number(batch.toFixed(1)),
    "fdatasync p50 in run (ms)": run.fsyncP50Ms,
    "fdatasync p99 in run (ms)": run.fsyncP99Ms,
    "write+fdatasync mean / p50 at batch size (ms)": `${probe.meanMs.toFixed(3)} / ${probe.p50Ms.toFixed(3)}`,
    "limit msgs/s (mean)": Math.round(limit),
    "of limit": Number((throughput / limit).toFixed(2)),
    "of p50 limit": Number((throughput / limitP50).toFixed(2)),
    "ack p50 (ms)": run.ackP50Ms,
    "ack p99 (ms)": run.ackP99Ms,
    "p99 in fdatasyncs": Number((run.ackP99Ms / probe.p50Ms).toFixed(2)),
    // tail against tail: an ack waits for at most the flush in flight plus its own
    "ack p99 / fdatasync p99 in run": Number((run.ackP99Ms / run.fsyncP99Ms).toFixed(2)),
    timeouts: run.timeouts,
  };
}

async function main(): Promise<void> {
  const dir = await makeBenchDir("flush-services-sync-");
  const rows: BenchRow[] = [];
  try {
    await precreate(dir);
    for (const pool of [false, true]) {
      for (const writers of WRITER_COUNTS) {
        const runs: BenchRow[] = [];
        for (let i = 0; i < REPEATS; i++) runs.push(await measure(dir, writers, pool));
        runs.sort((a, b) => Number(a["of limit"]) - Number(b["of limit"]));
        const median = runs[Math.floor(runs.length / 2)];
        if (median) rows.push({ ...median, "of limit, all runs": runs.map((r) => r["of limit"]).join(" / ") });
      }
    }
  } finally {
    await removeBenchDir(dir);
  }
  report("SYNC_FLUSH group commit, 1 KiB messages", rows, { durationMs: DURATION_MS, fileSize: FILE_SIZE, repeats: REPEATS });
}

await main();
