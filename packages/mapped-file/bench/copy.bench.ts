// Copying bodies into a pool buffer (shared memory) at the unaligned positions packed records land
// on: TypedArray#set against copyBytes, for 100 B, 1 KiB and 4 KiB; the baseline is the same copy
// into plain memory in the same run. `pnpm bench`.
import type { BenchRow } from "@store/bench-kit";
import { nowMs, quickMode, report } from "@store/bench-kit";
import { copyBytes } from "../dist/copy-bytes.js";

const TARGET_BYTES = 64 * 1024 * 1024;
const COPIES = quickMode() ? 500_000 : 2_000_000;

type Copy = (target: Buffer, source: Buffer, position: number) => void;

/** ns per copy of `size`-byte sources (a ring of 64) at positions of every alignment. */
function time(target: Buffer, size: number, copy: Copy): number {
  const sources = Array.from({ length: 64 }, (_, i) => Buffer.alloc(size, i + 1));
  const stride = size + 13; // records are packed: positions walk through every alignment mod 8
  let position = 0;
  const started = nowMs();
  for (let i = 0; i < COPIES; i++) {
    copy(target, sources[i & 63] as Buffer, position);
    position += stride;
    if (position + stride > target.length) position = 0;
  }
  return ((nowMs() - started) * 1e6) / COPIES;
}

const set: Copy = (target, source, position) => target.set(source, position);
const viaCopyBytes: Copy = (target, source, position) => void copyBytes(target, source, position, true);

const shared = Buffer.from(new SharedArrayBuffer(TARGET_BYTES)).fill(1);
const plain = Buffer.alloc(TARGET_BYTES, 1);
const rows: BenchRow[] = [];
for (const size of [100, 1024, 4096]) {
  const baseline = time(plain, size, set);
  const sharedSet = time(shared, size, set);
  const sharedCopyBytes = time(shared, size, viaCopyBytes);
  rows.push({
    body: size,
    plainSetNs: baseline,
    sharedSetNs: sharedSet,
    sharedCopyBytesNs: sharedCopyBytes,
    setRatioToPlain: sharedSet / baseline,
    copyBytesRatioToPlain: sharedCopyBytes / baseline,
  });
}
report("copy into a pool buffer (ns per copy; ratio to plain-memory set, lower is better)", rows);
