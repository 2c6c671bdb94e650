import type { GroupCommitRequest } from "./group-commit-request.js";
import { ServiceThread } from "./service-thread.js";
import type { ServiceThreadOptions } from "./service-thread.js";
import type { FlushedCallback, Flushable } from "./types.js";

/** RocketMQ's GroupCommitService join time, ms. */
export const GROUP_COMMIT_JOIN_TIME_MS = 300_000;

/**
 * Upper bound on commit/flush calls while serving one batch. Each call handles at most one file and the
 * loop stops as soon as a call makes no progress, so this only guards against a queue that keeps
 * advancing without reaching the target.
 */
const CALLS_PER_BATCH_MAX = 1000;

/** Rounds of swap-and-flush on shutdown before the leftovers are given FLUSH_DISK_TIMEOUT. */
const SHUTDOWN_ROUNDS_MAX = 10;

export interface GroupCommitServiceOptions extends ServiceThreadOptions {
  /**
   * Commit pool (TransientStorePool) bytes before each flush: set it when a pool is in use under
   * SYNC_FLUSH, so a request never waits for another service's commit. Default false.
   */
  readonly commitBeforeFlush?: boolean;
  /**
   * Longest wait between rounds when nothing wakes the service, ms (RocketMQ's `waitForRunning(10)`).
   * A `putRequest` wakes it at once, so this never adds latency to a request. Default 10.
   */
  readonly idleIntervalMs?: number;
  /** On shutdown, how long to let late requests arrive before the final swap, ms. Default 10. */
  readonly shutdownGraceMs?: number;
  /** Called with the queue's `storeTimestamp` (ms since the epoch) when it changed after a batch. */
  readonly onFlushed?: FlushedCallback;
}

/**
 * SYNC_FLUSH group commit (RocketMQ's GroupCommitService). Requests go to a write list; every wake
 * (`onWaitEnd`) swaps it with the read list, and one round of fdatasync serves the whole batch. A
 * request completes PUT_OK only once `flushedWhere` (published after an fdatasync completed) reaches
 * its `nextOffset`. Requests a round could not serve (flush failed, data not there yet) stay for the
 * next round; FlushDiskWatcher times them out at their deadline.
 *
 * In Node the fdatasync runs on the libuv pool, so requests arriving while one is in flight form the
 * next batch by themselves: no fixed sleep sits on the latency path.
 *
 * On shutdown: a short grace, then swap-and-flush until no request is left (bounded); anything the disk
 * would not take completes FLUSH_DISK_TIMEOUT, so no request stays pending. Requests put after that
 * complete at once: PUT_OK if already flushed, else FLUSH_DISK_TIMEOUT.
 */
export class GroupCommitService extends ServiceThread {
  readonly #queue: Flushable;
  readonly #commitBeforeFlush: boolean;
  readonly #idleIntervalMs: number;
  readonly #shutdownGraceMs: number;
  readonly #onFlushed: FlushedCallback | undefined;
  #requestsWrite: GroupCommitRequest[] = [];
  #requestsRead: GroupCommitRequest[] = [];
  #closed = false;
  #lastReportedTimestamp = 0;

  constructor(queue: Flushable, options: GroupCommitServiceOptions = {}) {
    super(options);
    this.#queue = queue;
    this.#commitBeforeFlush = options.commitBeforeFlush ?? false;
    this.#idleIntervalMs = options.idleIntervalMs ?? 10;
    this.#shutdownGraceMs = options.shutdownGraceMs ?? 10;
    this.#onFlushed = options.onFlushed;
  }

  protected override get defaultJoinTimeMs(): number {
    return GROUP_COMMIT_JOIN_TIME_MS;
  }

  /** Requests waiting for a round (both lists). */
  get pendingRequests(): number {
    return this.#requestsWrite.length + this.#requestsRead.length;
  }

  override start(): void {
    this.#closed = false;
    super.start();
  }

  /** Queues `request` for the next round and wakes the service. */
  putRequest(request: GroupCommitRequest): void {
    if (this.#closed) {
      request.wakeupCustomer(this.#queue.flushedWhere >= request.nextOffset ? "PUT_OK" : "FLUSH_DISK_TIMEOUT");
      return;
    }
    this.#requestsWrite.push(request);
    this.wakeup();
  }

  /** Swaps the lists; requests left over from the last round stay in front of the new ones. */
  protected override onWaitEnd(): void {
    const incoming = this.#requestsWrite;
    if (this.#requestsRead.length === 0) {
      this.#requestsWrite = this.#requestsRead;
      this.#requestsRead = incoming;
      return;
    }
    for (const request of incoming) this.#requestsRead.push(request);
    incoming.length = 0;
  }

  protected async run(): Promise<void> {
    while (!this.isStopped) {
      await this.waitForRunning(this.#idleIntervalMs);
      try {
        await this.#doCommit();
        this.noteLoopSuccess();
      } catch (error) {
        this.logLoopError(error, "group commit failed; pending requests retry on the next round");
      }
    }
    await this.#drainOnShutdown();
  }

  /**
   * Serves the read list: completes what an earlier fdatasync already covered, flushes up to the
   * furthest remaining offset, then completes every request that flush covered.
   */
  async #doCommit(): Promise<void> {
    const batch = this.#requestsRead;
    if (batch.length === 0) {
      await this.#flushStep(); // no one waits (WAIT=false puts only woke us): flush anyway
      return;
    }
    // Timed-out requests count too: their bytes still need the fdatasync (as in RocketMQ).
    let target = -1;
    for (const request of batch) if (request.nextOffset > target) target = request.nextOffset;
    this.#completeCovered(batch);
    if (target <= this.#queue.flushedWhere) return;
    try {
      await this.#flushUpTo(target);
    } finally {
      this.#completeCovered(batch);
    }
  }

  /** One commit (pool) and one flush call, as RocketMQ's idle round does. */
  async #flushStep(): Promise<void> {
    if (this.#commitBeforeFlush) await this.#queue.commit(0);
    await this.#queue.flush(0);
    this.#reportTimestamp();
  }

  /** Commits (pool) and flushes file by file until `flushedWhere >= target` or nothing moves. */
  async #flushUpTo(target: number): Promise<void> {
    const queue = this.#queue;
    for (let calls = 0; queue.flushedWhere < target && calls < CALLS_PER_BATCH_MAX; calls++) {
      let progressed = false;
      if (this.#commitBeforeFlush && queue.committedWhere < target) progressed = await queue.commit(0);
      if (await queue.flush(0)) progressed = true;
      if (!progressed) return;
    }
  }

  /** Completes every request the flushed position covers; keeps the rest (in order) for the next round. */
  #completeCovered(batch: GroupCommitRequest[]): void {
    const flushed = this.#queue.flushedWhere;
    let kept = 0;
    for (const request of batch) {
      if (request.isDone) continue;
      if (flushed >= request.nextOffset) request.wakeupCustomer("PUT_OK");
      else batch[kept++] = request;
    }
    batch.length = kept;
    this.#reportTimestamp();
  }

  #reportTimestamp(): void {
    const timestamp = this.#queue.storeTimestamp;
    if (timestamp > 0 && timestamp !== this.#lastReportedTimestamp) {
      this.#lastReportedTimestamp = timestamp;
      this.#onFlushed?.(timestamp);
    }
  }

  async #drainOnShutdown(): Promise<void> {
    await new Promise((resolve) => this.clock.setTimeout(() => resolve(undefined), this.#shutdownGraceMs));
    for (let round = 0; round < SHUTDOWN_ROUNDS_MAX; round++) {
      this.onWaitEnd();
      if (this.#requestsRead.length === 0) break;
      try {
        await this.#doCommit();
      } catch (error) {
        this.logLoopError(error, "final group commit failed");
      }
    }
    this.#closed = true;
    const left = [...this.#requestsRead, ...this.#requestsWrite];
    this.#requestsRead = [];
    this.#requestsWrite = [];
    for (const request of left) this.putRequest(request);
  }
}
