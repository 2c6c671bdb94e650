import type { FileIO } from "@store/mapped-file";
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
