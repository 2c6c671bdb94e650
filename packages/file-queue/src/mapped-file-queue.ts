import assert from "node:assert/strict";
import { join } from "node:path";
import type { FileIO, Preallocation, TransientStorePool } from "@store/mapped-file";
import { MappedFile, nodeFileIO, offsetToFileName } from "@store/mapped-file";
import type { AllocateMappedFileService } from "./allocate-mapped-file-service.js";
import { closeEventually, destroyEventually, sleep } from "./file-lifecycle.js";
import { FileQueueError, asFileQueueError } from "./file-queue-error.js";
import type { Flushable } from "./flushable.js";
import { scanSegmentDirectory } from "./segment-directory.js";

/** Construction options of a MappedFileQueue. */
export interface MappedFileQueueOptions {
  /** Directory holding the segment files (created on the first file). */
  readonly storePath: string;
  /** Size of every segment file, bytes. */
  readonly mappedFileSize: number;
  /**
   * With a pool, new files borrow a buffer and appends reach the file only on `commit()`. Ignored
   * when an `allocateService` is given (the service's own pool applies). Loaded files never use it.
   */
  readonly transientStorePool?: TransientStorePool | null;
  /** Creates files (and the one after) in the background. Without it, files are created inline. */
  readonly allocateService?: AllocateMappedFileService | null;
  /** File access; default `node:fs`. Used for loading, and for inline creation. */
  readonly io?: FileIO;
  /** How inline-created files are sized; default "zero-fill". */
  readonly preallocation?: Preallocation;
}

/** Hard bound on re-evaluations in getLastMappedFile when creations race (each waits for one). */
const MAX_CREATE_ROUNDS = 8;
/** RocketMQ's forced-destroy intervals, ms. */
const TRUNCATE_DESTROY_INTERVAL_MS = 1000;
const DESTROY_INTERVAL_MS = 3000;
const OFFSET_DELETE_INTERVAL_MS = 60_000;

function checkOffset(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new FileQueueError(
      "BAD_ARGUMENT",
      `${name} must be a non-negative safe integer, got ${value}`,
    );
  }
  return value;
}

/**
 * The ordered list of fixed-size segment files that make up one log (RocketMQ's MappedFileQueue):
 * the commit log, or one consume queue. It finds the file for an offset, creates the next file when
 * the last one is full, loads a directory, commits and flushes across files, truncates a dirty tail
 * and deletes expired files.
 *
 * Offsets are absolute byte offsets in the log; file `N` covers `[N, N + mappedFileSize)` and is named
 * by `N` in 20 digits. Appends are synchronous on the last file; commit, flush and creation are async
 * and safe to call concurrently (each kind is serialised; concurrent creations of one file share one
 * promise).
 */
export class MappedFileQueue implements Flushable {
  /** Directory of the segment files. */
  readonly storePath: string;
  /** Size of every segment file, bytes. */
  readonly mappedFileSize: number;

  readonly #pool: TransientStorePool | null;
  readonly #allocateService: AllocateMappedFileService | null;
  readonly #io: FileIO;
  readonly #preallocation: Preallocation;
  /** Copy-on-write: every change installs a new frozen array, so a snapshot never changes under a reader. */
  #files: readonly MappedFile[] = Object.freeze([]);
  /** `#files`' last element, kept beside it: every put asks for it. */
  #last: MappedFile | null = null;
  #flushedWhere = 0;
  #committedWhere = 0;
  #storeTimestamp = 0;
  #lastCreateError: FileQueueError | null = null;
  #creating: { readonly offset: number; readonly promise: Promise<MappedFile | null> } | null =
    null;
  #flushChain: Promise<unknown> = Promise.resolve();
  #commitChain: Promise<unknown> = Promise.resolve();

  /** @throws FileQueueError BAD_ARGUMENT unless `mappedFileSize` is a positive integer and `storePath` non-empty. */
  constructor(options: MappedFileQueueOptions) {
    if (!Number.isSafeInteger(options.mappedFileSize) || options.mappedFileSize <= 0) {
      throw new FileQueueError(
        "BAD_ARGUMENT",
        `mappedFileSize must be a positive integer, got ${options.mappedFileSize}`,
      );
    }
    if (options.storePath.length === 0)
      throw new FileQueueError("BAD_ARGUMENT", "storePath must not be empty");
    this.storePath = options.storePath;
    this.mappedFileSize = options.mappedFileSize;
    this.#pool = options.transientStorePool ?? null;
    this.#allocateService = options.allocateService ?? null;
    this.#io = options.io ?? nodeFileIO;
    this.#preallocation = options.preallocation ?? "zero-fill";
  }

  /** The segment files in offset order: a snapshot that later changes to the queue do not alter. */
  get mappedFiles(): readonly MappedFile[] {
    return this.#files;
  }

  /** Absolute offset, bytes: everything below it is fdatasync'd. Settable by recovery. */
  get flushedWhere(): number {
    return this.#flushedWhere;
  }

  /** @throws FileQueueError BAD_ARGUMENT for a negative or non-integer offset. */
  set flushedWhere(offset: number) {
    this.#flushedWhere = checkOffset("flushedWhere", offset);
  }

  /** Absolute offset, bytes: everything below it is in the file (page cache). Settable by recovery. */
  get committedWhere(): number {
    return this.#committedWhere;
  }

  /** @throws FileQueueError BAD_ARGUMENT for a negative or non-integer offset. */
  set committedWhere(offset: number) {
    this.#committedWhere = checkOffset("committedWhere", offset);
  }

  /** Store time of the last record covered by a `flush(0)`, ms since the epoch; 0 before any. */
  get storeTimestamp(): number {
    return this.#storeTimestamp;
  }

  /** Why the most recent file creation failed (getLastMappedFile returned null), or null if none failed. */
  get lastCreateError(): FileQueueError | null {
    return this.#lastCreateError;
  }

  /**
   * Opens every segment file of `storePath` in offset order, with all three positions at
   * `mappedFileSize` (recovery then truncates the tail). Deletes `*.tmp` leftovers of interrupted
   * creations and an empty last file. A directory with a gap, a foreign name or a wrong-sized file is
   * refused whole: nothing is loaded. A missing directory loads as empty.
   * @throws FileQueueError BAD_FILE_NAME, DIRECTORY_GAP, FILE_SIZE_MISMATCH, LOAD_FAILED (an I/O error,
   *   or the queue already has files).
   */
  async load(): Promise<void> {
    if (this.#files.length > 0)
      throw new FileQueueError("LOAD_FAILED", `${this.storePath}: queue already holds files`);
    const { segments } = await scanSegmentDirectory(this.#io, this.storePath, this.mappedFileSize);
    const opened: MappedFile[] = [];
    try {
      for (const segment of segments) {
        const file = await MappedFile.open(segment.path, this.mappedFileSize, { io: this.#io });
        opened.push(file);
        file.resetPositions(this.mappedFileSize);
      }
    } catch (error) {
      await Promise.all(opened.map((file) => file.close()));
      const detail = error instanceof Error ? error.message : String(error);
      throw new FileQueueError(
        "LOAD_FAILED",
        `loading ${this.storePath} failed, nothing loaded: ${detail}`,
        { cause: error },
      );
    }
    this.#setFiles(opened);
  }

  #setFiles(files: MappedFile[]): void {
    this.#files = Object.freeze(files);
    this.#last = files.at(-1) ?? null;
  }

  /** The last file, or null when the queue is empty. */
  getLastMappedFile(): MappedFile | null;
  /**
   * The file to append to: the last file, or (when the queue is empty or the last file is full and
   * `needCreate`) a new one starting at `startOffset` rounded down to a file boundary (empty queue)
   * or right after the last file. Concurrent calls for the same file share one creation.
   * Resolves null only when creation failed; `lastCreateError` says why (DISK_FULL, IO_ERROR,
   * ALLOCATE_TIMEOUT, POOL_EXHAUSTED, SERVICE_SHUT_DOWN, CONCURRENT_MODIFICATION).
   * @param startOffset absolute offset, bytes; only used when the queue is empty
   * @throws FileQueueError BAD_ARGUMENT (rejects) for a negative or non-integer startOffset.
   */
  getLastMappedFile(startOffset: number, needCreate?: boolean): Promise<MappedFile | null>;
  getLastMappedFile(
    startOffset?: number,
    needCreate = true,
  ): MappedFile | null | Promise<MappedFile | null> {
    if (startOffset === undefined) return this.#last;
    return this.#lastOrCreate(startOffset, needCreate);
  }

  async #lastOrCreate(startOffset: number, needCreate: boolean): Promise<MappedFile | null> {
    checkOffset("startOffset", startOffset);
    for (let round = 0; round < MAX_CREATE_ROUNDS; round++) {
      const last = this.getLastMappedFile();
      let createOffset = -1;
      if (last === null) createOffset = startOffset - (startOffset % this.mappedFileSize);
      else if (last.isFull()) createOffset = last.fileFromOffset + this.mappedFileSize;
      if (createOffset < 0 || !needCreate) return last;
      const inflight = this.#creating;
      if (inflight === null) return this.#startCreate(createOffset, last);
      if (inflight.offset === createOffset) return inflight.promise;
      await inflight.promise; // another file is being created: decide again once it is in the list
    }
    return this.getLastMappedFile();
  }

  #startCreate(offset: number, expectedLast: MappedFile | null): Promise<MappedFile | null> {
    const promise = this.#create(offset, expectedLast).finally(() => {
      if (this.#creating?.promise === promise) this.#creating = null;
    });
    this.#creating = { offset, promise };
    return promise;
  }

  async #create(offset: number, expectedLast: MappedFile | null): Promise<MappedFile | null> {
    const next = join(this.storePath, offsetToFileName(offset));
    let file: MappedFile | null;
    try {
      file = await this.#openNew(next, offset);
    } catch (error) {
      this.#lastCreateError = asFileQueueError(error, "IO_ERROR", `creating ${next}`);
      return null;
    }
    if (file === null) return null;
    assert.equal(file.fileFromOffset, offset, "created file starts elsewhere");
    assert.equal(file.fileSize, this.mappedFileSize, "created file has another size");
    if (this.getLastMappedFile() !== expectedLast) {
      // truncate/destroy changed the list while the file was being made: it no longer follows the last file.
      await destroyEventually(file, 0).catch(() => false);
      this.#lastCreateError = new FileQueueError(
        "CONCURRENT_MODIFICATION",
        `${next}: the queue changed while it was created`,
      );
      return null;
    }
    if (this.#files.length === 0) file.firstCreateInQueue = true;
    this.#setFiles([...this.#files, file]);
    return file;
  }

  async #openNew(path: string, offset: number): Promise<MappedFile | null> {
    const service = this.#allocateService;
    if (service === null) {
      return MappedFile.open(path, this.mappedFileSize, {
        transientStorePool: this.#pool,
        io: this.#io,
        preallocation: this.#preallocation,
      });
    }
    const nextNext = join(this.storePath, offsetToFileName(offset + this.mappedFileSize));
    const file = await service.putRequestAndReturnMappedFile(path, nextNext, this.mappedFileSize);
    if (file === null) {
      this.#lastCreateError =
        service.lastError ??
        new FileQueueError("IO_ERROR", `${path}: the allocate service returned no file`);
    }
    return file;
  }

  /** The first file, or null when the queue is empty. */
  getFirstMappedFile(): MappedFile | null {
    return this.#files[0] ?? null;
  }

  /**
   * The file containing absolute `offset`, found by index arithmetic with a linear scan as fallback.
   * Outside `[minOffset, last file's end)`: null, or the first file when `returnFirstOnNotFound`.
   */
  findMappedFileByOffset(offset: number, returnFirstOnNotFound = false): MappedFile | null {
    const files = this.#files;
    const first = files[0];
    const last = files.at(-1);
    if (first === undefined || last === undefined) return null;
    if (offset >= first.fileFromOffset && offset < last.fileFromOffset + this.mappedFileSize) {
      const index =
        Math.floor(offset / this.mappedFileSize) -
        Math.floor(first.fileFromOffset / this.mappedFileSize);
      const target = files[index];
      if (target !== undefined && contains(target, offset)) return target;
      for (const file of files) if (contains(file, offset)) return file;
    }
    return returnFirstOnNotFound ? first : null;
  }

  /**
   * Commits (writes pool-buffer bytes to the file) the file at `committedWhere`, once at least
   * `leastPages` pages are pending (0: a single byte). At most one file per call: loop while it returns
   * true. Resolves true if `committedWhere` advanced. Calls are serialised; the position never moves back.
   * @throws StoreError DISK_FULL or IO_ERROR (rejects; `committedWhere` does not move).
   */
  commit(leastPages: number): Promise<boolean> {
    const run = this.#commitChain.then(() => this.#commitOnce(leastPages));
    this.#commitChain = run.catch(() => undefined);
    return run;
  }

  async #commitOnce(leastPages: number): Promise<boolean> {
    const where = this.#committedWhere;
    const file = this.findMappedFileByOffset(where, where === 0);
    if (file === null) return false;
    const position = await file.commit(leastPages);
    assert(position >= 0 && position <= file.fileSize, "commit position outside the file");
    const reached = file.fileFromOffset + position;
    if (reached <= this.#committedWhere) return false;
    this.#committedWhere = reached;
    return true;
  }

  /**
   * fdatasyncs the file at `flushedWhere` once at least `leastPages` pages are unflushed (0: a single byte).
   * At most one file per call: loop while it returns true. Resolves true if `flushedWhere` advanced.
   * `flush(0)` also records the file's `storeTimestamp`. Calls are serialised; the position never
   * moves back.
   * @throws StoreError DISK_FULL or IO_ERROR (rejects; `flushedWhere` does not move).
   */
  flush(leastPages: number): Promise<boolean> {
    const run = this.#flushChain.then(() => this.#flushOnce(leastPages));
    this.#flushChain = run.catch(() => undefined);
    return run;
  }

  async #flushOnce(leastPages: number): Promise<boolean> {
    const where = this.#flushedWhere;
    const file = this.findMappedFileByOffset(where, where === 0);
    if (file === null) return false;
    const timestamp = file.storeTimestamp;
    const position = await file.flush(leastPages);
    assert(position >= 0 && position <= file.readPosition, "flushed past the readable data");
    if (leastPages === 0) this.#storeTimestamp = timestamp;
    const reached = file.fileFromOffset + position;
    if (reached <= this.#flushedWhere) return false;
    this.#flushedWhere = reached;
    return true;
  }

  /** Start offset of the first file, bytes; -1 when empty. */
  getMinOffset(): number {
    return this.#files[0]?.fileFromOffset ?? -1;
  }

  /** End of the readable data (last file's start + read position), bytes; 0 when empty. */
  getMaxOffset(): number {
    const last = this.getLastMappedFile();
    return last === null ? 0 : last.fileFromOffset + last.readPosition;
  }

  /** End of the appended data (last file's start + write position), bytes; 0 when empty. */
  getMaxWrotePosition(): number {
    const last = this.getLastMappedFile();
    return last === null ? 0 : last.fileFromOffset + last.wrotePosition;
  }

  /** Appended but not yet flushed, bytes; 0 when empty or before the first flush (as RocketMQ). */
  howMuchFallBehind(): number {
    const last = this.getLastMappedFile();
    if (last === null || this.#flushedWhere === 0) return 0;
    return last.fileFromOffset + last.wrotePosition - this.#flushedWhere;
  }

  /**
   * Cuts the log at absolute `offset`: the file containing it gets all three positions set to
   * `offset % mappedFileSize` (bytes beyond are not zeroed), later files are deleted from disk and the
   * list. `flushedWhere`/`committedWhere` beyond `offset` come down to it.
   * @throws FileQueueError BAD_ARGUMENT; StoreError IO_ERROR if an unlink fails.
   */
  async truncateDirtyFiles(offset: number): Promise<void> {
    checkOffset("offset", offset);
    await this.#settleAll();
    const doomed = new Set<MappedFile>();
    for (const file of this.#files) {
      if (file.fileFromOffset + this.mappedFileSize <= offset) continue;
      if (offset >= file.fileFromOffset) file.resetPositions(offset % this.mappedFileSize);
      else doomed.add(file);
    }
    this.#removeFiles(doomed);
    this.#clampWhere(offset);
    await this.#destroyRemoved(doomed);
  }

  /**
   * RocketMQ 5.x `resetOffset` (the fixed one): walking back from the last file, the first file with
   * `fileFromOffset <= offset` gets all positions at `offset % mappedFileSize`; files after it are
   * removed and deleted. Refuses (false) when that would drop more than two files' worth of data.
   * @throws FileQueueError BAD_ARGUMENT; StoreError IO_ERROR if an unlink fails.
   */
  async resetOffset(offset: number): Promise<boolean> {
    checkOffset("offset", offset);
    await this.#settleAll();
    const files = this.#files;
    const last = files.at(-1);
    if (
      last !== undefined &&
      last.fileFromOffset + last.wrotePosition - offset > 2 * this.mappedFileSize
    )
      return false;
    const doomed = new Set<MappedFile>();
    for (let i = files.length - 1; i >= 0; i--) {
      const file = files[i] as MappedFile;
      if (offset >= file.fileFromOffset) {
        file.resetPositions(offset % this.mappedFileSize);
        break;
      }
      doomed.add(file);
    }
    this.#removeFiles(doomed);
    this.#clampWhere(offset);
    await this.#destroyRemoved(doomed);
    return true;
  }

  /**
   * Deletes files, oldest first, whose last modification is older than `expiredTimeMs` (or all of
   * them when `cleanImmediately`), never the last file. Stops at the first file that is not expired
   * or cannot be destroyed yet (a reader holds it and `intervalForciblyMs` has not passed), and after
   * `deleteFileBatchMax` files. Sleeps `deleteFilesIntervalMs` between deletions. Returns how many
   * files were deleted.
   * @throws StoreError IO_ERROR if an unlink fails.
   */
  async deleteExpiredFileByTime(
    expiredTimeMs: number,
    deleteFilesIntervalMs: number,
    intervalForciblyMs: number,
    cleanImmediately: boolean,
    deleteFileBatchMax = 10,
  ): Promise<number> {
    const files = this.#files;
    const deleted = new Set<MappedFile>();
    try {
      for (let i = 0; i < files.length - 1; i++) {
        const file = files[i] as MappedFile;
        const expired =
          Date.now() >= file.lastModifiedTimestamp + expiredTimeMs || cleanImmediately;
        if (!expired || !(await file.destroy(intervalForciblyMs))) break;
        deleted.add(file);
        if (deleted.size >= deleteFileBatchMax) break;
        if (deleteFilesIntervalMs > 0 && i + 1 < files.length - 1)
          await sleep(deleteFilesIntervalMs);
      }
    } finally {
      this.#removeFiles(deleted);
    }
    return deleted.size;
  }

  /**
   * Consume-queue cleanup: deletes files, oldest first and never the last, whose last `unitSize`-byte
   * unit starts with a big-endian int64 (a commit-log offset) below `offset`; a file already shut
   * down is deleted too. Stops at the first file that is kept or cannot be destroyed (held by a
   * reader, forced after 60 s). Returns how many files were deleted.
   * @throws StoreError IO_ERROR if a read or unlink fails.
   */
  async deleteExpiredFileByOffset(offset: number, unitSize: number): Promise<number> {
    const files = this.#files;
    const deleted = new Set<MappedFile>();
    try {
      for (let i = 0; i < files.length - 1; i++) {
        const file = files[i] as MappedFile;
        if (!(await lastUnitBelow(file, offset, unitSize))) break;
        if (!(await file.destroy(OFFSET_DELETE_INTERVAL_MS))) break;
        deleted.add(file);
      }
    } finally {
      this.#removeFiles(deleted);
    }
    return deleted.size;
  }

  /**
   * Retries deleting a first file whose earlier destroy was blocked by a reader (it is shut down but
   * still listed). Returns true if it was deleted now.
   * @throws StoreError IO_ERROR if the unlink fails.
   */
  async retryDeleteFirstFile(intervalForciblyMs: number): Promise<boolean> {
    const first = this.getFirstMappedFile();
    if (first === null || first.isAvailable()) return false;
    if (!(await first.destroy(intervalForciblyMs))) return false;
    this.#removeFiles(new Set([first]));
    return true;
  }

  /** Inconsistencies of the file list (files not exactly `mappedFileSize` apart, wrong sizes); empty when sound. */
  checkSelf(): string[] {
    const problems: string[] = [];
    const files = this.#files;
    for (let i = 0; i < files.length; i++) {
      const current = files[i] as MappedFile;
      if (current.fileSize !== this.mappedFileSize) {
        problems.push(
          `${current.fileName} is ${current.fileSize} bytes, the queue's files are ${this.mappedFileSize}`,
        );
      }
      const previous = files[i - 1];
      if (
        previous !== undefined &&
        current.fileFromOffset - previous.fileFromOffset !== this.mappedFileSize
      ) {
        problems.push(
          `${current.fileName} starts at ${current.fileFromOffset}, expected ${previous.fileFromOffset + this.mappedFileSize} after ${previous.fileName}`,
        );
      }
    }
    return problems;
  }

  /**
   * Waits for running commit/flush/creation, then closes every file (readers get up to
   * `intervalForciblyMs` to release). Files stay on disk and in the list (positions stay readable).
   */
  async shutdown(intervalForciblyMs: number): Promise<void> {
    await this.#settleAll();
    for (const file of this.#files) await closeEventually(file, intervalForciblyMs);
  }

  /**
   * Deletes every file (forced after 3 s if held), empties the list, resets `flushedWhere` and
   * `committedWhere` to 0, and removes the directory if nothing else is in it.
   * @throws StoreError IO_ERROR if an unlink or the rmdir fails.
   */
  async destroy(): Promise<void> {
    await this.#settleAll();
    const files = this.#files;
    this.#setFiles([]);
    for (const file of files) await destroyEventually(file, DESTROY_INTERVAL_MS);
    await this.#allocateService?.discardUnclaimed(this.storePath);
    this.#flushedWhere = 0;
    this.#committedWhere = 0;
    if ((await this.#io.readdir(this.storePath)).length === 0) await this.#io.rmdir(this.storePath);
  }

  /**
   * Installs a file list (for subclasses, e.g. a multi-directory queue, and for tests of the
   * fallback search and `checkSelf`). The list is copied.
   */
  protected replaceMappedFiles(files: readonly MappedFile[]): void {
    this.#setFiles([...files]);
  }

  #removeFiles(doomed: ReadonlySet<MappedFile>): void {
    if (doomed.size > 0) this.#setFiles(this.#files.filter((file) => !doomed.has(file)));
  }

  /**
   * Deletes the files cut off the end, and first the files the allocate service pre-created after
   * them (left on disk, those would sit beyond a gap that the next `load()` refuses). Deletion goes
   * from the highest offset down, one file at a time, so a crash part-way still leaves a directory
   * without a gap.
   */
  async #destroyRemoved(doomed: ReadonlySet<MappedFile>): Promise<void> {
    if (doomed.size === 0) return;
    await this.#allocateService?.discardUnclaimed(this.storePath);
    const highestFirst = [...doomed].sort((a, b) => b.fileFromOffset - a.fileFromOffset);
    for (const file of highestFirst) {
      await destroyEventually(file, TRUNCATE_DESTROY_INTERVAL_MS);
      await this.#io.syncDirectory(this.storePath); // each unlink durable before the next
    }
  }

  #clampWhere(offset: number): void {
    if (this.#flushedWhere > offset) this.#flushedWhere = offset;
    if (this.#committedWhere > offset) this.#committedWhere = offset;
  }

  async #settleCreation(): Promise<void> {
    await this.#creating?.promise;
  }

  async #settleAll(): Promise<void> {
    await this.#settleCreation();
    await Promise.all([this.#flushChain, this.#commitChain]);
  }
}

function contains(file: MappedFile, offset: number): boolean {
  return offset >= file.fileFromOffset && offset < file.fileFromOffset + file.fileSize;
}

/** Whether a consume-queue file's last unit points below `offset` (or the file is already shut down). */
async function lastUnitBelow(file: MappedFile, offset: number, unitSize: number): Promise<boolean> {
  const result = await file.selectMappedBuffer(file.fileSize - unitSize);
  if (result === null) return !file.isAvailable();
  try {
    return Number(result.buffer.readBigInt64BE(0)) < offset;
  } finally {
    result.release();
  }
}
