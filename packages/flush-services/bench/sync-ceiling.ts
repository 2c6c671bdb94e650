// The SYNC_FLUSH ceiling of a bench case, measured in the same run: batches of the writers' size
// written and fdatasync'd back to back, with the calls the store makes per batch (one synchronous
// pwrite of the batch, as the staged page-cache write is, then fdatasync on the thread pool).
import * as fs from "node:fs";
import { join } from "node:path";
import { percentile, zeroFilledFile } from "@store/bench-kit";

export interface SyncCeiling {
  /** Messages per second: batch messages per (write + fdatasync) cycle. */
  readonly putsPerSec: number;
  /** Every write + fdatasync cycle of a batch, ms. */
  readonly cyclesMs: readonly number[];
}

function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) =>
    fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())),
  );
}

/** A zero-filled file the ceiling writes into, wrapping around (made once per case, not timed). */
export class CeilingProbe {
  readonly #path: string;
  readonly #fd: number;
  readonly #fileBytes: number;
  #position = 0;

  constructor(dir: string, fileBytes: number) {
    this.#path = join(dir, "ceiling-probe");
    this.#fileBytes = fileBytes;
    zeroFilledFile(this.#path, fileBytes);
    this.#fd = fs.openSync(this.#path, "r+");
  }

  /** Writes `batch` records of `recordBytes` with one writeSync, then fdatasyncs, for `durationMs`. */
  async run(batch: number, recordBytes: number, durationMs: number): Promise<SyncCeiling> {
    const batchBytes = batch * recordBytes;
    if (batchBytes > this.#fileBytes)
      throw new Error(
        `a batch of ${batchBytes} B does not fit the ${this.#fileBytes} B probe file`,
      );
    const data = Buffer.alloc(batchBytes, 0x63);
    const cyclesMs: number[] = [];
    const deadline = performance.now() + durationMs;
    for (
      let now = performance.now();
      now < deadline || cyclesMs.length < 3;
      now = performance.now()
    ) {
      if (this.#position + batchBytes > this.#fileBytes) this.#position = 0;
      fs.writeSync(this.#fd, data, 0, batchBytes, this.#position);
      this.#position += batchBytes;
      await fdatasync(this.#fd);
      cyclesMs.push(performance.now() - now);
    }
    const totalMs = cyclesMs.reduce((sum, ms) => sum + ms, 0);
    return { putsPerSec: (batch * cyclesMs.length) / (totalMs / 1000), cyclesMs };
  }

  close(): void {
    fs.closeSync(this.#fd);
    fs.rmSync(this.#path, { force: true });
  }
}

/** A quantile (0..1) of every cycle of several ceiling runs, ms. */
export function cycleQuantileMs(ceilings: readonly SyncCeiling[], p: number): number {
  return percentile(
    ceilings.flatMap((ceiling) => ceiling.cyclesMs),
    p,
  );
}
