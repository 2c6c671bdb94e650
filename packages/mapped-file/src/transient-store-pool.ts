import { passPagesThroughKernel } from "./pool-warm-up.js";
import { StoreError } from "./store-error.js";

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
  readonly #available: Buffer[] = [];
  readonly #lent = new Set<Buffer>();
  #destroyed = false;

  /** @throws StoreError BAD_ARGUMENT unless both are positive integers. */
  constructor(poolSize: number, fileSize: number) {
    if (!Number.isSafeInteger(poolSize) || poolSize <= 0) {
      throw new StoreError("BAD_ARGUMENT", `poolSize must be a positive integer, got ${poolSize}`);
    }
    if (!Number.isSafeInteger(fileSize) || fileSize <= 0) {
      throw new StoreError("BAD_ARGUMENT", `fileSize must be a positive integer, got ${fileSize}`);
    }
    this.poolSize = poolSize;
    this.fileSize = fileSize;
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
      const buffer = Buffer.allocUnsafeSlow(this.fileSize).fill(0);
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
      throw new StoreError(
        "POOL_BUFFER_INVALID",
        "buffer was not lent by this pool, or was returned twice",
      );
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
