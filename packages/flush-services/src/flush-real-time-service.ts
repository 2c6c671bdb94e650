import { ServiceThread } from "./service-thread.js";
import type { ServiceThreadOptions } from "./service-thread.js";
import type { FlushedCallback, Flushable } from "./types.js";

/** RocketMQ's FlushRealTimeService join time, ms. */
export const FLUSH_REAL_TIME_JOIN_TIME_MS = 300_000;

/** RocketMQ's `RETRY_TIMES_OVER`: full flushes tried on shutdown. */
export const RETRY_TIMES_OVER = 10;

/** Options of the `FlushRealTimeService` (ASYNC_FLUSH), with RocketMQ's defaults. */
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
  /**
   * The queue's segment size, bytes. When given, a `wakeup()` that finds a whole file committed but
   * not yet flushed starts a round at once, even in timed mode: a full file is flushed as soon as it
   * is complete instead of up to `flushIntervalMs` later (what the raw write-then-fdatasync baseline
   * does). It only shortens what a power cut can lose. Omitted: RocketMQ's plain interval.
   */
  readonly mappedFileSize?: number;
}

/**
 * ASYNC_FLUSH (RocketMQ's FlushRealTimeService): every `flushIntervalMs`, fdatasync the queue once at
 * least `leastPages` pages are dirty, and everything dirty every `thoroughIntervalMs`. Given the
 * segment size, a round flushes file after file until it catches up, and a complete file is flushed
 * at once. Errors are
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
  readonly #mappedFileSize: number;
  #writtenWhere = 0;
  #lastReportedTimestamp = 0;

  constructor(queue: Flushable, options: FlushRealTimeServiceOptions = {}) {
    super(options);
    this.#queue = queue;
    this.#flushIntervalMs = options.flushIntervalMs ?? 500;
    this.#timed = options.timed ?? true;
    this.#leastPages = options.leastPages ?? 4;
    this.#thoroughIntervalMs = options.thoroughIntervalMs ?? 10_000;
    this.#onFlushed = options.onFlushed;
    this.#mappedFileSize = options.mappedFileSize ?? 0;
  }

  /**
   * Wakes the service (a timed one sleeps on regardless), and ends a timed sleep early when a whole
   * file awaits its fdatasync (see `mappedFileSize`).
   * @param writtenWhere - page-cache mode: the appender's bytes below this offset are in the file
   *   (with a pool the queue's `committedWhere` says that).
   */
  override wakeup(writtenWhere = 0): void {
    if (writtenWhere > this.#writtenWhere) this.#writtenWhere = writtenWhere;
    if (this.#timed && this.#fullFileUnflushed()) this.interruptSleep();
    super.wakeup();
  }

  /** Whether a whole file is in the file system but not flushed (only known with `mappedFileSize`). */
  #fullFileUnflushed(): boolean {
    const size = this.#mappedFileSize;
    if (size <= 0) return false;
    const written = Math.max(this.#queue.committedWhere, this.#writtenWhere);
    return Math.floor(written / size) > Math.floor(this.#queue.flushedWhere / size);
  }

  /**
   * One round: a call flushes one file. Without `mappedFileSize`, up to two calls (the second
   * finishes a round whose data crossed into the next file). With it, file after file for as long as
   * each call completes a whole file, so a writer that fills several files per interval (small files,
   * a fast producer) does not leave the flush further behind every round (RocketMQ flushes one file
   * per round, with 1 GiB files).
   * @returns whether any call advanced.
   */
  async #flushRound(leastPages: number): Promise<boolean> {
    const size = this.#mappedFileSize;
    let progressed = false;
    for (let calls = 0; size > 0 || calls < 2; calls++) {
      if (!(await this.#queue.flush(leastPages))) break;
      progressed = true;
      if (size > 0 && this.#queue.flushedWhere % size !== 0) break; // inside a file: caught up
    }
    return progressed;
  }

  protected override get defaultJoinTimeMs(): number {
    return FLUSH_REAL_TIME_JOIN_TIME_MS;
  }

  protected async run(): Promise<void> {
    // Monotonic clock: a wall-clock step must not postpone the thorough flush. The first round is thorough.
    let lastThoroughMs = Number.NEGATIVE_INFINITY;
    let progressed = false;
    while (!this.isStopped) {
      let leastPages = this.#leastPages;
      const now = this.clock.monotonic();
      if (now >= lastThoroughMs + this.#thoroughIntervalMs) {
        lastThoroughMs = now;
        leastPages = 0;
      }
      // A file completed during the last round goes now (only after a round that moved, so a file
      // that cannot be flushed does not turn this into a busy loop).
      if (this.#timed && !(progressed && this.#fullFileUnflushed()))
        await this.sleep(this.#flushIntervalMs);
      else if (!this.#timed) await this.waitForRunning(this.#flushIntervalMs);
      progressed = false;
      if (this.isStopped) break; // the final flush below covers this round
      try {
        progressed = await this.#flushRound(leastPages);
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
