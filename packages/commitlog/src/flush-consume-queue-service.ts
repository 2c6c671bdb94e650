import type { ServiceThreadOptions } from "@store/flush-services";
import { ServiceThread } from "@store/flush-services";
import type { ConsumeQueueTable } from "./consume-queue-table.js";
import type { StoreCheckpoint } from "./store-checkpoint.js";

/** Options of the `FlushConsumeQueueService`, with RocketMQ's intervals in ms. */
export interface FlushConsumeQueueServiceOptions extends ServiceThreadOptions {
  /** Pause between rounds, ms. */
  readonly intervalMs: number;
  /** Dirty pages per queue before a periodic flush. */
  readonly leastPages: number;
  /** A full flush (and a checkpoint write) at least this often, ms. */
  readonly thoroughIntervalMs: number;
  /** Store time of the last dispatched unit, ms: what the checkpoint may claim once queues are flushed. */
  readonly lastDispatchedTimestamp: () => number;
  /**
   * Flushes the message index on each thorough round, before the checkpoint is written; resolves
   * with the store time the index is now durable up to (the checkpoint's indexMsgTimestamp), or null
   * to leave it. Without it, indexMsgTimestamp follows logicsMsgTimestamp.
   */
  readonly flushIndex?: () => Promise<number | null>;
}

/** Max loops over a queue in one round: each flush call covers one file. */
const FILES_PER_ROUND = 3;

/**
 * Flushes the consume queues (RocketMQ's FlushConsumeQueueService). On each thorough round it
 * captures the last dispatched store time first, flushes every queue fully, and only then records
 * that time as the checkpoint's logicsMsgTimestamp and syncs the checkpoint, so the checkpoint never
 * claims more than the disk holds.
 */
export class FlushConsumeQueueService extends ServiceThread {
  readonly #queues: ConsumeQueueTable;
  readonly #checkpoint: StoreCheckpoint;
  readonly #options: FlushConsumeQueueServiceOptions;
  /** When the last thorough round ran (`clock.monotonic()`, ms): the first round is thorough. */
  #lastThoroughMs = Number.NEGATIVE_INFINITY;

  constructor(
    queues: ConsumeQueueTable,
    checkpoint: StoreCheckpoint,
    options: FlushConsumeQueueServiceOptions,
  ) {
    super(options);
    this.#queues = queues;
    this.#checkpoint = checkpoint;
    this.#options = options;
  }

  protected override get defaultJoinTimeMs(): number {
    return 60_000;
  }

  protected async run(): Promise<void> {
    while (!this.isStopped) {
      await this.waitForRunning(this.#options.intervalMs);
      try {
        await this.doFlush(false);
      } catch (error) {
        this.logger.error({ err: error }, "consume-queue flush failed; retrying next round");
      }
    }
  }

  /** One round; `thorough` forces leastPages 0 and a checkpoint write (shutdown does this). */
  async doFlush(thorough: boolean): Promise<void> {
    const now = this.clock.monotonic();
    let leastPages = this.#options.leastPages;
    if (thorough || now >= this.#lastThoroughMs + this.#options.thoroughIntervalMs) {
      this.#lastThoroughMs = now;
      leastPages = 0;
    }
    const logicsTimestamp = leastPages === 0 ? this.#options.lastDispatchedTimestamp() : 0;
    // Each call flushes at most one file per queue. A thorough round must reach the end of every
    // queue before it records logicsTimestamp (and before shutdown lets the next open trust the
    // queues), so it goes on while any queue advances, bounded by the files that exist now.
    const rounds = leastPages === 0 ? this.#mostFilesInAQueue() + 1 : FILES_PER_ROUND;
    for (let i = 0; i < rounds; i++) {
      if (!(await this.#queues.flush(leastPages))) break;
    }
    if (leastPages === 0) {
      if (logicsTimestamp > 0) this.#checkpoint.logicsMsgTimestamp = logicsTimestamp;
      if (this.#options.flushIndex === undefined)
        this.#checkpoint.indexMsgTimestamp = this.#checkpoint.logicsMsgTimestamp;
      else {
        const indexTimestamp = await this.#options.flushIndex();
        if (indexTimestamp !== null) this.#checkpoint.indexMsgTimestamp = indexTimestamp;
      }
      await this.#checkpoint.flush();
    }
  }

  #mostFilesInAQueue(): number {
    let most = FILES_PER_ROUND;
    for (const queue of this.#queues.all())
      most = Math.max(most, queue.mappedFileQueue.mappedFiles.length);
    return most;
  }
}
