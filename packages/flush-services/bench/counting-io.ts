import type { FileIO, TransientStorePool } from "@store/mapped-file";
import { nowMs } from "@store/bench-kit";

/** `node:fs` FileIO that counts fdatasyncs and times them, so a bench can report the batch size reached. */
export interface CountingIO extends FileIO {
  readonly fsyncs: number;
  /** Duration of every fdatasync since the last `resetSamples()`, ms. */
  readonly fsyncSamplesMs: number[];
  resetSamples(): void;
}

export function countingIO(inner: FileIO): CountingIO {
  let fsyncs = 0;
  let samples: number[] = [];
  return {
    ...inner,
    get fsyncs() {
      return fsyncs;
    },
    get fsyncSamplesMs() {
      return samples;
    },
    resetSamples() {
      samples = [];
    },
    async fdatasync(fd) {
      const start = nowMs();
      await inner.fdatasync(fd);
      samples.push(nowMs() - start);
      fsyncs++;
    },
  };
}

/**
 * Touches every pool buffer once, as RocketMQ's mlock at pool init does: a fresh Buffer.alloc is
 * mapped lazily, and the first write to each 4 KiB page otherwise pays a page fault during the run.
 */
export function prefaultPool(pool: TransientStorePool): void {
  const buffers: Buffer[] = [];
  for (let buffer = pool.borrowBuffer(); buffer !== null; buffer = pool.borrowBuffer()) {
    buffer.fill(1);
    buffer.fill(0);
    buffers.push(buffer);
  }
  for (const buffer of buffers) pool.returnBuffer(buffer);
}
