/** Something holding a reference that a read result must drop exactly once. */
export interface Releasable {
  /** Gives back the hold taken for this read; call it once, when done with the bytes. */
  release(): void;
}

/**
 * Bytes read from a segment file (RocketMQ's SelectMappedBufferResult). The result holds a reference
 * on its file, so the file cannot be deleted while the caller uses it: call `release()` when done
 * (idempotent).
 */
export class SelectMappedBufferResult {
  /** Absolute commit-log offset of `buffer[0]`. */
  readonly startOffset: number;
  /** The bytes, owned by the caller. */
  readonly buffer: Buffer;
  #owner: Releasable | null;

  constructor(startOffset: number, buffer: Buffer, owner: Releasable | null) {
    this.startOffset = startOffset;
    this.buffer = buffer;
    this.#owner = owner;
  }

  /** Length of `buffer`, bytes. */
  get size(): number {
    return this.buffer.length;
  }

  /** Drops the reference on the file. Safe to call more than once. */
  release(): void {
    const owner = this.#owner;
    this.#owner = null;
    owner?.release();
  }
}
