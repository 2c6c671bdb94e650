import * as fs from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One row of a benchmark table: a case name and its measured figures. */
export type BenchRow = Readonly<Record<string, string | number>>;

/** High-resolution clock, ms. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** BENCH_QUICK=1 shrinks the workloads, for a smoke run. */
export function quickMode(): boolean {
  return process.env.BENCH_QUICK === "1";
}

/** A fresh scratch directory under $BENCH_DIR (or the OS temp dir). */
export function makeBenchDir(prefix = "store-bench-"): Promise<string> {
  const root = process.env.BENCH_DIR ?? tmpdir();
  fs.mkdirSync(root, { recursive: true });
  return mkdtemp(join(root, prefix));
}

export function removeBenchDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/** The value at quantile `p` (0..1) of `values` (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** Bytes per second expressed in MB/s (10^6 bytes). */
export function mbPerSec(bytes: number, ms: number): number {
  return bytes / 1e6 / (ms / 1000);
}

const CHUNK = 1024 * 1024;

/** Writes `size` bytes of zeros to a new file and syncs it, as a segment pre-allocation does. */
export function zeroFilledFile(path: string, size: number): void {
  const zeros = Buffer.alloc(CHUNK);
  const fd = fs.openSync(path, "w");
  try {
    for (let at = 0; at < size; at += CHUNK)
      fs.writeSync(fd, zeros, 0, Math.min(CHUNK, size - at), at);
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export interface RawWriteResult {
  readonly seconds: number;
  /** The part of `seconds` spent in fdatasync (waiting for the disk; the rest is the writes). */
  readonly syncSeconds: number;
  readonly mbPerSec: number;
  readonly bytes: number;
}

/**
 * The raw baseline: `totalBytes` written with fs.writeSync in 1 MiB chunks into pre-sized files of
 * `fileSize` bytes, plus one fdatasync per file. Pre-sizing is not timed, as a store pre-allocates
 * in the background. `preallocation` "zero-fill" (the default, the baseline the targets name) writes
 * and syncs zeros first, so the timed writes land on allocated blocks in the page cache; "sparse"
 * only sets the length, as an ASYNC store's segments are, so the timed writes allocate blocks.
 */
export function rawWriteBaseline(options: {
  dir: string;
  totalBytes: number;
  fileSize?: number;
  preallocation?: "zero-fill" | "sparse";
}): RawWriteResult {
  const fileSize = options.fileSize ?? options.totalBytes;
  const files: string[] = [];
  for (let at = 0; at < options.totalBytes; at += fileSize) {
    const path = join(options.dir, `raw-${files.length}`);
    const size = Math.min(fileSize, options.totalBytes - at);
    if (options.preallocation === "sparse") sparseFile(path, size);
    else zeroFilledFile(path, size);
    files.push(path);
  }
  const chunk = Buffer.alloc(CHUNK, 0x61);
  const start = nowMs();
  let written = 0;
  let syncMs = 0;
  for (const path of files) {
    const fd = fs.openSync(path, "r+");
    const size = fs.fstatSync(fd).size;
    for (let at = 0; at < size; at += CHUNK)
      written += fs.writeSync(fd, chunk, 0, Math.min(CHUNK, size - at), at);
    const syncStart = nowMs();
    fs.fdatasyncSync(fd);
    syncMs += nowMs() - syncStart;
    fs.closeSync(fd);
  }
  const ms = nowMs() - start;
  for (const path of files) fs.rmSync(path, { force: true });
  return {
    seconds: ms / 1000,
    syncSeconds: syncMs / 1000,
    mbPerSec: mbPerSec(written, ms),
    bytes: written,
  };
}

/** A new file of `size` bytes with no blocks (ftruncate), synced, as a sparse segment is created. */
function sparseFile(path: string, size: number): void {
  const fd = fs.openSync(path, "w");
  try {
    fs.ftruncateSync(fd, size);
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export interface FsyncLatency {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
}

/**
 * Latency of one write of `writeBytes` followed by fdatasync, at sequential offsets of a zero-filled
 * file, through the async (thread-pool) API a store uses.
 */
export async function fdatasyncLatency(options: {
  dir: string;
  writeBytes: number;
  iterations: number;
}): Promise<FsyncLatency> {
  const path = join(options.dir, "fsync-probe");
  zeroFilledFile(path, options.writeBytes * options.iterations);
  const handle = await fs.promises.open(path, "r+");
  const data = Buffer.alloc(options.writeBytes, 0x62);
  const samples: number[] = [];
  try {
    for (let i = 0; i < options.iterations; i++) {
      const start = nowMs();
      await handle.write(data, 0, data.length, i * options.writeBytes);
      await handle.datasync();
      samples.push(nowMs() - start);
    }
  } finally {
    await handle.close();
    fs.rmSync(path, { force: true });
  }
  const meanMs = samples.reduce((a, b) => a + b, 0) / samples.length;
  return { p50Ms: percentile(samples, 0.5), p99Ms: percentile(samples, 0.99), meanMs };
}

function format(value: string | number): string {
  if (typeof value === "string") return value;
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(3);
}

/**
 * Prints a benchmark's result: one JSON line (`{"bench": title, ...extra, "rows": [...]}`) for tools,
 * then a markdown table for people.
 */
export function report(
  title: string,
  rows: readonly BenchRow[],
  extra: Readonly<Record<string, unknown>> = {},
): void {
  console.log(JSON.stringify({ bench: title, ...extra, rows }));
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const lines = [
    `\n### ${title}\n`,
    `| ${columns.join(" | ")} |`,
    `| ${columns.map(() => "---").join(" | ")} |`,
    ...rows.map(
      (row) =>
        `| ${columns.map((c) => (row[c] === undefined ? "" : format(row[c]))).join(" | ")} |`,
    ),
  ];
  console.log(lines.join("\n") + "\n");
}
