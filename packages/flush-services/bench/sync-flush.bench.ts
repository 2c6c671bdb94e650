// SYNC_FLUSH group commit on the real disk: N concurrent writers (1, 16, 64, 256, 1024) each append a
// record (100 B, 1 KiB, 4 KiB) to a MappedFileQueue and await handleDiskFlush, in a loop. Each case
// is compared with its ceiling in the same run: batches of N records written and fdatasync'd back to
// back (sync-ceiling.ts). The store runs over pre-created files; the ceiling and the store take turns
// in short slices (this VM's disk is shared and its speed drifts within seconds), and a row's ratio is
// the median of its slices' ratios to the ceiling slice just before. Reports puts/s, the ratio, ack
// p50/p99/p99.9, ack p99 in ceiling cycles, puts per fdatasync, CPU per put; then traces one
// steady-state cycle (256 writers, 1 KiB; cycle-trace.ts).
// `pnpm bench` (BENCH_QUICK=1: short; BENCH_ONLY=page:1024b:256w,pool,trace: only the cases whose id
// contains one of the comma-separated parts).
import { mkdir } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { makeBenchDir, quickMode, removeBenchDir, report } from "@store/bench-kit";
import type { BenchRow } from "@store/bench-kit";
import { MappedFileQueue } from "@store/file-queue";
import { FlushManager } from "@store/flush-services";
import { MappedFile, TransientStorePool, nodeFileIO, offsetToFileName } from "@store/mapped-file";
import { countingIO } from "./counting-io.js";
import type { CountingIO } from "./counting-io.js";
import { CycleTrace, summarizeCycle } from "./cycle-trace.js";
import { CeilingProbe, cycleQuantileMs } from "./sync-ceiling.js";
import type { SyncCeiling } from "./sync-ceiling.js";

const BODY_SIZES = [100, 1024, 4096];
const WRITER_COUNTS = [1, 16, 64, 256, 1024];
const FILE_SIZE = 64 * 1024 * 1024;
/** Zero-filled segments made before timing, per store; a case stops appending once it filled all but one. */
const PRECREATED_FILES = quickMode() ? 8 : 16;
/** Per case: SLICES times a ceiling slice then a slice of each store. */
const SLICES = quickMode() ? 3 : 5;
const STORE_SLICE_MS = quickMode() ? 300 : 600;
const CEILING_SLICE_MS = quickMode() ? 150 : 300;
const WARMUP_MS = quickMode() ? 150 : 300;
const POOL_SIZE = 5;
const ONLY = (process.env.BENCH_ONLY ?? "").split(",").filter((part) => part !== "");

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
    return ps.map(
      (p) =>
        sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ??
        Number.NaN,
    );
  }
}

interface StoreSlice {
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

/**
 * The roll-over path: pads the last file's tail that cannot hold a record (the commit log writes a
 * blank record there), opens the next (pre-created) file, then appends.
 */
async function appendToNewFile(queue: MappedFileQueue, record: Buffer): Promise<number> {
  for (;;) {
    const file = await queue.getLastMappedFile(0);
    if (file === null) throw new Error(`no file: ${queue.lastCreateError?.message}`);
    if (file.appendMessage(record)) return file.fileFromOffset + file.wrotePosition;
    if (!file.isFull()) file.appendMessage(Buffer.alloc(file.fileSize - file.wrotePosition));
  }
}

/** Runs the writers until `durationMs` passed or the log reached `stopOffset`. */
async function runWriters(
  w: Writers,
  durationMs: number,
  latencies: LatencyLog | null,
): Promise<{ acked: number; timeouts: number }> {
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
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < PRECREATED_FILES; i++) {
    const file = await MappedFile.open(join(dir, offsetToFileName(i * FILE_SIZE)), FILE_SIZE, {
      preallocation: "zero-fill",
    });
    await file.close();
  }
}

/** A store (queue + FlushManager) over pre-created files, with its writers. */
interface Store {
  readonly io: CountingIO;
  readonly writers: Writers;
  readonly latencies: LatencyLog;
  readonly slices: StoreSlice[];
  close(): Promise<void>;
}

/** Opens a queue over `dir`'s pre-created files (a new queue starts at offset 0 and overwrites them). */
function openStore(
  dir: string,
  mode: Mode,
  count: number,
  recordBytes: number,
  trace?: CycleTrace,
): Store {
  const pool = mode === "pool" ? new TransientStorePool(POOL_SIZE, FILE_SIZE) : null;
  pool?.init();
  const io = countingIO(nodeFileIO);
  const queue = new MappedFileQueue({
    storePath: dir,
    mappedFileSize: FILE_SIZE,
    io: trace ? trace.wrap(io) : io,
    transientStorePool: pool,
  });
  const config = { flushDiskType: "SYNC_FLUSH", transientStorePoolEnable: pool !== null } as const;
  const manager = new FlushManager(queue, config);
  manager.start();
  const record = Buffer.alloc(recordBytes, 0x61);
  const writers: Writers = {
    queue,
    manager,
    count,
    record,
    stopOffset: (PRECREATED_FILES - 1) * FILE_SIZE,
    trace,
  };
  const close = async (): Promise<void> => {
    await manager.shutdown();
    await queue.shutdown(1000);
    pool?.destroy();
  };
  return { io, writers, latencies: new LatencyLog(), slices: [], close };
}

/** One store slice: the writers run for `durationMs`; what they and the disk did meanwhile. */
async function storeSlice(store: Store, durationMs: number): Promise<StoreSlice> {
  const fsyncsBefore = store.io.fsyncs;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const { acked, timeouts } = await runWriters(store.writers, durationMs, store.latencies);
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    acked,
    timeouts,
    seconds,
    fsyncs: store.io.fsyncs - fsyncsBefore,
    cpuUs: cpu.user + cpu.system,
  };
}

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  return values[values.length >> 1] ?? Number.NaN;
}

function sum(slices: readonly StoreSlice[], field: keyof StoreSlice): number {
  return slices.reduce((total, slice) => total + slice[field], 0);
}

function row(
  mode: Mode,
  recordBytes: number,
  writers: number,
  ceilings: SyncCeiling[],
  store: Store,
): BenchRow {
  const { slices, latencies } = store;
  const ratios = slices.map(
    (slice, i) => slice.acked / slice.seconds / (ceilings[i] as SyncCeiling).putsPerSec,
  );
  const [acked, seconds, cpuUs] = [
    sum(slices, "acked"),
    sum(slices, "seconds"),
    sum(slices, "cpuUs"),
  ];
  const [p50, p99, p999] = latencies.quantiles(0.5, 0.99, 0.999) as [number, number, number];
  const cycleMs = cycleQuantileMs(ceilings, 0.5);
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
    "ceiling cycle p50 / p99 (ms)": `${cycleMs.toFixed(3)} / ${cycleQuantileMs(ceilings, 0.99).toFixed(3)}`,
    "ack p99 in cycles (p50)": Number((p99 / cycleMs).toFixed(2)),
    "batch (puts/fdatasync)": Number((acked / Math.max(1, sum(slices, "fsyncs"))).toFixed(1)),
    "CPU µs/put": Number((cpuUs / Math.max(1, acked)).toFixed(2)),
    "CPU (cores)": Number((cpuUs / 1e6 / seconds).toFixed(2)),
    timeouts: sum(slices, "timeouts"),
    "of ceiling, slices": ratios.map((ratio) => ratio.toFixed(2)).join(" "),
  };
}

/** One case: SLICES times a ceiling slice then a store slice, the store kept open in between. */
async function measure(
  dir: string,
  mode: Mode,
  recordBytes: number,
  writers: number,
): Promise<BenchRow> {
  const probe = new CeilingProbe(dir, Math.max(FILE_SIZE, 4 * writers * recordBytes));
  const store = openStore(join(dir, "store"), mode, writers, recordBytes);
  try {
    await runWriters(store.writers, WARMUP_MS, null);
    const ceilings: SyncCeiling[] = [];
    for (let i = 0; i < SLICES; i++) {
      ceilings.push(await probe.run(writers, recordBytes, CEILING_SLICE_MS));
      store.slices.push(await storeSlice(store, STORE_SLICE_MS));
    }
    return row(mode, recordBytes, writers, ceilings, store);
  } finally {
    await store.close();
    probe.close();
  }
}

/** A short run of 256 writers with every write, fdatasync, put and ack stamped; one cycle printed. */
async function traceCycle(dir: string): Promise<string> {
  const trace = new CycleTrace();
  const store = openStore(dir, "page cache", 256, 1024, trace);
  try {
    await runWriters(store.writers, WARMUP_MS, null);
    trace.events.length = 0;
    // At least a dozen fdatasyncs (a slow disk may take several ms each), at most 3 s.
    for (
      let i = 0;
      i < 10 && trace.events.filter((event) => event.kind === "fsync start").length < 12;
      i++
    ) {
      await runWriters(store.writers, 300, null);
    }
    return summarizeCycle(trace);
  } finally {
    await store.close();
  }
}

function selected(id: string): boolean {
  return ONLY.length === 0 || ONLY.some((part) => id.includes(part));
}

async function main(): Promise<void> {
  const dir = await makeBenchDir("flush-services-sync-");
  const loadBefore = loadavg().map((l) => Number(l.toFixed(2)));
  const rows: BenchRow[] = [];
  const cycles: string[] = [];
  try {
    await precreate(join(dir, "store"));
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
    if (selected("trace")) cycles.push(await traceCycle(join(dir, "store")));
  } finally {
    await removeBenchDir(dir);
  }
  const load = {
    loadavgBefore: loadBefore,
    loadavgAfter: loadavg().map((l) => Number(l.toFixed(2))),
  };
  const extra = {
    slices: SLICES,
    storeSliceMs: STORE_SLICE_MS,
    ceilingSliceMs: CEILING_SLICE_MS,
    ...load,
  };
  report("SYNC_FLUSH group commit vs batches written and fdatasync'd back to back", rows, extra);
  console.log(
    `load average (1/5/15 min) before ${load.loadavgBefore.join(" ")}, after ${load.loadavgAfter.join(" ")}`,
  );
  for (const cycle of cycles)
    console.log(
      `\nOne steady-state cycle, 256 writers, 1 KiB, page cache (µs from an fdatasync's start):\n${cycle}\n`,
    );
}

await main();
