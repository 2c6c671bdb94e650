import type { StoreError } from "./store-error.js";

/**
 * Page-cache mode stages appends in a buffer of this size and writes them with one positional write
 * per tick (or when it fills): a system call per record would cost more than the record's copy, while
 * one 1 MiB write costs about the same per byte as a memcpy (figures: bench/RESULTS.md).
 */
export const STAGING_BUFFER_BYTES = 1024 * 1024;
/** Staging buffers are only held within a tick; a few idle ones are kept for reuse. */
const MAX_IDLE_STAGING_BUFFERS = 4;
const idleStagingBuffers: Buffer[] = [];

interface Waiters {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: StoreError) => void;
}

function newWaiters(): Waiters {
  let resolve: () => void = () => undefined;
  let reject: (error: StoreError) => void = () => undefined;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Writes `buffer[0, length)` at file `position`, synchronously. @throws StoreError DISK_FULL or IO_ERROR */
export type StagedWriter = (buffer: Buffer, length: number, position: number) => void;

/**
 * A page-cache-mode file's appends that are not in the file yet: consecutive bytes from file position
 * `from`, in a staging buffer. The first claim of a tick queues a microtask that writes them all with
 * one positional write, so the file has them before any caller awaiting an append resumes. A failed
 * write keeps the bytes staged; the next claim or write retries it first.
 */
export class StagedWrites {
  #buffer: Buffer | null = null;
  #from = 0;
  #length = 0;
  #queued = false;
  /** Callers of `whenWritten()` waiting for the staged bytes. */
  #waiters: Waiters | null = null;
  /** The last failed write; cleared once a retry succeeds. */
  #error: StoreError | null = null;
  readonly #write: StagedWriter;
  readonly #writeAtTickEnd = (): void => {
    this.#queued = false;
    try {
      this.write();
    } catch (error) {
      // The bytes stay staged (a later claim or write retries); the appends waiting for them are told now.
      const waiters = this.#waiters;
      this.#waiters = null;
      waiters?.reject(error as StoreError);
    }
  };

  constructor(write: StagedWriter) {
    this.#write = write;
  }

  /** Whether any bytes are staged. */
  get pending(): boolean {
    return this.#buffer !== null;
  }

  /** File position of the first staged byte (meaningful while `pending`). */
  get from(): number {
    return this.#from;
  }

  /** The staging buffer the last claim returned an offset into. */
  get buffer(): Buffer {
    return this.#buffer as Buffer;
  }

  /**
   * Room for `length` bytes (at most STAGING_BUFFER_BYTES) at file `position`, which must follow the
   * staged bytes. Writes them first when the buffer is full or a previous write failed. Returns
   * where the room starts in `buffer`; the caller fills it before the tick ends.
   * @throws StoreError DISK_FULL or IO_ERROR when that write fails (nothing is claimed).
   */
  claim(position: number, length: number): number {
    if (
      this.#error !== null ||
      (this.#buffer !== null && this.#length + length > this.#buffer.length)
    )
      this.write();
    if (this.#buffer === null) {
      this.#buffer = idleStagingBuffers.pop() ?? Buffer.allocUnsafeSlow(STAGING_BUFFER_BYTES);
      this.#from = position;
    }
    const at = this.#length;
    this.#length = at + length;
    if (!this.#queued) {
      this.#queued = true;
      // A microtask: it runs before any caller awaiting this append's result resumes.
      queueMicrotask(this.#writeAtTickEnd);
    }
    return at;
  }

  /** Takes back the last `length` bytes claimed (the append that claimed them failed). */
  unclaim(length: number): void {
    if (this.#buffer === null) return;
    this.#length -= length;
    if (this.#length === 0) this.#release(this.#buffer);
  }

  /**
   * Writes the staged bytes (one positional write) and wakes `whenWritten()` callers.
   * @throws StoreError DISK_FULL or IO_ERROR; the bytes stay staged for a retry.
   */
  write(): void {
    const buffer = this.#buffer;
    if (buffer === null) return;
    try {
      this.#write(buffer, this.#length, this.#from);
    } catch (error) {
      this.#error = error as StoreError;
      throw error;
    }
    this.#error = null;
    this.#release(buffer);
    const waiters = this.#waiters;
    this.#waiters = null;
    waiters?.resolve();
  }

  /** Drops the staged bytes (positions were reset, or the file closes and cannot write them). */
  drop(error: StoreError): void {
    const buffer = this.#buffer;
    if (buffer === null) return;
    this.#release(buffer);
    this.#error = null;
    const waiters = this.#waiters;
    this.#waiters = null;
    waiters?.reject(error);
  }

  /** Null when nothing is staged; otherwise settles with the write of the bytes staged so far. */
  whenWritten(): Promise<void> | null {
    if (this.#buffer === null) return null;
    this.#waiters ??= newWaiters();
    return this.#waiters.promise;
  }

  #release(buffer: Buffer): void {
    this.#buffer = null;
    this.#length = 0;
    if (idleStagingBuffers.length < MAX_IDLE_STAGING_BUFFERS) idleStagingBuffers.push(buffer);
  }
}
