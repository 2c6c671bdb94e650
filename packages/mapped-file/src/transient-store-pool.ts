import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MappedFile } from "./mapped-file.js";
import { StoreError } from "./store-error.js";

const WARM_CHUNK_BYTES = 1024 * 1024;

/**
 * Hands every page of `buffers` to the kernel once, by writing them 1 MiB at a time over the same
 * 1 MiB of a scratch file. On a VM whose host backs guest memory lazily the kernel's first read of a
 * freshly touched page is slow, so a commit from a fresh pool runs slower than one from a used pool;
 * this pass at start-up closes the gap (figures: bench/RESULTS.md). Best effort: without a writable
 * tmpdir it does nothing.
 */
function passPagesThroughKernel(buffers: readonly Buffer[]): void {
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
        for (let at = 0; at < buffer.length; at += WARM_CHUNK_BYTES) writeSync(fd, buffer, at, Math.min(WARM_CHUNK_BYTES, buffer.length - at), 0);
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

/**
 * Finishes bytes `[from, to)` of `file`'s pool buffer before a commit writes them to the file, e.g.
 * fills in checksums computed off the main thread. The commit waits for it; a rejection fails the
 * commit (nothing is written and the committed position does not move). It must only change bytes
 * inside the range.
 */
export type BeforeCommit = (file: MappedFile, buffer: Buffer, from: number, to: number) => Promise<void>;

/**
 * Told, once per tick (in a microtask after the tick's first append), which bytes `[from, to)` of
 * `file`'s pool buffer the tick appended, so finishing them can start before the commit asks
 * (BeforeCommit then only waits for it). Work it starts must be over when its promise settles: a file
 * closed or destroyed early gives its buffer back to the pool only after that.
 */
export type AfterAppend = (file: MappedFile, buffer: Buffer, from: number, to: number) => Promise<void>;

/** Options of a `TransientStorePool`. */
export interface TransientStorePoolOptions {
  /**
   * Back the buffers with SharedArrayBuffers, so worker threads can read and write them in place
   * (see {@link BeforeCommit}). Default false.
   */
  readonly sharedMemory?: boolean;
}

/**
 * A pool of in-process buffers, one segment file in size each (RocketMQ's TransientStorePool). With
 * the pool, appends land in a borrowed buffer and `MappedFile.commit` writes them to the file in large
 * chunks; the buffer comes back when its file is fully committed. Reuse is LIFO, to keep the
 * most recently touched memory hot.
 *
 * Memory: `poolSize * fileSize` bytes, allocated once by `init()`.
 */
export class TransientStorePool {
  readonly poolSize: number;
  readonly fileSize: number;
  readonly sharedMemory: boolean;
  /**
   * Run by every commit of a file using this pool's buffers, before the bytes are written; null (the
   * default) writes them as appended. Set by the pool's owner before files use the pool.
   */
  beforeCommit: BeforeCommit | null = null;
  /** See {@link AfterAppend}; null (the default) tells nobody. Set before files use the pool. */
  afterAppend: AfterAppend | null = null;
  readonly #available: Buffer[] = [];
  readonly #lent = new Set<Buffer>();
  #destroyed = false;

  /** @throws StoreError BAD_ARGUMENT unless both are positive integers. */
  constructor(poolSize: number, fileSize: number, options: TransientStorePoolOptions = {}) {
    if (!Number.isSafeInteger(poolSize) || poolSize <= 0) {
      throw new StoreError("BAD_ARGUMENT", `poolSize must be a positive integer, got ${poolSize}`);
    }
    if (!Number.isSafeInteger(fileSize) || fileSize <= 0) {
      throw new StoreError("BAD_ARGUMENT", `fileSize must be a positive integer, got ${fileSize}`);
    }
    this.poolSize = poolSize;
    this.fileSize = fileSize;
    this.sharedMemory = options.sharedMemory ?? false;
  }

  /**
   * Allocates the buffers and touches every page of them (as RocketMQ mlocks its pool), so the
   * first appends into a buffer do not pay its page faults, then passes each page through one write
   * system call into a scratch file in the OS tmpdir, so the first commit does not pay the kernel's
   * first read of it either (see the README). Calling it again tops the pool back up.
   */
  init(): void {
    this.#destroyed = false;
    const added: Buffer[] = [];
    while (this.#available.length + this.#lent.size < this.poolSize) {
      const buffer = (this.sharedMemory ? Buffer.from(new SharedArrayBuffer(this.fileSize)) : Buffer.allocUnsafeSlow(this.fileSize)).fill(0);
      this.#available.push(buffer);
      added.push(buffer);
    }
    passPagesThroughKernel(added);
  }

  /** A free buffer, or null when every buffer is lent out (the caller then writes to the file directly). */
  borrowBuffer(): Buffer | null {
    const buffer = this.#available.pop();
    if (buffer === undefined) return null;
    this.#lent.add(buffer);
    return buffer;
  }

  /**
   * Gives a buffer back. Its stale contents are never written again: a file only commits what it appended.
   * @throws StoreError POOL_BUFFER_INVALID if the buffer was not lent by this pool or was returned already.
   */
  returnBuffer(buffer: Buffer): void {
    if (!this.#lent.delete(buffer)) {
      throw new StoreError("POOL_BUFFER_INVALID", "buffer was not lent by this pool, or was returned twice");
    }
    if (!this.#destroyed) this.#available.push(buffer);
  }

  /** Buffers ready to lend. */
  get availableBufferNums(): number {
    return this.#available.length;
  }

  /** Drops the free buffers; lent ones stay valid until their files let go of them. */
  destroy(): void {
    this.#destroyed = true;
    this.#available.length = 0;
  }
}
