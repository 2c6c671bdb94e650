import { basename, dirname, join } from "node:path";
import type {
  Clock,
  ClockTimer,
  FileIO,
  Preallocation,
  TransientStorePool,
} from "@store/mapped-file";
import {
  MappedFile,
  fileNameToOffset,
  nodeFileIO,
  offsetToFileName,
  systemClock,
} from "@store/mapped-file";
import { destroyEventually } from "./file-lifecycle.js";
import { FileQueueError, asFileQueueError } from "./file-queue-error.js";

/** Construction options of an AllocateMappedFileService. */
export interface AllocateMappedFileServiceOptions {
  /**
   * A file borrows a buffer from it when it is handed out, not at creation, so files made ahead of
   * need hold no buffer (none free: the file works without one).
   */
  readonly transientStorePool?: TransientStorePool | null;
  /** With a pool: refuse (null, POOL_EXHAUSTED) rather than hand out a file that would get no buffer. */
  readonly fastFailIfNoBufferInStorePool?: boolean;
  /** File access; default `node:fs`. */
  readonly io?: FileIO;
  /** How new files are sized on disk; default "zero-fill" (see limits.md: sparse files have 5 ms fdatasync p99). */
  readonly preallocation?: Preallocation;
  /** How long `putRequestAndReturnMappedFile` waits for its file, ms; default 5000 (RocketMQ's waitTimeOut). */
  readonly waitTimeoutMs?: number;
  /**
   * Files kept ready after the one handed out; default 1 (RocketMQ: the "next next" file). Under a
   * fast writer, creating a file can take longer than filling one (its fdatasync and directory sync
   * queue behind the log's own writeback), so a roll-over waits; 2 gives each creation two files'
   * worth of time.
   */
  readonly filesAhead?: number;
  /**
   * Whether to load the pages of files made ahead into the OS page cache while nobody uses them
   * (`MappedFile.warmPageCache`), so the log's writes into them only copy; RocketMQ's
   * `warmMapedFileEnable`. Idle-time work: it stops for any creation and for the file's hand-out.
   * It matters for sparse files (zero-filled ones are cached by their creation). Default false.
   */
  readonly warmPageCache?: boolean;
  /** Time for the `waitTimeoutMs` timer. Default: real time. */
  readonly clock?: Clock;
}

const DEFAULT_WAIT_TIMEOUT_MS = 5000;
/** A file left unclaimed at shutdown is deleted, forced after this long if somebody holds it, ms. */
const SHUTDOWN_DESTROY_INTERVAL_MS = 1000;

type RequestState = "queued" | "creating" | "ready" | "failed" | "claimed" | "discarded";

interface AllocateRequest {
  readonly path: string;
  readonly fileSize: number;
  /** Start offset from the name, for ordering (lower first). */
  readonly offset: number;
  readonly done: Promise<void>;
  readonly resolve: () => void;
  state: RequestState;
  file: MappedFile | null;
  error: FileQueueError | null;
  /** Set when the request was discarded while its file was being created: delete it once made. */
  discardWhenCreated: boolean;
  /** Whether a warm-up pass read the whole file (see warmPageCache). */
  warmed: boolean;
}

function newRequest(path: string, fileSize: number): AllocateRequest {
  let resolve = (): void => undefined;
  const done = new Promise<void>((r) => (resolve = r));
  let offset = Number.MAX_SAFE_INTEGER;
  try {
    offset = fileNameToOffset(basename(path));
  } catch {
    // the creation itself will fail with BAD_FILE_NAME and report it
  }
  return {
    path,
    fileSize,
    offset,
    done,
    resolve,
    state: "queued",
    file: null,
    error: null,
    discardWhenCreated: false,
    warmed: false,
  };
}

/**
 * Creates segment files ahead of need (RocketMQ's AllocateMappedFileService): each request names the
 * file wanted now and the one after it; both are created (zero-filled by default, so fdatasync never
 * pays for block allocation) one at a time in the background, so the next roll-over normally finds
 * its file ready. Files are created only after `start()`. Failures (ENOSPC, EIO) fail that request
 * only: the caller gets null and `lastError`, and the service keeps serving.
 */
export class AllocateMappedFileService {
  readonly #pool: TransientStorePool | null;
  readonly #fastFail: boolean;
  readonly #io: FileIO;
  readonly #preallocation: Preallocation;
  readonly #waitTimeoutMs: number;
  readonly #filesAhead: number;
  readonly #warmPageCache: boolean;
  readonly #clock: Clock;
  readonly #table = new Map<string, AllocateRequest>();
  /** Requests waiting for the worker, in creation order: larger files first, then lower offsets. */
  #queue: AllocateRequest[] = [];
  #worker: Promise<void> | null = null;
  #started = false;
  #stopped = false;
  #lastError: FileQueueError | null = null;

  /** @throws FileQueueError BAD_ARGUMENT for a negative or non-finite waitTimeoutMs, or filesAhead not in 1..8. */
  constructor(options: AllocateMappedFileServiceOptions = {}) {
    const waitTimeoutMs = options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
    if (!Number.isFinite(waitTimeoutMs) || waitTimeoutMs < 0) {
      throw new FileQueueError(
        "BAD_ARGUMENT",
        `waitTimeoutMs must be a non-negative number, got ${waitTimeoutMs}`,
      );
    }
    this.#pool = options.transientStorePool ?? null;
    this.#fastFail = options.fastFailIfNoBufferInStorePool ?? false;
    this.#io = options.io ?? nodeFileIO;
    this.#preallocation = options.preallocation ?? "zero-fill";
    this.#waitTimeoutMs = waitTimeoutMs;
    const filesAhead = options.filesAhead ?? 1;
    if (!Number.isInteger(filesAhead) || filesAhead < 1 || filesAhead > 8) {
      throw new FileQueueError(
        "BAD_ARGUMENT",
        `filesAhead must be an integer in 1..8, got ${filesAhead}`,
      );
    }
    this.#filesAhead = filesAhead;
    this.#warmPageCache = options.warmPageCache ?? false;
    this.#clock = options.clock ?? systemClock;
  }

  /** Why the most recent request failed (DISK_FULL, IO_ERROR, ALLOCATE_TIMEOUT, POOL_EXHAUSTED, SERVICE_SHUT_DOWN). */
  get lastError(): FileQueueError | null {
    return this.#lastError;
  }

  /** Files requested or created but not yet handed out. */
  get pendingRequests(): number {
    return this.#table.size;
  }

  /**
   * Resolves once no creation and no warm-up pass is under way (work queued meanwhile is waited for
   * too): the signal that the service has done everything asked of it so far.
   */
  async whenIdle(): Promise<void> {
    while (this.#worker !== null) await this.#worker.catch(() => undefined);
  }

  get isStarted(): boolean {
    return this.#started && !this.#stopped;
  }

  /** Starts creating files; requests made earlier are served now. Idempotent. */
  start(): void {
    if (this.#stopped) return;
    this.#started = true;
    this.#kick();
  }

  /**
   * Asks for the file at `nextPath` (and, ahead of need, `nextNextPath`), each `fileSize` bytes, and
   * waits for the first one. Resolves null, with `lastError` set, when the creation failed
   * (DISK_FULL, IO_ERROR, BAD_FILE_NAME, FILE_SIZE_MISMATCH; BAD_ARGUMENT for pool buffers smaller
   * than `fileSize`), the wait deadline passed
   * (ALLOCATE_TIMEOUT; the creation goes on and a later request for the same path gets the file),
   * the pool has no free buffer and `fastFailIfNoBufferInStorePool` is set (POOL_EXHAUSTED), or the
   * service is shut down (SERVICE_SHUT_DOWN). Never rejects.
   */
  async putRequestAndReturnMappedFile(
    nextPath: string,
    nextNextPath: string,
    fileSize: number,
  ): Promise<MappedFile | null> {
    if (this.#stopped)
      return this.#fail(
        new FileQueueError("SERVICE_SHUT_DOWN", `${nextPath}: the allocate service is shut down`),
      );
    if (this.#pool !== null && this.#pool.fileSize < fileSize) {
      // a smaller buffer would silently drop the bytes appended past its end
      return this.#fail(
        new FileQueueError(
          "BAD_ARGUMENT",
          `${nextPath}: pool buffers of ${this.#pool.fileSize} bytes cannot back a ${fileSize}-byte file`,
        ),
      );
    }
    if (this.#pool !== null && this.#fastFail && this.#pool.availableBufferNums === 0) {
      return this.#fail(
        new FileQueueError(
          "POOL_EXHAUSTED",
          `${nextPath}: no free TransientStorePool buffer (fast fail)`,
        ),
      );
    }
    if (!this.#table.has(nextPath)) this.#enqueue(newRequest(nextPath, fileSize));
    if (!this.#table.has(nextNextPath)) this.#enqueue(newRequest(nextNextPath, fileSize));
    const nextNext = this.#table.get(nextNextPath);
    for (
      let k = 1;
      k < this.#filesAhead && nextNext !== undefined && nextNext.offset !== Number.MAX_SAFE_INTEGER;
      k++
    ) {
      const path = join(dirname(nextNextPath), offsetToFileName(nextNext.offset + k * fileSize));
      if (!this.#table.has(path)) this.#enqueue(newRequest(path, fileSize));
    }
    const request = this.#table.get(nextPath);
    if (request === undefined)
      return this.#fail(new FileQueueError("IO_ERROR", `${nextPath}: request vanished`));
    if (request.state !== "ready" && !(await this.#waitFor(request))) {
      return this.#fail(
        new FileQueueError(
          "ALLOCATE_TIMEOUT",
          `${nextPath} was not created within ${this.#waitTimeoutMs} ms`,
        ),
      );
    }
    return this.#claim(request);
  }

  /**
   * Stops the service: waits for the creation in progress, answers waiting callers with null
   * (SERVICE_SHUT_DOWN), and deletes the pre-created files nobody claimed, highest first, syncing
   * their directory after each.
   * @throws StoreError IO_ERROR if deleting an unclaimed file fails.
   */
  async shutdown(): Promise<void> {
    this.#stopped = true;
    await this.#worker;
    const requests = [...this.#table.values()];
    this.#table.clear();
    this.#queue = [];
    const unclaimed: MappedFile[] = [];
    for (const request of requests) {
      if (request.file !== null && request.state === "ready") unclaimed.push(request.file);
      if (request.state !== "claimed") {
        request.state = "discarded";
        request.error ??= new FileQueueError(
          "SERVICE_SHUT_DOWN",
          `${request.path}: the allocate service shut down`,
        );
      }
      request.resolve();
    }
    // Highest offset first, each unlink durable before the next (as discardUnclaimed): a crash or a
    // power cut part-way must not leave a pre-created file beyond a deleted one, a gap `load()` refuses.
    unclaimed.sort((x, y) => y.fileFromOffset - x.fileFromOffset);
    for (const file of unclaimed) {
      await destroyEventually(file, SHUTDOWN_DESTROY_INTERVAL_MS);
      await this.#io.syncDirectory(dirname(file.fileName));
    }
  }

  /**
   * Drops every request for a file in `directory` that nobody has claimed, deleting files already
   * pre-created, highest first, and waiting for a file being created to be made and deleted. A queue
   * calls this before it deletes files off its end, so no pre-created file is left beyond its new end
   * (a gap a later `load()` would refuse), not even after a crash part-way. Returns how many requests
   * were dropped.
   * @throws StoreError IO_ERROR if deleting a file fails.
   */
  async discardUnclaimed(directory: string): Promise<number> {
    const dropped = [...this.#table.values()].filter(
      (request) => dirname(request.path) === directory,
    );
    const files: MappedFile[] = [];
    const creating: Promise<void>[] = [];
    for (const request of dropped) {
      this.#table.delete(request.path);
      if (request.state === "creating") {
        request.discardWhenCreated = true;
        creating.push(request.done); // settles once the new file is deleted again
        continue;
      }
      if (request.state === "ready" && request.file !== null) files.push(request.file);
      request.state = "discarded";
      request.error ??= new FileQueueError(
        "CONCURRENT_MODIFICATION",
        `${request.path}: request discarded by its queue`,
      );
      request.resolve();
    }
    this.#queue = this.#queue.filter((request) => this.#table.get(request.path) === request);
    // highest offset first, so a crash part-way leaves no file beyond a gap
    files.sort((x, y) => y.fileFromOffset - x.fileFromOffset);
    await Promise.all(creating);
    for (const file of files) {
      await destroyEventually(file, SHUTDOWN_DESTROY_INTERVAL_MS);
      await this.#io.syncDirectory(directory); // each unlink durable before the next
    }
    return dropped.length;
  }

  #claim(request: AllocateRequest): MappedFile | null {
    if (request.state === "ready" && request.file !== null) {
      const file = request.file;
      if (this.#pool !== null && !file.useTransientStorePool(this.#pool) && this.#fastFail) {
        // the file stays ready for a later request, once a buffer is back
        return this.#fail(
          new FileQueueError(
            "POOL_EXHAUSTED",
            `${request.path}: no free TransientStorePool buffer (fast fail)`,
          ),
        );
      }
      request.state = "claimed";
      if (this.#table.get(request.path) === request) this.#table.delete(request.path);
      return file;
    }
    return this.#fail(
      request.error ?? new FileQueueError("IO_ERROR", `${request.path}: creation failed`),
    );
  }

  #fail(error: FileQueueError): null {
    this.#lastError = error;
    return null;
  }

  /** Resolves true when the request settled (ready, failed or discarded), false at the deadline. */
  async #waitFor(request: AllocateRequest): Promise<boolean> {
    let timer: ClockTimer | undefined;
    const deadline = new Promise<false>(
      (resolve) => (timer = this.#clock.setTimeout(() => resolve(false), this.#waitTimeoutMs)),
    );
    try {
      return await Promise.race([request.done.then(() => true), deadline]);
    } finally {
      this.#clock.clearTimeout(timer);
    }
  }

  #enqueue(request: AllocateRequest): void {
    this.#table.set(request.path, request);
    let at = this.#queue.length;
    while (at > 0 && comesBefore(request, this.#queue[at - 1] as AllocateRequest)) at--;
    this.#queue.splice(at, 0, request);
    this.#kick();
  }

  #kick(): void {
    if (!this.#started || this.#stopped || this.#worker !== null || this.#queue.length === 0)
      return;
    this.#worker = this.#drain().finally(() => {
      this.#worker = null;
      this.#kick();
    });
  }

  /**
   * Creates queued files one at a time (the disk is the bottleneck) until the queue is empty, then
   * warms the page cache of the files made ahead.
   */
  async #drain(): Promise<void> {
    while (!this.#stopped) {
      const request = this.#queue.shift();
      if (request === undefined) break;
      if (this.#table.get(request.path) !== request) continue; // superseded or dropped
      await this.#create(request);
    }
    if (this.#warmPageCache) await this.#warmReady();
  }

  /**
   * Reads ready, unclaimed files into the page cache, lowest offset first. A pass stops at once when
   * its file is handed out or discarded, a creation is queued (which then runs first: the worker
   * comes back here after it) or the service stops; an interrupted file is read again from its start
   * next time, which costs little once its pages are cached.
   */
  async #warmReady(): Promise<void> {
    const ready = [...this.#table.values()].filter(
      (request) => request.state === "ready" && !request.warmed,
    );
    ready.sort((x, y) => x.offset - y.offset);
    for (const request of ready) {
      const file = request.file as MappedFile;
      const idle = (): boolean =>
        request.state === "ready" && this.#queue.length === 0 && !this.#stopped;
      if (!idle()) return;
      try {
        request.warmed = (await file.warmPageCache(idle)) === file.fileSize;
      } catch {
        request.warmed = true; // only a speed-up: the file works as it is, and its writes will report a failing disk
      }
    }
  }

  async #create(request: AllocateRequest): Promise<void> {
    request.state = "creating";
    try {
      // no pool here: the buffer is borrowed when the file is claimed
      request.file = await MappedFile.open(request.path, request.fileSize, {
        io: this.#io,
        preallocation: this.#preallocation,
      });
      request.state = "ready";
      if (request.discardWhenCreated) {
        request.state = "discarded";
        request.error = new FileQueueError(
          "CONCURRENT_MODIFICATION",
          `${request.path}: request discarded by its queue`,
        );
        await destroyEventually(request.file, SHUTDOWN_DESTROY_INTERVAL_MS);
        request.file = null;
      }
    } catch (error) {
      request.state = "failed";
      request.error = asFileQueueError(error, "IO_ERROR", `creating ${request.path}`);
      this.#lastError = request.error;
      // a failed request leaves the table, so the next request for this path tries again
      if (this.#table.get(request.path) === request) this.#table.delete(request.path);
    } finally {
      request.resolve();
    }
  }
}

function comesBefore(a: AllocateRequest, b: AllocateRequest): boolean {
  if (a.fileSize !== b.fileSize) return a.fileSize > b.fileSize;
  return a.offset < b.offset;
}
