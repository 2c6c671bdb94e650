import { ServiceThread } from "./service-thread.js";
import type { ServiceThreadOptions } from "./service-thread.js";
import { RETRY_TIMES_OVER } from "./flush-real-time-service.js";
import type { Flushable, Wakeable } from "./types.js";

/** Commit calls per round; the second finishes a round whose data crossed into the next file. */
const CALLS_PER_ROUND_MAX = 2;

/** Options of the `CommitRealTimeService` (ASYNC_FLUSH with a TransientStorePool), with RocketMQ's defaults. */
export interface CommitRealTimeServiceOptions extends ServiceThreadOptions {
  /** Wait between rounds, ms (`commitIntervalCommitLog`). A `wakeup()` ends it early. Default 200. */
  readonly commitIntervalMs?: number;
  /** Pending 4 KiB pages needed before a round commits (`commitCommitLogLeastPages`). Default 4. */
  readonly leastPages?: number;
  /** A round commits whatever is pending once this long passed without a commit, ms (`commitCommitLogThoroughInterval`). Default 200. */
  readonly thoroughIntervalMs?: number;
  /** Woken after every round whose commit advanced (the flush service). */
  readonly flushService?: Wakeable | null;
  /** Called after every round whose commit advanced: the committed bytes are now readable. */
  readonly onCommitted?: () => void;
}

/**
 * ASYNC_FLUSH with a TransientStorePool (RocketMQ's CommitRealTimeService): moves appended bytes from
 * the pool buffers into the file (the page cache) every `commitIntervalMs`, and wakes the flush service
 * only when a commit advanced. On shutdown it drains: up to RETRY_TIMES_OVER `commit(0)` calls until
 * one makes no progress. Stop it before the flush service so the final flush sees everything.
 */
export class CommitRealTimeService extends ServiceThread {
  readonly #queue: Flushable;
  readonly #commitIntervalMs: number;
  readonly #leastPages: number;
  readonly #thoroughIntervalMs: number;
  readonly #flushService: Wakeable | null;
  readonly #onCommitted: () => void;

  constructor(queue: Flushable, options: CommitRealTimeServiceOptions = {}) {
    super(options);
    this.#queue = queue;
    this.#commitIntervalMs = options.commitIntervalMs ?? 200;
    this.#leastPages = options.leastPages ?? 4;
    this.#thoroughIntervalMs = options.thoroughIntervalMs ?? 200;
    this.#flushService = options.flushService ?? null;
    this.#onCommitted = options.onCommitted ?? (() => undefined);
  }

  protected async run(): Promise<void> {
    // Monotonic clock, as in FlushRealTimeService; the first round is thorough.
    let lastCommitMs = Number.NEGATIVE_INFINITY;
    while (!this.isStopped) {
      let leastPages = this.#leastPages;
      const begin = this.clock.monotonic();
      if (begin >= lastCommitMs + this.#thoroughIntervalMs) {
        lastCommitMs = begin;
        leastPages = 0;
      }
      try {
        if (await this.#commitRound(leastPages)) {
          lastCommitMs = this.clock.monotonic();
          this.#flushService?.wakeup();
          this.#onCommitted();
        }
        this.noteLoopSuccess();
      } catch (error) {
        this.logLoopError(error, "commit failed; retrying on the next round");
      }
      // Outside the try: a failing commit must still wait, or the loop would spin.
      await this.waitForRunning(this.#commitIntervalMs);
    }
    await this.#drain();
  }

  /** Returns whether any call advanced `committedWhere`. */
  async #commitRound(leastPages: number): Promise<boolean> {
    let advanced = false;
    for (let calls = 0; calls < CALLS_PER_ROUND_MAX; calls++) {
      if (!(await this.#queue.commit(leastPages))) break;
      advanced = true;
    }
    return advanced;
  }

  async #drain(): Promise<void> {
    let advanced = false;
    for (let attempt = 0; attempt < RETRY_TIMES_OVER; attempt++) {
      try {
        if (!(await this.#queue.commit(0))) break;
        advanced = true;
      } catch (error) {
        this.logLoopError(error, "final commit failed");
      }
    }
    if (advanced) this.#flushService?.wakeup();
  }
}
