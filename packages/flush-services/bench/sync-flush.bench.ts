// SYNC_FLUSH group commit on the real disk: N concurrent writers (1, 16, 64, 256, 1024) each append a
// record (100 B, 1 KiB, 4 KiB) to a MappedFileQueue and await handleDiskFlush, in a loop. Each case
// is compared with its ceiling measured just before it in the same run: batches of N records written
// and fdatasync'd back to back (sync-ceiling.ts). Reports puts/s, the ratio to the ceiling, ack
// p50/p99/p99.9, ack p99 in ceiling cycles, the average batch per fdatasync and CPU per put; then
// traces one steady-state cycle (256 writers, 1 KiB; cycle-trace.ts).
// `pnpm bench` (BENCH_QUICK=1: short; BENCH_ONLY=page:1024b:256w,pool: only the cases whose id
// contains one of the comma-separated parts; BENCH_OVERLAP=never|always: fix the group commit's
// choice instead of the default "adaptive").
import { loadavg } from "node:os";
import { join } from "node:path";
import { makeBenchDir, quickMode, removeBenchDir, report } from "@store/bench-kit";
import type { BenchRow } from "@store/bench-kit";
import { MappedFileQueue } from "@store/file-queue";
import { FlushManager } from "@store/flush-services";
import type { GroupCommitOverlap } from "@store/flush-services";
import type { FileIO } from "@store/mapped-file";
import { MappedFile, TransientStorePool, nodeFileIO, offsetToFileName } from "@store/mapped-file";
import { countingIO } from "./counting-io.js";
import { CycleTrace, summarizeCycle } from "./cycle-trace.js";
import { syncCeiling } from "./sync-ceiling.js";
import type { SyncCeiling } from "./sync-ceiling.js";

const BODY_SIZES = [100, 1024, 4096];
const WRITER_COUNTS = [1, 16, 64, 256, 1024];
const FILE_SIZE = 64 * 1024 * 1024;
/** Zero-filled segments made before timing; a case stops appending once it filled all but one. */
const PRECREATED_FILES = quickMode() ? 8 : 24;
const DURATION_MS = quickMode() ? 700 : 2000;
const WARMUP_MS = quickMode() ? 150 : 300;
const CEILING_MS = quickMode() ? 300 : 1000;
/** Runs per case; the table shows the one with the median ratio (this VM's disk is shared and noisy). */
const REPEATS = quickMode() ? 1 : 3;
const POOL_SIZE = 5;
const ONLY = (process.env.BENCH_ONLY ?? "").split(",").filter((part) => part !== "");
const OVERLAP = (process.env.BENCH_OVERLAP ?? "adaptive") as GroupCommitOverlap;

type Mode = "page cache" | "pool";

/** Ack latencies, ms, without a boxed number per put. */
class LatencyLog {
  #values = new Float64Array(1 << 16);
  length = 0;

  push(ms: number): void {
    if (this.length === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.length++] = ms;
  }

  /** Nearest-rank quantiles (0..1) of everything pushed. */
  quantiles(...ps: number[]): number[] {
    const sorted = this.#values.subarray(0, this.length).sort();
    return ps.map((p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN);
  }
}

interface StoreRun {
  readonly acked: number;
  readonly timeouts: number;
  readonly seconds: number;
  readonly fsyncs: number;
  readonly cpuUsPerPut: number;
  readonly cpuShare: number;
  readonly latencies: LatencyLog;
}

interface Writers {
  readonly queue: MappedFileQueue;
  readonly manager: FlushManager;
  readonly count: number;
  readonly record: Buffer;
  /** Appending stops at this absolute offset (the pre-created files end past it). */
  readonly stopOffset: number;
  readonly trace?: CycleTrace;
}

/** Appends one record to the last file, synchronously as the commit log does; -1 when it is full. */
function tryAppend(queue: MappedFileQueue, record: Buffer): number {
  const file = queue.getLastMappedFile();
  if (file === null || !file.appendMessage(record)) return -1;
  return file.fileFromOffset + file.wrotePosition;
}

/** The roll-over path: opens the next (pre-created) file, then appends. */
async function appendToNewFile(queue: MappedFileQueue, record: Buffer): Promise<number> {
  for (;;) {
    const file = await queue.getLastMappedFile(0);
    if (file === null) throw new Error(`no file: ${queue.lastCreateError?.message}`);
    if (file.appendMessage(record)) return file.fileFromOffset + file.wrotePosition;
  }
}

/** Runs the writers until `durationMs` passed or the log reached `stopOffset`. */
async function runWriters(w: Writers, durationMs: number, latencies: LatencyLog | null): Promise<{ acked: number; timeouts: number }> {
  let acked = 0;
  let timeouts = 0;
  const deadline = performance.now() + durationMs;
  const writer = async (): Promise<void> => {
    let next = 0;
    while (performance.now() < deadline && next < w.stopOffset) {
      const start = performance.now();
      next = tryAppend(w.queue, w.record);
      if (next < 0) next = await appendToNewFile(w.queue, w.record);
      w.trace?.record("put", next);
      const status = await w.manager.handleDiskFlush(next, true);
      const end = performance.now();
      w.trace?.record("ack", next, 0, 0, end);
      latencies?.push(end - start);
      if (status === "PUT_OK") acked++;
      else timeouts++;
    }
  };
  await Promise.all(Array.from({ length: w.count }, writer));
  return { acked, timeouts };
}

async function precreate(dir: string): Promise<void> {
  for (let i = 0; i < PRECREATED_FILES; i++) {
    const file = await MappedFile.open(join(dir, offsetToFileName(i * FILE_SIZE)), FILE_SIZE, { preallocation: "zero-fill" });
    await file.close();
  }
}

/** Opens a queue over the pre-created files (a new queue starts at offset 0 and overwrites them). */
async function withStore<T>(dir: string, mode: Mode, io: FileIO, body: (queue: MappedFileQueue, manager: FlushManager) => Promise<T>): Promise<T> {
  const pool = mode === "pool" ? new TransientStorePool(POOL_SIZE, FILE_SIZE) : null;
  pool?.init();
  const queue = new MappedFileQueue({ storePath: dir, mappedFileSize: FILE_SIZE, io, transientStorePool: pool });
  const config = { flushDiskType: "SYNC_FLUSH", transientStorePoolEnable: pool !== null } as const;
  const manager = new FlushManager(queue, config, { groupCommitOverlap: OVERLAP });
  manager.start();
  try {
    return await body(queue, manager);
  } finally {
    await manager.shutdown();
    await queue.shutdown(1000);
    pool?.destroy();
  }
}

async function runStore(dir: string, mode: Mode, recordBytes: number, writers: number): Promise<StoreRun> {
  const io = countingIO(nodeFileIO);
  return withStore(dir, mode, io, async (queue, manager) => {
    const record = Buffer.alloc(recordBytes, 0x61);
    const stopOffset = (PRECREATED_FILES - 1) * FILE_SIZE;
    const w: Writers = { queue, manager, count: writers, record, stopOffset };
    await runWriters(w, WARMUP_MS, null);
    const latencies = new LatencyLog();
    const fsyncsBefore = io.fsyncs;
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    const { acked, timeouts } = await runWriters(w, DURATION_MS, latencies);
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuUs = cpu.user + cpu.system;
    return {
      acked,
      timeouts,
      seconds,
      fsyncs: io.fsyncs - fsyncsBefore,
      cpuUsPerPut: cpuUs / Math.max(1, acked + timeouts),
      cpuShare: cpuUs / 1e6 / seconds,
      latencies,
    };
  });
}

function row(mode: Mode, recordBytes: number, writers: number, ceiling: SyncCeiling, run: StoreRun): BenchRow {
  const putsPerSec = run.acked / run.seconds;
  const [p50, p99, p999] = run.latencies.quantiles(0.5, 0.99, 0.999) as [number, number, number];
  return {
    mode,
    "body (B)": recordBytes,
    writers,
    "puts/s": Math.round(putsPerSec),
    "ceiling puts/s": Math.round(ceiling.putsPerSec),
    "of ceiling": Number((putsPerSec / ceiling.putsPerSec).toFixed(2)),
    "ack p50 (ms)": p50,
    "ack p99 (ms)": p99,
    "ack p99.9 (ms)": p999,
    "ceiling cycle p50 (ms)": ceiling.cycleP50Ms,
    "ack p99 in cycles": Number((p99 / ceiling.cycleP50Ms).toFixed(2)),
    "batch (puts/fdatasync)": Number((run.acked / Math.max(1, run.fsyncs)).toFixed(1)),
    "CPU µs/put": Number(run.cpuUsPerPut.toFixed(2)),
    "CPU (cores)": Number(run.cpuShare.toFixed(2)),
    timeouts: run.timeouts,
  };
}

/** One case, REPEATS times (each with its own ceiling just before); the run with the median ratio. */
async function measure(dir: string, mode: Mode, recordBytes: number, writers: number): Promise<BenchRow> {
  const rows: BenchRow[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const ceiling = await syncCeiling({ dir, batch: writers, recordBytes, durationMs: CEILING_MS, fileBytes: FILE_SIZE });
    rows.push(row(mode, recordBytes, writers, ceiling, await runStore(dir, mode, recordBytes, writers)));
  }
  rows.sort((a, b) => Number(a["of ceiling"]) - Number(b["of ceiling"]));
  const median = rows[Math.floor(rows.length / 2)] as BenchRow;
  return { ...median, "of ceiling, all runs": rows.map((r) => r["of ceiling"]).join(" / ") };
}

/** A short run of 256 writers with every write, fdatasync, put and ack stamped; one cycle printed. */
async function traceCycle(dir: string): Promise<string> {
  const trace = new CycleTrace();
  return withStore(dir, "page cache", trace.wrap(nodeFileIO), async (queue, manager) => {
    const w: Writers = { queue, manager, count: 256, record: Buffer.alloc(1024, 0x61), stopOffset: (PRECREATED_FILES - 1) * FILE_SIZE, trace };
    await runWriters(w, WARMUP_MS, null);
    trace.events.length = 0;
    await runWriters(w, 300, null);
    return summarizeCycle(trace);
  });
}

function selected(id: string): boolean {
  return ONLY.length === 0 || ONLY.some((part) => id.includes(part));
}

async function main(): Promise<void> {
  const dir = await makeBenchDir("flush-services-sync-");
  const loadBefore = loadavg().map((l) => Number(l.toFixed(2)));
  const rows: BenchRow[] = [];
  let cycle = "";
  try {
    await precreate(dir);
    for (const mode of ["page cache", "pool"] as const) {
      for (const recordBytes of mode === "pool" ? [1024] : BODY_SIZES) {
        for (const writers of WRITER_COUNTS) {
          if (selected(`${mode === "pool" ? "pool" : "page"}:${recordBytes}b:${writers}w`)) rows.push(await measure(dir, mode, recordBytes, writers));
        }
      }
    }
    if (selected("trace")) cycle = await traceCycle(dir);
  } finally {
    await removeBenchDir(dir);
  }
  const load = { loadavgBefore: loadBefore, loadavgAfter: loadavg().map((l) => Number(l.toFixed(2))) };
  report("SYNC_FLUSH group commit vs batches written and fdatasync'd back to back", rows, { durationMs: DURATION_MS, repeats: REPEATS, overlap: OVERLAP, ...load });
  console.log(`load average (1/5/15 min) before ${load.loadavgBefore.join(" ")}, after ${load.loadavgAfter.join(" ")}`);
  if (cycle !== "") console.log(`\nOne steady-state cycle, 256 writers, 1 KiB, page cache (µs from an fdatasync's start):\n${cycle}\n`);
}

await main();
