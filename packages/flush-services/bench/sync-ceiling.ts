// The SYNC_FLUSH ceiling of a bench case, measured in the same run: batches of the writers' size
// written and fdatasync'd back to back, with the calls the store makes per batch (one synchronous
// pwrite of the batch, as the staged page-cache write is, then fdatasync on the thread pool).
import * as fs from "node:fs";
import { join } from "node:path";
import { percentile, zeroFilledFile } from "@store/bench-kit";

export interface SyncCeiling {
  /** Messages per second: batch messages per (write + fdatasync) cycle. */
  readonly putsPerSec: number;
  /** One write + fdatasync cycle of a batch, ms. */
  readonly cycleP50Ms: number;
  readonly cycleMeanMs: number;
  readonly cycles: number;
}

function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));
}

/**
 * Writes `batch` records of `recordBytes` with one `writeSync` at sequential offsets of a zero-filled
 * file, then fdatasyncs, back to back for `durationMs` (wrapping around a file of `fileBytes`).
 */
export async function syncCeiling(options: {
  dir: string;
  batch: number;
  recordBytes: number;
  durationMs: number;
  fileBytes: number;
}): Promise<SyncCeiling> {
  const batchBytes = options.batch * options.recordBytes;
  const fileBytes = Math.max(options.fileBytes, batchBytes);
  const path = join(options.dir, "ceiling-probe");
  zeroFilledFile(path, fileBytes);
  const data = Buffer.alloc(batchBytes, 0x63);
  const fd = fs.openSync(path, "r+");
  const samples: number[] = [];
  try {
    const deadline = performance.now() + options.durationMs;
    let position = 0;
    for (let now = performance.now(); now < deadline || samples.length < 3; now = performance.now()) {
      if (position + batchBytes > fileBytes) position = 0;
      fs.writeSync(fd, data, 0, batchBytes, position);
      position += batchBytes;
      await fdatasync(fd);
      samples.push(performance.now() - now);
    }
  } finally {
    fs.closeSync(fd);
    fs.rmSync(path, { force: true });
  }
  const totalMs = samples.reduce((sum, ms) => sum + ms, 0);
  return {
    putsPerSec: (options.batch * samples.length) / (totalMs / 1000),
    cycleP50Ms: percentile(samples, 0.5),
    cycleMeanMs: totalMs / samples.length,
    cycles: samples.length,
  };
}
