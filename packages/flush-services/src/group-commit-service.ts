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

/** Options of the `GroupCommitService` (SYNC_FLUSH). */
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

/** One commit + fdatasync round under way: the requests it was started for, and its end. */
interface Flight {
  readonly batch: GroupCommitRequest[];
  readonly done: Promise<void>;
}

/**
 * SYNC_FLUSH group commit (RocketMQ's GroupCommitService). Requests go to a write list; a swap
 * (`onWaitEnd`) moves them to the read list, and a flight (commit when pooled, then fdatasync) takes
 * the read list and serves it with one fdatasync. A request completes PUT_OK only once `flushedWhere`
 * (published after an fdatasync completed, from the readable position taken before it started)
 * reaches its `nextOffset`. Requests a flight could not serve (flush failed, data not there yet) go
 * back to the read list; FlushDiskWatcher times them out at their deadline.
 *
 * One flight at a time (the file layer runs one fdatasync per file at a time). When a flight lands,
 * the write list is swapped at once (what arrived during the fdatasync is the next batch) and the
 * landed batch's acks go out; the woken writers put again in the same turn of the event loop, and the
 * next flight covers them together with what was waiting: one fdatasync per cycle. No fixed sleep sits
 * on the latency path: a put wakes the loop, and a landing starts the next flight.
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

  /** Requests waiting for a flight (both lists; not those of the flight in the air). */
  get pendingRequests(): number {
    return this.#requestsWrite.length + this.#requestsRead.length;
  }

  override start(): void {
    this.#closed = false;
    super.start();
  }

  /** Queues `request` for the next flight and wakes the service. */
  putRequest(request: GroupCommitRequest): void {
    if (this.#closed) {
      request.wakeupCustomer(
        this.#queue.flushedWhere >= request.nextOffset ? "PUT_OK" : "FLUSH_DISK_TIMEOUT",
      );
      return;
    }
    this.#requestsWrite.push(request);
    this.wakeup();
  }

  /** Swaps the lists; requests left over from the last flight stay in front of the new ones. */
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
        await this.#serve();
        this.noteLoopSuccess();
      } catch (error) {
        this.logLoopError(error, "group commit failed; pending requests retry on the next round");
      }
    }
    await this.#drainOnShutdown();
  }

  /** One flight for the read list, then its acks (see the class doc). */
  async #serve(): Promise<void> {
    if (this.#requestsRead.length === 0) {
      await this.#flushStep(); // no one waits (WAIT=false puts only woke us): flush anyway
      return;
    }
    const flight = this.#launch();
    if (flight === null) return;
    await this.#land(flight);
    this.onWaitEnd(); // what arrived during the fdatasync is the next batch
    this.#deliver(flight.batch, 0, flight.batch.length);
  }

  /**
   * Takes the read list: completes what an earlier fdatasync already covered and starts a flight up
   * to the furthest offset asked for. Null when that is flushed already.
   */
  #launch(): Flight | null {
    const batch = this.#requestsRead;
    this.#requestsRead = [];
    // Timed-out requests count too: their bytes still need the fdatasync (as in RocketMQ).
    let target = -1;
    for (const request of batch) if (request.nextOffset > target) target = request.nextOffset;
    this.#deliver(batch, 0, batch.length);
    if (target <= this.#queue.flushedWhere) return null;
    const waiting = this.#requestsRead;
    this.#requestsRead = [];
    const done = this.#flushUpTo(target);
    done.catch(() => undefined); // awaited in #land, maybe a turn later: not an unhandled rejection meanwhile
    return { batch: waiting, done };
  }

  /** Waits for the flight; if it failed, its requests go back in front of the read list. */
  async #land(flight: Flight): Promise<void> {
    try {
      await flight.done;
    } catch (error) {
      const later = this.#requestsRead;
      this.#requestsRead = flight.batch;
      for (const request of later) flight.batch.push(request);
      throw error;
    }
  }

  /**
   * Completes `batch[from, to)` that the flushed position covers (PUT_OK); the rest, not yet done,
   * go to the read list in order.
   */
  #deliver(batch: GroupCommitRequest[], from: number, to: number): void {
    const flushed = this.#queue.flushedWhere;
    for (let i = from; i < to; i++) {
      const request = batch[i] as GroupCommitRequest;
      if (request.isDone) continue;
      if (flushed >= request.nextOffset) request.wakeupCustomer("PUT_OK");
      else this.#requestsRead.push(request);
    }
    this.#reportTimestamp();
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
      if (this.#commitBeforeFlush && queue.committedWhere < target)
        progressed = await queue.commit(0);
      if (await queue.flush(0)) progressed = true;
      if (!progressed) return;
    }
  }

  #reportTimestamp(): void {
    const timestamp = this.#queue.storeTimestamp;
    if (timestamp > 0 && timestamp !== this.#lastReportedTimestamp) {
      this.#lastReportedTimestamp = timestamp;
      this.#onFlushed?.(timestamp);
    }
  }

  /** One flight for the read list, its acks out (also when it failed: the covered ones still go). */
  async #commitOnce(): Promise<void> {
    const flight = this.#launch();
    if (flight === null) return;
    try {
      await flight.done;
    } finally {
      this.#deliver(flight.batch, 0, flight.batch.length);
    }
  }

  async #drainOnShutdown(): Promise<void> {
    await new Promise((resolve) =>
      this.clock.setTimeout(() => resolve(undefined), this.#shutdownGraceMs),
    );
    for (let round = 0; round < SHUTDOWN_ROUNDS_MAX; round++) {
      this.onWaitEnd();
      if (this.#requestsRead.length === 0) break;
      try {
        await this.#commitOnce();
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
