import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const WARM_CHUNK_BYTES = 1024 * 1024;

/**
 * Hands every page of `buffers` to the kernel once, by writing them 1 MiB at a time over the same
 * 1 MiB of a scratch file in the OS tmpdir (deleted right after). On the reference VM the kernel's
 * first read of a freshly touched page is slow, and pool-mode puts from a pool that skipped this pass
 * ran well below those from one that took it (bench/RESULTS.md of @store/commitlog). Best effort:
 * without a writable tmpdir it does nothing.
 */
export function passPagesThroughKernel(buffers: readonly Buffer[]): void {
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpdir(), "store-pool-warm-"));
  } catch {
    return;
  }
  try {
    const fd = openSync(join(dir, "scratch"), "w");
    try {
      for (const buffer of buffers) {
        for (let at = 0; at < buffer.length; at += WARM_CHUNK_BYTES)
          writeSync(fd, buffer, at, Math.min(WARM_CHUNK_BYTES, buffer.length - at), 0);
      }
    } finally {
      closeSync(fd);
    }
  } catch {
    // only a speed-up: a full or read-only tmpdir changes nothing else
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
