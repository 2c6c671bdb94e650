import type { FileIO } from "@store/mapped-file";
import type { Logger } from "pino";
import type { QueueRecoveryScan, UnitCheck } from "./consume-queue.js";
import { ConsumeQueue } from "./consume-queue.js";

export interface ConsumeQueueTableOptions {
  /** The `consumequeue` directory. */
  readonly rootDir: string;
  readonly mappedFileSize: number;
  readonly io: FileIO;
  readonly logger: Logger;
}

const TOPIC_PATTERN = /^[%|a-zA-Z0-9_-]{1,127}$/;

/** Every consume queue of the store, by topic and queue id, created on first use. */
export class ConsumeQueueTable {
  readonly #options: ConsumeQueueTableOptions;
  readonly #queues = new Map<string, Map<number, ConsumeQueue>>();
  #gapsFound = 0;

  constructor(options: ConsumeQueueTableOptions) {
    this.#options = options;
  }

  /** The queue, or undefined when it was never written. */
  find(topic: string, queueId: number): ConsumeQueue | undefined {
    return this.#queues.get(topic)?.get(queueId);
  }

  /** The queue, created (empty) when missing. */
  findOrCreate(topic: string, queueId: number): ConsumeQueue {
    let byId = this.#queues.get(topic);
    if (byId === undefined) {
      byId = new Map();
      this.#queues.set(topic, byId);
    }
    let queue = byId.get(queueId);
    if (queue === undefined) {
      queue = new ConsumeQueue({
        rootDir: this.#options.rootDir,
        topic,
        queueId,
        mappedFileSize: this.#options.mappedFileSize,
        io: this.#options.io,
        onGap: (gapped, expected, end) => {
          this.#gapsFound++;
          this.#options.logger.warn(
            { topic: gapped.topic, queueId: gapped.queueId, expected, end },
            "a unit arrived past its queue's end: the units in between are missing",
          );
        },
      });
      byId.set(queueId, queue);
    }
    return queue;
  }

  /** Every queue. */
  *all(): IterableIterator<ConsumeQueue> {
    for (const byId of this.#queues.values()) yield* byId.values();
  }

  /** Topics with at least one queue. */
  topics(): string[] {
    return [...this.#queues.keys()];
  }

  /** Queue ids of a topic. */
  queueIds(topic: string): number[] {
    return [...(this.#queues.get(topic)?.keys() ?? [])].sort((a, b) => a - b);
  }

  /**
   * Opens every `<topic>/<queueId>` directory. Entries that are not a valid topic or queue id are
   * skipped with a warning (they cannot have been written by the store).
   */
  async load(): Promise<void> {
    const io = this.#options.io;
    for (const topic of await io.readdir(this.#options.rootDir)) {
      if (!TOPIC_PATTERN.test(topic)) {
        this.#options.logger.warn(
          { topic },
          "skipping a consume-queue directory that is not a topic name",
        );
        continue;
      }
      for (const id of await io.readdir(`${this.#options.rootDir}/${topic}`)) {
        const queueId = Number(id);
        if (!/^\d{1,9}$/.test(id)) {
          this.#options.logger.warn(
            { topic, entry: id },
            "skipping a consume-queue entry that is not a queue id",
          );
          continue;
        }
        await this.findOrCreate(topic, queueId).load();
      }
    }
  }

  /** Units that arrived past their queue's end so far (see ConsumeQueueOptions.onGap). */
  get gapsFound(): number {
    return this.#gapsFound;
  }

  /** Scans every queue for recovery, changing nothing (see ConsumeQueue.scanForRecovery). */
  async scanForRecovery(
    keepUnitsBelow: number,
    check?: UnitCheck,
  ): Promise<Map<ConsumeQueue, QueueRecoveryScan>> {
    const scans = new Map<ConsumeQueue, QueueRecoveryScan>();
    for (const queue of this.all())
      scans.set(queue, await queue.scanForRecovery(keepUnitsBelow, check));
    return scans;
  }

  /**
   * Cuts every scanned queue where its scan ended, durably (see ConsumeQueue.cutAt). Returns the
   * highest commit-log end of a kept unit's record (-1 when none) and the bytes zeroed.
   */
  async cutAt(
    scans: ReadonlyMap<ConsumeQueue, QueueRecoveryScan>,
  ): Promise<{ highestRecordEnd: number; zeroedBytes: number }> {
    let highestRecordEnd = -1;
    let zeroedBytes = 0;
    for (const [queue, scan] of scans) {
      zeroedBytes += await queue.cutAt(scan.end, scan.lastRecordEnd);
      highestRecordEnd = Math.max(highestRecordEnd, scan.lastRecordEnd);
    }
    return { highestRecordEnd, zeroedBytes };
  }

  /**
   * Recovers every queue: keeps the sound units whose records lie below `keepUnitsBelow` (default:
   * all) and cuts the rest durably. Returns the largest kept commit-log end (-1 when none).
   */
  async recover(keepUnitsBelow = Number.POSITIVE_INFINITY, check?: UnitCheck): Promise<number> {
    return (await this.cutAt(await this.scanForRecovery(keepUnitsBelow, check))).highestRecordEnd;
  }

  /** Flushes every queue (at most one file each per call); true if any advanced. */
  async flush(leastPages: number): Promise<boolean> {
    let advanced = false;
    for (const queue of this.all()) {
      if (await queue.flush(leastPages)) advanced = true;
    }
    return advanced;
  }

  /** Deletes index files whose units all point below `phyMinOffset`; returns how many. */
  async deleteExpired(phyMinOffset: number): Promise<number> {
    let deleted = 0;
    for (const queue of this.all()) deleted += await queue.deleteExpiredFile(phyMinOffset);
    return deleted;
  }

  /** Moves each queue's minimum past records below `phyMinOffset`. */
  async correctMinOffsets(phyMinOffset: number): Promise<void> {
    for (const queue of this.all()) await queue.correctMinOffset(phyMinOffset);
  }

  /** Closes every consume queue, keeping the files on disk. */
  async shutdown(): Promise<void> {
    for (const queue of this.all()) await queue.shutdown();
  }

  /** Closes and deletes every consume queue. */
  async destroy(): Promise<void> {
    for (const queue of this.all()) await queue.destroy();
    this.#queues.clear();
  }
}
