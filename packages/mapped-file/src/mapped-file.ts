import assert from "node:assert/strict";
import { basename } from "node:path";
import type { AppendMessageCallback, AppendMessageResult } from "./append-message.js";
import { unknownErrorResult } from "./append-message.js";
import { OS_PAGE_SIZE, fileNameToOffset } from "./file-name.js";
import type { FileIO } from "./file-io.js";
import { nodeFileIO } from "./file-io.js";
import { writeInParallel } from "./parallel-write.js";
import { ReferenceResource } from "./reference-resource.js";
import type { Preallocation } from "./segment-file.js";
import { ZERO_CHUNK, clearTail, createSegment } from "./segment-file.js";
import { SelectMappedBufferResult } from "./select-mapped-buffer-result.js";
import { STAGING_BUFFER_BYTES, StagedWrites } from "./staged-writes.js";
import { StoreError, ioError } from "./store-error.js";
import type { TransientStorePool } from "./transient-store-pool.js";

/** What `MappedFile.open` takes besides the path and the size. */
export interface MappedFileOptions {
  /** With a pool, appends go to a borrowed buffer and reach the file on `commit()`. */
  readonly transientStorePool?: TransientStorePool | null;
  /** File access; defaults to `node:fs`. */
  readonly io?: FileIO;
  /** How to size a file that does not exist yet. Default "zero-fill". */
  readonly preallocation?: Preallocation;
}

/**
 * One fixed-size segment file named by its start offset (RocketMQ's MappedFile, without mmap:
 * positional I/O into a pre-sized file).
 *
 * Positions, relative to the file: `wrotePosition` (appended), `committedPosition` (in the file, so
 * in the OS page cache), `flushedPosition` (fdatasync'd). Without a pool, a tick's appends are staged
 * and written to the file together before the tick ends (`whenWritten()`). With a pool, appends fill
 * an in-process buffer and `commit()` writes them out. Readers see up to `readPosition`.
 */
export class MappedFile extends ReferenceResource {
  /** Full path. */
  readonly fileName: string;
  /** Absolute offset of the file's first byte, from its 20-digit name. */
  readonly fileFromOffset: number;
  /** Bytes. */
  readonly fileSize: number;
  /** Set by a file queue on the first file it ever creates. */
  firstCreateInQueue = false;
  /** Last append (or the file's mtime when opened), ms since the epoch. Settable for age-based cleanup. */
  lastModifiedTimestamp: number;

  readonly #io: FileIO;
  readonly #fd: number;
  #pool: TransientStorePool | null;
  #writeBuffer: Buffer | null;
  #wrote = 0;
  #committed = 0;
  #flushed = 0;
  #storeTimestamp = 0;
  #commitLock: Promise<unknown> = Promise.resolve();
  #flushLock: Promise<unknown> = Promise.resolve();
  #closed: Promise<void> | null = null;
  #flushError: StoreError | null = null;
  /** Page-cache mode: bytes appended but not yet in the file. */
  readonly #staged = new StagedWrites((buffer, length, position) =>
    this.#pwriteSync(buffer, 0, length, position),
  );
  /** Lent to append callbacks; `#reserved` is what the current `doAppend` took from it. */
  readonly #window: { buffer: Buffer; reserve(length: number): number } = {
    buffer: Buffer.alloc(0),
    reserve: (length: number): number => this.#reserve(length),
  };
  #reserved = 0;
  /** True only while a `doAppend` runs: the window lends nothing outside it. */
  #lending = false;

  private constructor(init: {
    path: string;
    fileFromOffset: number;
    fileSize: number;
    io: FileIO;
    fd: number;
    pool: TransientStorePool | null;
    lastModified: number;
  }) {
    super();
    this.fileName = init.path;
    this.fileFromOffset = init.fileFromOffset;
    this.fileSize = init.fileSize;
    this.#io = init.io;
    this.#fd = init.fd;
    this.lastModifiedTimestamp = init.lastModified;
    this.#writeBuffer = init.pool?.borrowBuffer() ?? null;
    this.#pool = this.#writeBuffer ? (init.pool ?? null) : null;
  }

  /**
   * Opens the segment at `path`, creating and pre-sizing it if missing. A file is created under a
   * temporary name and renamed into place once sized and synced, so a crash never leaves a
   * short segment behind. An existing file starts with all positions at 0 (its queue sets them).
   * If a pool is given but has no free buffer, the file works without one.
   * @throws StoreError BAD_FILE_NAME, BAD_ARGUMENT (also for pool buffers smaller than `fileSize`),
   *   FILE_SIZE_MISMATCH (existing file of another size), DISK_FULL or IO_ERROR.
   */
  static async open(
    path: string,
    fileSize: number,
    options: MappedFileOptions = {},
  ): Promise<MappedFile> {
    if (!Number.isSafeInteger(fileSize) || fileSize <= 0) {
      throw new StoreError("BAD_ARGUMENT", `fileSize must be a positive integer, got ${fileSize}`);
    }
    const pool = options.transientStorePool ?? null;
    if (pool !== null && pool.fileSize < fileSize) {
      // A smaller buffer would silently drop the bytes appended past its end.
      const message = `pool buffers of ${pool.fileSize} bytes cannot back a ${fileSize}-byte file`;
      throw new StoreError("BAD_ARGUMENT", message);
    }
    const fileFromOffset = fileNameToOffset(basename(path));
    const io = options.io ?? nodeFileIO;
    let stat = await io.stat(path).catch((e: unknown) => Promise.reject(ioError("stat", path, e)));
    if (stat === null) {
      await createSegment(io, path, fileSize, options.preallocation ?? "zero-fill");
      stat = { size: fileSize, mtimeMs: Date.now() };
    }
    if (stat.size !== fileSize) {
      throw new StoreError(
        "FILE_SIZE_MISMATCH",
        `${path} is ${stat.size} bytes, expected ${fileSize}`,
      );
    }
    const fd = await io
      .open(path, false)
      .catch((e: unknown) => Promise.reject(ioError("open", path, e)));
    return new MappedFile({
      path,
      fileFromOffset,
      fileSize,
      io,
      fd,
      pool,
      lastModified: stat.mtimeMs,
    });
  }

  get wrotePosition(): number {
    return this.#wrote;
  }

  /** Bytes in the file (the OS page cache): in page-cache mode, `wrotePosition` minus the staged bytes. */
  get committedPosition(): number {
    if (this.#writeBuffer || this.#pool) return this.#committed;
    return this.#staged.pending ? this.#staged.from : this.#wrote;
  }

  get flushedPosition(): number {
    return this.#flushed;
  }

  /**
   * How far readers may read. Pool mode: the committed position (bytes still in the pool buffer are
   * not readable). Page-cache mode: the write position (a read writes staged bytes out first).
   */
  get readPosition(): number {
    return this.#writeBuffer || this.#pool ? this.#committed : this.#wrote;
  }

  /**
   * Page-cache mode: null when every appended byte is in the file; otherwise a promise that resolves
   * once the bytes staged so far are written (at the end of the current tick at the latest), or rejects
   * with DISK_FULL / IO_ERROR if that write fails. The bytes then stay staged and a later append,
   * commit, flush or read retries the write, so they may still reach the file.
   */
  whenWritten(): Promise<void> | null {
    return this.#staged.whenWritten();
  }

  /** Store time of the last appended record, ms since the epoch. */
  get storeTimestamp(): number {
    return this.#storeTimestamp;
  }

  /**
   * The first failed fdatasync, or null. After one, every later flush of this file fails with the
   * same error and `flushedPosition` never moves again: Linux may have dropped the dirty pages while
   * marking them clean (the "fsyncgate" behaviour), so a later successful fdatasync would prove
   * nothing about them. Recovery after a restart re-reads what actually reached the disk.
   */
  get flushError(): StoreError | null {
    return this.#flushError;
  }

  /**
   * Borrows a buffer from `pool` for a file opened without one, before its first append: a file
   * created ahead of need (AllocateMappedFileService) then holds no buffer until it is used.
   * Returns whether appends now go to a pool buffer; false, changing nothing, when the pool has none
   * free or the file already has a buffer or appended bytes.
   * @throws StoreError BAD_ARGUMENT for pool buffers smaller than the file; FILE_DESTROYED after shutdown.
   */
  useTransientStorePool(pool: TransientStorePool): boolean {
    if (!this.isAvailable())
      throw new StoreError("FILE_DESTROYED", `${this.fileName} is shut down`);
    if (pool.fileSize < this.fileSize) {
      throw new StoreError(
        "BAD_ARGUMENT",
        `pool buffers of ${pool.fileSize} bytes cannot back a ${this.fileSize}-byte file`,
      );
    }
    if (this.#writeBuffer !== null || this.#pool !== null || this.#wrote !== 0) return false;
    const buffer = pool.borrowBuffer();
    if (buffer === null) return false;
    this.#writeBuffer = buffer;
    this.#pool = pool;
    this.#committed = 0;
    return true;
  }

  /** Whether appends go to a pool buffer (until the file is fully committed). */
  get usesTransientStorePool(): boolean {
    return this.#writeBuffer !== null;
  }

  /** Whether the file has no room left: `wrotePosition` reached `fileSize`. */
  isFull(): boolean {
    return this.#wrote === this.fileSize;
  }

  /** Sets the append position (recovery, truncation); staged bytes are dropped. @throws StoreError POSITION_OUT_OF_RANGE */
  setWrotePosition(position: number): void {
    this.#wrote = this.#checkPosition(position);
    this.#dropStaging();
  }

  /** @throws StoreError POSITION_OUT_OF_RANGE */
  setCommittedPosition(position: number): void {
    this.#committed = this.#checkPosition(position);
  }

  /** @throws StoreError POSITION_OUT_OF_RANGE */
  setFlushedPosition(position: number): void {
    this.#flushed = this.#checkPosition(position);
  }

  /** Sets all three positions at once, as load and truncation do. @throws StoreError POSITION_OUT_OF_RANGE */
  resetPositions(position: number): void {
    this.#checkPosition(position);
    this.#wrote = this.#committed = this.#flushed = position;
    this.#dropStaging();
  }

  /**
   * Appends raw bytes (consume-queue units, tests). Returns false, writing nothing, when they do not
   * fit in the rest of the file.
   * @throws StoreError FILE_DESTROYED after shutdown; DISK_FULL or IO_ERROR if the write fails
   *   (the position does not move).
   */
  appendMessage(data: Buffer): boolean;
  /**
   * Appends one record (or batch) encoded by `callback` at the write position. Returns the callback's
   * result; UNKNOWN_ERROR when the file is already full or the write fails (with `error` set).
   * @throws StoreError FILE_DESTROYED after shutdown.
   */
  appendMessage<M>(msg: M, callback: AppendMessageCallback<M>): AppendMessageResult;
  appendMessage<M>(
    msgOrData: M | Buffer,
    callback?: AppendMessageCallback<M>,
  ): boolean | AppendMessageResult {
    if (!this.isAvailable()) {
      throw new StoreError("FILE_DESTROYED", `${this.fileName} is shut down; it takes no appends`);
    }
    if (callback === undefined) return this.#appendRaw(msgOrData as Buffer);
    return this.#appendWith(msgOrData as M, callback);
  }

  #appendRaw(data: Buffer): boolean {
    const position = this.#wrote;
    if (position + data.length > this.fileSize) return false;
    this.#place(position, data);
    this.#wrote = position + data.length;
    this.lastModifiedTimestamp = Date.now();
    return true;
  }

  #appendWith<M>(msg: M, callback: AppendMessageCallback<M>): AppendMessageResult {
    const position = this.#wrote;
    if (position >= this.fileSize) return unknownErrorResult(this.fileFromOffset + position);
    this.#reserved = 0;
    this.#lending = true;
    let outcome;
    try {
      outcome = callback.doAppend(
        this.fileFromOffset,
        position,
        this.fileSize - position,
        msg,
        this.#window,
      );
    } catch (error) {
      this.#unreserve();
      throw error;
    } finally {
      this.#lending = false;
    }
    const { result, data } = outcome;
    const reserved = this.#reserved;
    const placed = reserved > 0 ? reserved : (data?.length ?? 0);
    if (
      result.wroteBytes < placed ||
      position + result.wroteBytes > this.fileSize ||
      (reserved > 0 && data !== null)
    ) {
      this.#unreserve();
      throw new assert.AssertionError({
        message: `append callback overruns ${this.fileName}: ${placed} bytes placed, ${result.wroteBytes} claimed at ${position}`,
      });
    }
    this.#reserved = 0;
    try {
      if (data !== null && placed > 0) this.#place(position, data);
    } catch (error) {
      return unknownErrorResult(this.fileFromOffset + position, error as StoreError);
    }
    if (result.wroteBytes > placed) {
      // A pool buffer may hold a previous file's bytes: never commit them as part of a blank tail.
      if (this.#writeBuffer)
        this.#writeBuffer.fill(0, position + placed, position + result.wroteBytes);
      else if (this.#pool === null) {
        // The tail is not staged (it may be larger than a staging buffer): write what is, skip the rest.
        try {
          this.#staged.write();
        } catch (error) {
          return unknownErrorResult(this.fileFromOffset + position, error as StoreError);
        }
      }
    }
    this.#wrote = position + result.wroteBytes;
    if (result.storeTimestamp > 0) this.#storeTimestamp = result.storeTimestamp;
    this.lastModifiedTimestamp = Date.now();
    return result;
  }

  /**
   * Lends `length` bytes at the write position for an in-place append (see AppendWindow): the pool
   * buffer itself, or room in the staging buffer. -1 when it cannot (the callback then returns the
   * bytes as data, and `#place` reports any write failure).
   */
  #reserve(length: number): number {
    const position = this.#wrote;
    if (
      !this.#lending ||
      this.#reserved !== 0 ||
      !Number.isInteger(length) ||
      length <= 0 ||
      length > this.fileSize - position
    ) {
      throw new assert.AssertionError({
        message: `append window misused on ${this.fileName}: ${length} bytes at ${position} (already lent: ${this.#reserved})`,
      });
    }
    const target = this.#writeBuffer;
    if (target !== null) {
      this.#window.buffer = target;
      this.#reserved = length;
      return position;
    }
    if (this.#pool !== null || length > STAGING_BUFFER_BYTES) return -1;
    let at: number;
    try {
      at = this.#staged.claim(position, length);
    } catch {
      return -1; // a failed earlier write: the data path retries it and reports the failure
    }
    this.#window.buffer = this.#staged.buffer;
    this.#reserved = length;
    return at;
  }

  /** Takes back what the current append reserved (its callback failed). */
  #unreserve(): void {
    const reserved = this.#reserved;
    this.#reserved = 0;
    if (reserved > 0 && this.#writeBuffer === null) this.#staged.unclaim(reserved);
  }

  /**
   * Puts bytes at `position` (the write position): into the pool buffer, or (page-cache mode) into
   * the staging buffer, written to the file at the end of this tick or when it fills.
   * @throws StoreError DISK_FULL or IO_ERROR when a write this needs fails (nothing is placed).
   */
  #place(position: number, data: Buffer): void {
    if (this.#writeBuffer) {
      this.#writeBuffer.set(data, position);
      return;
    }
    if (data.length > STAGING_BUFFER_BYTES) {
      this.#staged.write(); // earlier bytes first, then straight to the file
      this.#pwriteSync(data, 0, data.length, position);
      return;
    }
    const at = this.#staged.claim(position, data.length);
    this.#staged.buffer.set(data, at);
  }

  #pwriteSync(buffer: Buffer, offset: number, length: number, position: number): void {
    try {
      this.#io.pwriteSync(this.#fd, buffer, offset, length, position);
    } catch (error) {
      throw ioError("write", this.fileName, error);
    }
  }

  /** Drops staged bytes (positions were reset, or the file closes and cannot write them). */
  #dropStaging(
    error: StoreError = new StoreError(
      "IO_ERROR",
      `${this.fileName}: staged bytes dropped by a position reset`,
    ),
  ): void {
    this.#staged.drop(error);
  }

  /**
   * Writes pool-buffer bytes `[committed, wrote)` to the file once at least `leastPages` pages are
   * pending (0: a single byte; a full file always commits). Returns the committed position. Without a
   * pool this is the write position. The buffer goes back to the pool once the file is fully committed.
   * @throws StoreError DISK_FULL or IO_ERROR (the committed position does not move).
   */
  commit(leastPages: number): Promise<number> {
    const run = this.#commitLock.then(() => this.#commitNow(leastPages));
    this.#commitLock = run.catch(() => undefined);
    return run;
  }

  async #commitNow(leastPages: number): Promise<number> {
    const buffer = this.#writeBuffer;
    if (buffer === null) {
      this.#staged.write(); // page-cache mode: staged bytes go to the file now
      return this.committedPosition;
    }
    if (this.#ableToCommit(leastPages) && this.hold()) {
      const from = this.#committed;
      const to = this.#wrote;
      try {
        await writeInParallel(this.#io, this.#fd, buffer, from, to);
        this.#committed = to;
      } catch (error) {
        throw ioError("commit", this.fileName, error);
      } finally {
        this.release();
      }
    }
    if (this.#committed === this.fileSize && this.#writeBuffer === buffer) {
      this.#writeBuffer = null;
      this.#pool?.returnBuffer(buffer);
    }
    return this.#committed;
  }

  #ableToCommit(leastPages: number): boolean {
    const wrote = this.#wrote;
    const committed = this.#committed;
    if (this.isFull() || leastPages <= 0) return wrote > committed;
    return Math.floor(wrote / OS_PAGE_SIZE) - Math.floor(committed / OS_PAGE_SIZE) >= leastPages;
  }

  /**
   * fdatasyncs the file once at least `leastPages` readable pages are unflushed (0: a single byte; a full
   * file always flushes what is left). The readable position is recorded before the call and published
   * as `flushedPosition` after it completes. Returns the flushed position.
   * @throws StoreError DISK_FULL or IO_ERROR (the flushed position does not move); once one
   *   fdatasync failed, every later call throws that error (see `flushError`).
   */
  flush(leastPages: number): Promise<number> {
    const run = this.#flushLock.then(() => this.#flushNow(leastPages));
    this.#flushLock = run.catch(() => undefined);
    return run;
  }

  async #flushNow(leastPages: number): Promise<number> {
    if (this.#flushError) throw this.#flushError;
    if (!this.#ableToFlush(leastPages)) return this.#flushed;
    this.#staged.write(); // page-cache mode: what is flushed must be in the file first
    if (!this.hold()) return this.#flushed;
    const value = this.readPosition;
    try {
      await this.#io.fdatasync(this.#fd);
      if (value > this.#flushed) this.#flushed = value;
    } catch (error) {
      this.#flushError = ioError("fdatasync", this.fileName, error);
      throw this.#flushError;
    } finally {
      this.release();
    }
    return this.#flushed;
  }

  #ableToFlush(leastPages: number): boolean {
    const readable = this.readPosition;
    const flushed = this.#flushed;
    if (this.isFull() || leastPages <= 0) return readable > flushed;
    return Math.floor(readable / OS_PAGE_SIZE) - Math.floor(flushed / OS_PAGE_SIZE) >= leastPages;
  }

  /**
   * Reads `[position, position + size)`, or to the read position when `size` is omitted. Returns null
   * when the range is not fully readable (past `readPosition`, empty) or the file is shut down.
   * The result holds a reference on the file: release it.
   *
   * With `into` (at least the range's length), the bytes are read into it and the result's buffer is
   * a view of it: a scanner reusing one buffer avoids a fresh allocation per read, whose page faults
   * and cache misses cost more than the scan (see the commit log's dispatcher). The caller must not
   * reuse `into` while the result is in use. A range longer than `into` gets a new buffer.
   * @throws StoreError BAD_ARGUMENT for a negative or non-integer position or size; IO_ERROR.
   */
  async selectMappedBuffer(
    position: number,
    size?: number,
    into?: Buffer,
  ): Promise<SelectMappedBufferResult | null> {
    if (
      !Number.isSafeInteger(position) ||
      position < 0 ||
      (size !== undefined && (!Number.isSafeInteger(size) || size < 0))
    ) {
      throw new StoreError("BAD_ARGUMENT", `bad read range position=${position} size=${size}`);
    }
    const readable = this.readPosition;
    const length = size ?? readable - position;
    if (length <= 0 || position + length > readable) return null;
    if (this.#staged.pending && position + length > this.#staged.from) this.#staged.write();
    if (!this.hold()) return null;
    const buffer =
      into !== undefined && into.length >= length
        ? into.subarray(0, length)
        : Buffer.allocUnsafe(length);
    try {
      const read = await this.#io.pread(this.#fd, buffer, 0, length, position);
      assert.equal(read, length, "file shorter than its read position");
    } catch (error) {
      this.release();
      throw ioError("read", this.fileName, error);
    }
    return new SelectMappedBufferResult(this.fileFromOffset + position, buffer, this);
  }

  /**
   * Zeroes every non-zero byte from the write position to the end of the file, then fdatasyncs
   * (`clearTail`). Recovery calls it on the file where the log now ends: a crash can leave bytes past
   * the cut, even whole records after a hole, and appends that later stop on a record boundary inside
   * them would let the next recovery read them as records. `syncAlways`: fdatasync even when nothing
   * was zeroed, so what a kill -9 left in the page cache below the write position is durable too.
   * Returns the bytes zeroed.
   * @throws StoreError DISK_FULL or IO_ERROR.
   */
  async clearStaleTail(syncAlways = false): Promise<number> {
    try {
      return await clearTail(
        this.#io,
        this.#fd,
        this.fileName,
        this.#wrote,
        this.fileSize,
        syncAlways,
      );
    } catch (error) {
      throw ioError("clear the stale tail of", this.fileName, error);
    }
  }

  /**
   * Reads the file from the write position to its end, 1 MiB at a time, so its pages are in the page
   * cache before writes reach them (README: "Warming the page cache"). Stops once `keepGoing()` is
   * false or the file is shut down; each read holds the file. Returns the bytes read.
   * @throws StoreError IO_ERROR.
   */
  async warmPageCache(keepGoing: () => boolean = () => true): Promise<number> {
    const from = this.#wrote;
    const scratch = Buffer.allocUnsafe(Math.min(ZERO_CHUNK.length, this.fileSize - from));
    let at = from;
    while (at < this.fileSize && keepGoing() && this.hold()) {
      const length = Math.min(scratch.length, this.fileSize - at);
      try {
        await this.#io.pread(this.#fd, scratch, 0, length, at);
      } catch (error) {
        throw ioError("warm the page cache of", this.fileName, error);
      } finally {
        this.release();
      }
      at += length;
    }
    return at - from;
  }

  /**
   * Shuts the file down and deletes it once no reader holds it (or `intervalForciblyMs` after the first
   * attempt). Returns whether the file is gone; call again later when it returns false.
   * @throws StoreError IO_ERROR if the unlink fails.
   */
  async destroy(intervalForciblyMs: number): Promise<boolean> {
    this.shutdown(intervalForciblyMs);
    if (!this.isCleanupOver()) return false;
    await this.#closed;
    try {
      await this.#io.unlink(this.fileName);
    } catch (error) {
      if ((error as { code?: unknown }).code !== "ENOENT")
        throw ioError("unlink", this.fileName, error);
    }
    return true;
  }

  /** Closes the descriptor and gives the pool buffer back, once the last reference is gone. */
  protected cleanup(_currentRef: number): boolean {
    if (this.isAvailable()) return false;
    if (this.#closed) return true;
    try {
      this.#staged.write(); // appended bytes reach the file before its descriptor closes
    } catch (error) {
      this.#dropStaging(error as StoreError);
    }
    this.#closed = this.#io.close(this.#fd).catch(() => undefined);
    const buffer = this.#writeBuffer;
    this.#writeBuffer = null;
    if (buffer) this.#pool?.returnBuffer(buffer);
    return true;
  }

  /**
   * Closes the descriptor now without deleting the file, as a store does at shutdown. Readers that
   * still hold the file see their next read fail.
   */
  async close(): Promise<void> {
    this.shutdown(0);
    this.shutdown(0); // the second call forces the count down if a holder remains
    await this.#closed;
  }

  #checkPosition(position: number): number {
    if (!Number.isSafeInteger(position) || position < 0 || position > this.fileSize) {
      throw new StoreError(
        "POSITION_OUT_OF_RANGE",
        `position ${position} outside [0, ${this.fileSize}] of ${this.fileName}`,
      );
    }
    return position;
  }
}
