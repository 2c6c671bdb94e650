import { ServiceThread } from "./service-thread.js";
import type { ServiceThreadOptions } from "./service-thread.js";
import type { FlushedCallback, Flushable } from "./types.js";

/** RocketMQ's FlushRealTimeService join time, ms. */
export const FLUSH_REAL_TIME_JOIN_TIME_MS = 300_000;

/** RocketMQ's `RETRY_TIMES_OVER`: full flushes tried on shutdown. */
export const RETRY_TIMES_OVER = 10;

/**
 * Flush calls per round. One call handles one file; the second finishes a round whose data crossed
 * into the next file, so a file boundary does not cost an extra interval.
 */
const CALLS_PER_ROUND_MAX = 2;

export interface FlushRealTimeServiceOptions extends ServiceThreadOptions {
  /** Pause between rounds, ms (`flushIntervalCommitLog`). Default 500. */
  readonly flushIntervalMs?: number;
  /** true: a plain sleep that `wakeup()` does not cut short; false: `waitForRunning` (`flushCommitLogTimed`). Default true. */
  readonly timed?: boolean;
  /** Dirty 4 KiB pages needed before a round flushes (`flushCommitLogLeastPages`). Default 4. */
  readonly leastPages?: number;
  /** A round flushes whatever is dirty (leastPages 0) once this long passed since the last such round, ms (`flushCommitLogThoroughInterval`). Default 10 000. */
  readonly thoroughIntervalMs?: number;
  /** Called with the queue's `storeTimestamp` (ms since the epoch) when it changed after a round. */
  readonly onFlushed?: FlushedCallback;
}

/**
 * ASYNC_FLUSH (RocketMQ's FlushRealTimeService): every `flushIntervalMs`, fdatasync the queue once at
 * least `leastPages` pages are dirty, and everything dirty every `thoroughIntervalMs`. Errors are
 * logged and the next round retries. On shutdown, up to RETRY_TIMES_OVER full flushes, until one
 * makes no progress.
 */
export class FlushRealTimeService extends ServiceThread {
  readonly #queue: Flushable;
  readonly #flushIntervalMs: number;
  readonly #timed: boolean;
  readonly #leastPages: number;
  readonly #thoroughIntervalMs: number;
  readonly #onFlushed: FlushedCallback | undefined;
  #lastReportedTimestamp = 0;

  constructor(queue: Flushable, options: FlushRealTimeServiceOptions = {}) {
    super(options);
    this.#queue = queue;
    this.#flushIntervalMs = options.flushIntervalMs ?? 500;
    this.#timed = options.timed ?? true;
    this.#leastPages = options.leastPages ?? 4;
    this.#thoroughIntervalMs = options.thoroughIntervalMs ?? 10_000;
    this.#onFlushed = options.onFlushed;
  }

  protected override get defaultJoinTimeMs(): number {
    return FLUSH_REAL_TIME_JOIN_TIME_MS;
  }

  protected async run(): Promise<void> {
    // Monotonic clock: a wall-clock step must not postpone the thorough flush. The first round is thorough.
    let lastThoroughMs = Number.NEGATIVE_INFINITY;
    while (!this.isStopped) {
      let leastPages = this.#leastPages;
      const now = performance.now();
      if (now >= lastThoroughMs + this.#thoroughIntervalMs) {
        lastThoroughMs = now;
        leastPages = 0;
      }
      if (this.#timed) await this.sleep(this.#flushIntervalMs);
      else await this.waitForRunning(this.#flushIntervalMs);
      if (this.isStopped) break; // the final flush below covers this round
      try {
        for (let calls = 0; calls < CALLS_PER_ROUND_MAX; calls++) {
          if (!(await this.#queue.flush(leastPages))) break;
        }
        this.#reportTimestamp();
        this.noteLoopSuccess();
      } catch (error) {
        this.logLoopError(error, "flush failed; retrying on the next round");
      }
    }
    await this.#finalFlush();
  }

  async #finalFlush(): Promise<void> {
    for (let attempt = 0; attempt < RETRY_TIMES_OVER; attempt++) {
      try {
        if (!(await this.#queue.flush(0))) break;
      } catch (error) {
        this.logLoopError(error, "final flush failed");
      }
    }
    this.#reportTimestamp();
  }

  #reportTimestamp(): void {
    const timestamp = this.#queue.storeTimestamp;
    if (timestamp > 0 && timestamp !== this.#lastReportedTimestamp) {
      this.#lastReportedTimestamp = timestamp;
      this.#onFlushed?.(timestamp);
    }
  }
}
