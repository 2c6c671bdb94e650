// SYNC_FLUSH group commit on the real disk: N concurrent writers (1, 16, 64, 256, 1024) each append a
// record (100 B, 1 KiB, 4 KiB) to a MappedFileQueue and await handleDiskFlush, in a loop. Each case
// is compared with its ceiling in the same run: batches of N records written and fdatasync'd back to
// back (sync-ceiling.ts). The two alternate in short slices (this VM's disk is shared and its speed
// drifts within seconds) and the ratio is the median of the slices' ratios. Reports puts/s, the
// ratio, ack p50/p99/p99.9, ack p99 in ceiling cycles, the average batch per fdatasync and CPU per
// put; then traces one steady-state cycle (256 writers, 1 KiB; cycle-trace.ts).
// `pnpm bench` (BENCH_QUICK=1: short; BENCH_ONLY=page:1024b:256w,pool: only the cases whose id
// contains one of the comma-separated parts; BENCH_OVERLAP=never|always: fix the group commit's
// choice instead of the default "adaptive").
import { loadavg } from "node:os";
import { join } from "node:path";
import { makeBenchDir, quickMode, removeBenchDir, report } from "@store/bench-kit";
import type { BenchRow } from "@store/bench-kit";
import { MappedFileQueue } from "@store/file-queue";
import { FlushManager, GroupCommitService } from "@store/flush-services";
import type { GroupCommitOverlap } from "@store/flush-services";
import type { FileIO } from "@store/mapped-file";
import { MappedFile, TransientStorePool, nodeFileIO, offsetToFileName } from "@store/mapped-file";
import { countingIO } from "./counting-io.js";
import type { CountingIO } from "./counting-io.js";
import { CycleTrace, summarizeCycle } from "./cycle-trace.js";
import { CeilingProbe, cycleP50Ms } from "./sync-ceiling.js";
import type { SyncCeiling } from "./sync-ceiling.js";

const BODY_SIZES = [100, 1024, 4096];
const WRITER_COUNTS = [1, 16, 64, 256, 1024];
const FILE_SIZE = 64 * 1024 * 1024;
/** Zero-filled segments made before timing; a case stops appending once it filled all but one. */
const PRECREATED_FILES = quickMode() ? 8 : 24;
/** Per case: SLICES times a ceiling slice then a store slice. */
const SLICES = quickMode() ? 3 : 5;
const STORE_SLICE_MS = quickMode() ? 300 : 600;
const CEILING_SLICE_MS = quickMode() ? 150 : 300;
const WARMUP_MS = quickMode() ? 150 : 300;
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

interface StoreSlice {
  readonly flights: number;
  readonly overlapped: number;
  readonly acked: number;
  readonly timeouts: number;
  readonly seconds: number;
  readonly fsyncs: number;
  readonly cpuUs: number;
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

/** One store slice: the writers run for `durationMs`; what they and the disk did meanwhile. */
async function storeSlice(w: Writers, io: CountingIO, durationMs: number, latencies: LatencyLog): Promise<StoreSlice> {
  const service = w.manager.flushService;
  const countsBefore = service instanceof GroupCommitService ? service.flightCounts : { landed: 0, overlapped: 0 };
  const fsyncsBefore = io.fsyncs;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const { acked, timeouts } = await runWriters(w, durationMs, latencies);
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const counts = service instanceof GroupCommitService ? service.flightCounts : countsBefore;
  const [flights, overlapped] = [counts.landed - countsBefore.landed, counts.overlapped - countsBefore.overlapped];
  return { flights, overlapped, acked, timeouts, seconds, fsyncs: io.fsyncs - fsyncsBefore, cpuUs: cpu.user + cpu.system };
}

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  return values[values.length >> 1] ?? Number.NaN;
}

function sum(slices: readonly StoreSlice[], field: keyof StoreSlice): number {
  return slices.reduce((total, slice) => total + slice[field], 0);
}

function row(mode: Mode, recordBytes: number, writers: number, ceilings: SyncCeiling[], slices: StoreSlice[], latencies: LatencyLog): BenchRow {
  const ratios = slices.map((slice, i) => slice.acked / slice.seconds / (ceilings[i] as SyncCeiling).putsPerSec);
  const [acked, seconds, cpuUs] = [sum(slices, "acked"), sum(slices, "seconds"), sum(slices, "cpuUs")];
  const [p50, p99, p999] = latencies.quantiles(0.5, 0.99, 0.999) as [number, number, number];
  const cycleMs = cycleP50Ms(ceilings);
  return {
    mode,
    "body (B)": recordBytes,
    writers,
    "puts/s": Math.round(acked / seconds),
    "ceiling puts/s": Math.round(median(ceilings.map((ceiling) => ceiling.putsPerSec))),
    "of ceiling": Number(median([...ratios]).toFixed(2)),
    "ack p50 (ms)": p50,
    "ack p99 (ms)": p99,
    "ack p99.9 (ms)": p999,
    "ceiling cycle p50 (ms)": cycleMs,
    "ack p99 in cycles": Number((p99 / cycleMs).toFixed(2)),
    "batch (puts/fdatasync)": Number((acked / Math.max(1, sum(slices, "fsyncs"))).toFixed(1)),
    "CPU µs/put": Number((cpuUs / Math.max(1, acked)).toFixed(2)),
    "CPU (cores)": Number((cpuUs / 1e6 / seconds).toFixed(2)),
    "overlapped (% of flights)": Math.round((100 * sum(slices, "overlapped")) / Math.max(1, sum(slices, "flights"))),
    timeouts: sum(slices, "timeouts"),
    "of ceiling, slices": ratios.map((ratio) => ratio.toFixed(2)).join(" "),
  };
}

/** One case: SLICES times a ceiling slice then a store slice, the store kept open in between. */
async function measure(dir: string, mode: Mode, recordBytes: number, writers: number): Promise<BenchRow> {
  const io = countingIO(nodeFileIO);
  const probe = new CeilingProbe(dir, Math.max(FILE_SIZE, 4 * writers * recordBytes));
  try {
    return await withStore(dir, mode, io, async (queue, manager) => {
      const record = Buffer.alloc(recordBytes, 0x61);
      const w: Writers = { queue, manager, count: writers, record, stopOffset: (PRECREATED_FILES - 1) * FILE_SIZE };
      await runWriters(w, WARMUP_MS, null);
      const latencies = new LatencyLog();
      const ceilings: SyncCeiling[] = [];
      const slices: StoreSlice[] = [];
      for (let i = 0; i < SLICES; i++) {
        ceilings.push(await probe.run(writers, recordBytes, CEILING_SLICE_MS));
        slices.push(await storeSlice(w, io, STORE_SLICE_MS, latencies));
      }
      return row(mode, recordBytes, writers, ceilings, slices, latencies);
    });
  } finally {
    probe.close();
  }
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
          const id = `${mode === "pool" ? "pool" : "page"}:${recordBytes}b:${writers}w`;
          if (!selected(id)) continue;
          process.stderr.write(`${id} `);
          rows.push(await measure(dir, mode, recordBytes, writers));
        }
      }
    }
    if (selected("trace")) cycle = await traceCycle(dir);
  } finally {
    await removeBenchDir(dir);
  }
  const load = { loadavgBefore: loadBefore, loadavgAfter: loadavg().map((l) => Number(l.toFixed(2))) };
  report("SYNC_FLUSH group commit vs batches written and fdatasync'd back to back", rows, { slices: SLICES, storeSliceMs: STORE_SLICE_MS, ceilingSliceMs: CEILING_SLICE_MS, overlap: OVERLAP, ...load });
  console.log(`load average (1/5/15 min) before ${load.loadavgBefore.join(" ")}, after ${load.loadavgAfter.join(" ")}`);
  if (cycle !== "") console.log(`\nOne steady-state cycle, 256 writers, 1 KiB, page cache (µs from an fdatasync's start):\n${cycle}\n`);
}

await main();
