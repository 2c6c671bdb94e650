// Append throughput of MappedFileQueue (1 KiB records) in page-cache and pool mode (commits during
// the run, one fdatasync per full file), against a raw
// fs.writeSync baseline measured in the same run; and the fdatasync latency of 4 KiB appends into
// zero-filled vs sparse segment files. `pnpm bench` (BENCH_QUICK=1 for a short run).
import * as fs from "node:fs";
import { join } from "node:path";
import {
  makeBenchDir,
  mbPerSec,
  nowMs,
  percentile,
  quickMode,
  rawWriteBaseline,
  removeBenchDir,
  report,
  zeroFilledFile,
} from "@store/bench-kit";
import type { BenchRow } from "@store/bench-kit";
import { AllocateMappedFileService, MappedFileQueue } from "@store/file-queue";
import type { Preallocation } from "@store/mapped-file";
import { MappedFile, TransientStorePool, offsetToFileName } from "@store/mapped-file";

const MIB = 1024 * 1024;
const RECORD_BYTES = 1024;
const FILE_SIZE = 64 * MIB;
const TOTAL_BYTES = (quickMode() ? 256 : 512) * MIB;
/** Background commit/flush steps are started once per this many appended bytes (as a service loop would). */
const STEP_BYTES = MIB;
const POOL_SIZE = 5;
const LATENCY_ITERATIONS = quickMode() ? 200 : 500;
const LATENCY_WRITE_BYTES = 4096;
/** Runs per case; the table shows the median (this VM's disk is shared and noisy). */
const REPEATS = quickMode() ? 1 : 5;

type Mode = "page-cache" | "pool";
type Files = "pre-allocated" | Preallocation;

interface ThroughputCase {
  readonly mode: Mode;
  /** "pre-allocated": every file zero-filled before timing (the allocator kept ahead); else created during the run. */
  readonly files: Files;
  /** Records copied into one appendMessage call. */
  readonly batch?: number;
  /**
   * Also start an fdatasync every MiB (as FlushRealTimeService would under load). Without it, as in
   * the issue's case and the baseline, each file gets one fdatasync when it is full.
   */
  readonly flushEveryStep?: boolean;
}

/** A ring of distinct records, so appends do not copy one cache-hot buffer. */
const records = Array.from({ length: 256 }, (_, i) => Buffer.alloc(RECORD_BYTES, (i % 250) + 1));

async function preallocate(dir: string, totalBytes: number): Promise<void> {
  for (let offset = 0; offset < totalBytes; offset += FILE_SIZE) {
    const file = await MappedFile.open(join(dir, offsetToFileName(offset)), FILE_SIZE, {
      preallocation: "zero-fill",
    });
    await file.close();
  }
}

/** Keeps at most one commit and one flush in flight, like CommitRealTimeService and FlushRealTimeService. */
class BackgroundSteps {
  #commit: Promise<unknown> | null = null;
  #flush: Promise<unknown> | null = null;

  constructor(
    private readonly queue: MappedFileQueue,
    private readonly pool: boolean,
    private readonly flushEveryStep: boolean,
  ) {}

  /** Every MiB appended: a commit (pool mode), and an fdatasync if `flushEveryStep`. */
  step(): void {
    if (this.pool && this.#commit === null)
      this.#commit = this.queue.commit(0).finally(() => (this.#commit = null));
    if (this.flushEveryStep) this.flush();
  }

  /** Starts an fdatasync of the file at flushedWhere unless one is in flight. */
  flush(): void {
    if (this.#flush === null) this.#flush = this.queue.flush(0).finally(() => (this.#flush = null));
  }

  async drain(): Promise<void> {
    await this.#commit;
    await this.#flush;
    if (this.pool) while (await this.queue.commit(0));
    while (await this.queue.flush(0));
  }
}

/** `count` buffers of `batch` consecutive records each, from the ring. */
function batches(batch: number, count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) =>
    Buffer.concat(records.slice((i * batch) % 256, ((i * batch) % 256) + batch)),
  );
}

async function appendAll(
  queue: MappedFileQueue,
  pool: boolean,
  totalBytes: number,
  batch: number,
  flushEveryStep: boolean,
): Promise<void> {
  const steps = new BackgroundSteps(queue, pool, flushEveryStep);
  const units = batch === 1 ? records : batches(batch, 16);
  const unitBytes = RECORD_BYTES * batch;
  let file = queue.getLastMappedFile();
  let sinceStep = 0;
  for (let written = 0, i = 0; written < totalBytes; written += unitBytes, i++) {
    if (file === null || file.isFull()) {
      if (file !== null) steps.flush(); // the full file's fdatasync, as the baseline does per file
      file = await queue.getLastMappedFile(0);
      if (file === null) throw queue.lastCreateError ?? new Error("no file");
    }
    file.appendMessage(units[i % units.length] as Buffer);
    sinceStep += unitBytes;
    if (sinceStep >= STEP_BYTES) {
      sinceStep = 0;
      steps.step();
      await new Promise<void>((resolve) => setImmediate(resolve)); // let I/O completions run
    }
  }
  await steps.drain();
}

/** One timed run of a case; returns MB/s. */
async function runThroughput(benchCase: ThroughputCase): Promise<number> {
  const dir = await makeBenchDir("file-queue-append-");
  const pool = benchCase.mode === "pool" ? new TransientStorePool(POOL_SIZE, FILE_SIZE) : null;
  pool?.init();
  const files = benchCase.files;
  if (files === "pre-allocated") await preallocate(dir, TOTAL_BYTES);
  const allocateService =
    files === "pre-allocated"
      ? null
      : new AllocateMappedFileService({
          transientStorePool: pool,
          preallocation: files,
          waitTimeoutMs: 60_000,
        });
  allocateService?.start();
  const queue = new MappedFileQueue({
    storePath: dir,
    mappedFileSize: FILE_SIZE,
    transientStorePool: pool,
    allocateService,
  });
  try {
    globalThis.gc?.();
    const start = nowMs();
    await appendAll(
      queue,
      pool !== null,
      TOTAL_BYTES,
      benchCase.batch ?? 1,
      benchCase.flushEveryStep ?? false,
    );
    const ms = nowMs() - start;
    if (queue.flushedWhere !== TOTAL_BYTES)
      throw new Error(`flushedWhere ${queue.flushedWhere}, expected ${TOTAL_BYTES}`);
    return mbPerSec(TOTAL_BYTES, ms);
  } finally {
    await queue.shutdown(0);
    await allocateService?.shutdown();
    pool?.destroy();
    await removeBenchDir(dir);
  }
}

/** Latency of append(4 KiB) + flush(0) through the queue, in one file created with `preallocation`. */
async function runLatency(preallocation: Preallocation): Promise<BenchRow> {
  const dir = await makeBenchDir("file-queue-fsync-");
  const queue = new MappedFileQueue({
    storePath: dir,
    mappedFileSize: LATENCY_ITERATIONS * LATENCY_WRITE_BYTES,
    preallocation,
  });
  const data = Buffer.alloc(LATENCY_WRITE_BYTES, 0x62);
  const samples: number[] = [];
  try {
    const file = await queue.getLastMappedFile(0);
    if (file === null) throw queue.lastCreateError ?? new Error("no file");
    for (let i = 0; i < LATENCY_ITERATIONS; i++) {
      const start = nowMs();
      file.appendMessage(data);
      await queue.flush(0);
      samples.push(nowMs() - start);
    }
  } finally {
    await queue.shutdown(0);
    await removeBenchDir(dir);
  }
  return {
    case: `append 4 KiB + flush(0), ${preallocation} file`,
    "p50 ms": percentile(samples, 0.5),
    "p99 ms": percentile(samples, 0.99),
  };
}

function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

function spread(values: readonly number[]): string {
  return values.map((v) => v.toFixed(0)).join(", ");
}

async function measureBaseline(): Promise<number> {
  const dir = await makeBenchDir("file-queue-raw-");
  try {
    return rawWriteBaseline({ dir, totalBytes: TOTAL_BYTES, fileSize: FILE_SIZE }).mbPerSec;
  } finally {
    await removeBenchDir(dir);
  }
}

/**
 * The ceiling of page-cache mode: one fs.writeSync per 1 KiB record into pre-sized zero-filled files,
 * one fdatasync per file. MB/s.
 */
async function measurePerRecordBaseline(): Promise<number> {
  const dir = await makeBenchDir("file-queue-raw-record-");
  try {
    const paths: string[] = [];
    for (let at = 0; at < TOTAL_BYTES; at += FILE_SIZE) {
      paths.push(join(dir, `raw-${paths.length}`));
      zeroFilledFile(paths.at(-1) as string, FILE_SIZE);
    }
    const start = nowMs();
    let i = 0;
    for (const path of paths) {
      const fd = fs.openSync(path, "r+");
      for (let at = 0; at < FILE_SIZE; at += RECORD_BYTES)
        fs.writeSync(fd, records[i++ & 255] as Buffer, 0, RECORD_BYTES, at);
      fs.fdatasyncSync(fd);
      fs.closeSync(fd);
    }
    return mbPerSec(TOTAL_BYTES, nowMs() - start);
  } finally {
    await removeBenchDir(dir);
  }
}

async function main(): Promise<void> {
  const cases: ThroughputCase[] = [
    { mode: "page-cache", files: "pre-allocated" },
    { mode: "pool", files: "pre-allocated" },
    { mode: "page-cache", files: "pre-allocated", flushEveryStep: true },
    { mode: "pool", files: "pre-allocated", flushEveryStep: true },
    { mode: "page-cache", files: "pre-allocated", batch: 16 },
    { mode: "page-cache", files: "zero-fill" },
    { mode: "pool", files: "zero-fill" },
    { mode: "pool", files: "sparse" },
  ];
  const baselineRuns: number[] = [];
  const perRecordRuns: number[] = [];
  const caseRuns = cases.map((): number[] => []);
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    baselineRuns.push(await measureBaseline()); // interleaved, so every case sees the same disk weather
    perRecordRuns.push(await measurePerRecordBaseline());
    for (const [index, benchCase] of cases.entries())
      caseRuns[index]?.push(await runThroughput(benchCase));
  }
  const baseline = median(baselineRuns);
  const perRecord = median(perRecordRuns);
  const rows: BenchRow[] = [
    {
      case: "raw baseline: writeSync 1 MiB + fdatasync per file",
      "MB/s": baseline,
      "msgs/s": "",
      "vs raw": 1,
      runs: spread(baselineRuns),
    },
    {
      case: "raw, one writeSync per 1 KiB record + fdatasync per file",
      "MB/s": perRecord,
      "msgs/s": Math.round((perRecord * 1e6) / RECORD_BYTES),
      "vs raw": perRecord / baseline,
      runs: spread(perRecordRuns),
    },
  ];
  cases.forEach((benchCase, index) => {
    const runs = caseRuns[index] ?? [];
    const rate = median(runs);
    rows.push({
      case: `${benchCase.mode}, files ${benchCase.files}${benchCase.batch ? `, ${benchCase.batch} records per append` : ""}${benchCase.flushEveryStep ? ", fdatasync every MiB" : ""}`,
      "MB/s": rate,
      "msgs/s": Math.round((rate * 1e6) / RECORD_BYTES),
      "vs raw": rate / baseline,
      runs: spread(runs),
    });
  });
  report(
    `MappedFileQueue append, ${RECORD_BYTES} B records, ${TOTAL_BYTES / MIB} MiB in ${FILE_SIZE / MIB} MiB files`,
    rows,
    {
      totalBytes: TOTAL_BYTES,
      fileSize: FILE_SIZE,
      repeats: REPEATS,
      quick: quickMode(),
    },
  );
  const latencyRows = [await runLatency("zero-fill"), await runLatency("sparse")];
  report(
    `MappedFileQueue fdatasync latency, ${LATENCY_ITERATIONS} x ${LATENCY_WRITE_BYTES} B`,
    latencyRows,
  );
}

await main();
