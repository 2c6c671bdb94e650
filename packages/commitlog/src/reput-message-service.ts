import type { ServiceThreadOptions } from "@store/flush-services";
import { ServiceThread } from "@store/flush-services";
import { takesQueueOffset } from "./append-message-callback.js";
import type { AppendedUnits } from "./appended-units.js";
import type { DispatchUnit } from "@store/message-codec";
import type { CommitLogEvents } from "./commit-log-events.js";
import type { CommitLog } from "./commit-log.js";
import type { ScanOptions } from "./commit-log-scanner.js";
import { SCAN_CHUNK_BYTES, scanFileRecords } from "./commit-log-scanner.js";
import type { ConsumeQueue, PositionEntry } from "./consume-queue.js";
import type { ConsumeQueueTable } from "./consume-queue-table.js";
import type { DispatchIndex } from "./index-service.js";

/** Told, once per dispatch round and queue, the queue's new end (one past its last offset). */
export type DispatchListener = (topic: string, queueId: number, maxOffset: number) => void;

/** Options of the `ReputMessageService`, the dispatcher from the commit log to the consume queues. */
export interface ReputMessageServiceOptions extends ServiceThreadOptions {
  /** Largest legal record, bytes. */
  readonly maxRecordBytes: number;
  /** Longest idle wait between rounds, ms; a put wakes the service at once. Default 100. */
  readonly idleIntervalMs?: number;
  /**
   * Told what reached the consume queues: `dispatched` once per step and queue, `dispatchedUpTo` the
   * store time of the step's last unit once all of them were written (the checkpoint's
   * logicsMsgTimestamp candidate). Default: nobody.
   */
  readonly events?: Pick<CommitLogEvents, "dispatched" | "dispatchedUpTo">;
  /**
   * The commit log's record of its appends (the same object it was given): units found there are
   * dispatched without reading the log. Default none: everything is read from the log.
   */
  readonly appendedUnits?: AppendedUnits | null;
  /** The message index, fed every dispatched record (RocketMQ's CommitLogDispatcherBuildIndex). Default none. */
  readonly index?: DispatchIndex | null;
  /** Told `reputFromOffset` after every dispatch step (MessageStore.waitForDispatch listens). */
  readonly onProgress?: (reputFromOffset: number) => void;
}

/** Units taken from AppendedUnits per step, like one scan chunk. */
const APPENDED_UNITS_PER_STEP = 4096;

/**
 * Builds the consume queues from the commit log (RocketMQ's ReputMessageService): reads records from
 * `reputFromOffset` in large chunks and appends one index unit per message to its topic queue.
 * Woken by every put; dispatches only what readers can read (the committed bytes). Units the commit
 * log recorded as it appended them (AppendedUnits) are taken from there instead of the file, when
 * they start exactly at `reputFromOffset`.
 */
export class ReputMessageService extends ServiceThread {
  /** Next commit-log offset to dispatch. */
  reputFromOffset = 0;
  readonly #commitLog: CommitLog;
  readonly #queues: ConsumeQueueTable;
  readonly #scan: ScanOptions;
  #reputChain: Promise<unknown> = Promise.resolve();
  readonly #idleIntervalMs: number;
  readonly #events: Pick<CommitLogEvents, "dispatched" | "dispatchedUpTo"> | null;
  readonly #appendedUnits: AppendedUnits | null;
  readonly #index: DispatchIndex | null;
  readonly #onProgress: (reputFromOffset: number) => void;

  constructor(
    commitLog: CommitLog,
    queues: ConsumeQueueTable,
    options: ReputMessageServiceOptions,
  ) {
    super(options);
    this.#commitLog = commitLog;
    this.#queues = queues;
    this.#scan = {
      checkCRC: false,
      readBody: false,
      chunkBytes: SCAN_CHUNK_BYTES,
      readBuffer: Buffer.allocUnsafeSlow(SCAN_CHUNK_BYTES),
      maxRecordBytes: options.maxRecordBytes,
      dispatchOnly: true,
      withKeys: (options.index ?? null) !== null,
    };
    this.#idleIntervalMs = options.idleIntervalMs ?? 100;
    this.#events = options.events ?? null;
    this.#appendedUnits = options.appendedUnits ?? null;
    this.#index = options.index ?? null;
    this.#onProgress = options.onProgress ?? (() => undefined);
  }

  /** Bytes in the commit log not yet dispatched. */
  behind(): number {
    return Math.max(0, this.#commitLog.getMaxOffset() - this.reputFromOffset);
  }

  protected async run(): Promise<void> {
    while (!this.isStopped) {
      await this.waitForRunning(this.#idleIntervalMs);
      try {
        await this.doReput();
      } catch (error) {
        this.logger.error(
          { err: error, reputFromOffset: this.reputFromOffset },
          "dispatch failed; retrying",
        );
      }
    }
    await this.doReput(); // dispatch what the last puts wrote before the store flushes its queues
  }

  /** Dispatches from `offset` on (where recovery says dispatch starts), everything readable now. */
  restartFrom(offset: number): Promise<void> {
    this.reputFromOffset = offset;
    return this.doReput();
  }

  /**
   * Dispatches everything readable now. Resolves when caught up (or a unit could not be written).
   * Calls run one after another (they share one read buffer).
   */
  doReput(): Promise<void> {
    const run = this.#reputChain.then(() => this.#reputNow());
    this.#reputChain = run.catch(() => undefined);
    return run;
  }

  async #reputNow(): Promise<void> {
    const minOffset = this.#commitLog.getMinOffset();
    if (minOffset >= 0 && this.reputFromOffset < minOffset) this.reputFromOffset = minOffset;
    while (this.reputFromOffset < this.#commitLog.getMaxOffset()) {
      const progressed = await this.#dispatchChunk();
      this.#onProgress(this.reputFromOffset);
      if (!progressed) return;
    }
  }

  /** One chunk of one file; false when dispatch must pause (nothing readable, or a unit failed). */
  async #dispatchChunk(): Promise<boolean> {
    const queue = this.#commitLog.mappedFileQueue;
    const file = queue.findMappedFileByOffset(this.reputFromOffset);
    if (file === null) return false;
    const recorded = this.#takeAppendedUnits(file.fileFromOffset + file.readPosition);
    if (recorded !== null) {
      const failedAt = await this.#dispatchAll(recorded.batches);
      this.reputFromOffset = failedAt ?? recorded.end;
      return failedAt === null;
    }
    const batches = new QueueBatches(this.#queues, this.#index);
    // A unit points where its record is (for a sound record, its PHYSICALOFFSET field), and a failed
    // write resumes there.
    const stop = await scanFileRecords(
      file,
      this.reputFromOffset - file.fileFromOffset,
      this.#scan,
      (request, position) => {
        if (request !== null)
          batches.add(
            file.fileFromOffset + position,
            request.size,
            request.topic,
            request.queueId,
            request.queueOffset,
            request.tagsCode,
            request.storeTimestamp,
            request.sysFlag,
            request.keys,
            request.uniqKey,
          );
      },
      1,
    );
    const failedAt = await this.#dispatchAll(batches);
    if (failedAt !== null) {
      this.reputFromOffset = failedAt;
      return false;
    }
    if (stop.reason === "END") {
      const next = file.fileFromOffset + stop.position;
      const progressed = next > this.reputFromOffset;
      this.reputFromOffset = next;
      return progressed;
    }
    if (stop.reason === "INVALID") {
      this.logger.error(
        { offset: file.fileFromOffset + stop.position, code: stop.record.code },
        "invalid record in the commit log; skipping the rest of its file",
      );
    }
    this.reputFromOffset = this.#commitLog.rollNextFile(file.fileFromOffset);
    return true;
  }

  /**
   * Indexes units another scan read (an abnormal recovery's), given with the commit-log offset of
   * each record. Returns the offset of the first that could not be indexed, or null when all were.
   */
  dispatchUnits(
    units: readonly DispatchUnit[],
    offsets: readonly number[],
  ): Promise<number | null> {
    const batches = new QueueBatches(this.#queues, this.#index);
    for (let i = 0; i < units.length; i++) {
      const unit = units[i] as DispatchUnit;
      batches.add(
        offsets[i] as number,
        unit.size,
        unit.topic,
        unit.queueId,
        unit.queueOffset,
        unit.tagsCode,
        unit.storeTimestamp,
        unit.sysFlag,
        unit.keys,
        unit.uniqKey,
      );
    }
    return this.#dispatchAll(batches);
  }

  /**
   * The recorded units from `reputFromOffset` on that are readable (end by `readableEnd`), grouped,
   * and the offset just past them; null when none start there (the log is read instead).
   */
  #takeAppendedUnits(readableEnd: number): { batches: QueueBatches; end: number } | null {
    const units = this.#appendedUnits;
    if (units === null) return null;
    units.dropBefore(this.reputFromOffset);
    const batches = new QueueBatches(this.#queues, this.#index);
    const end = units.takeFrom(
      this.reputFromOffset,
      readableEnd,
      APPENDED_UNITS_PER_STEP,
      batches.add,
    );
    return end > this.reputFromOffset ? { batches, end } : null;
  }

  /**
   * Indexes a step's messages, one batched write per queue. Returns the commit-log offset of the first
   * message that could not be indexed (dispatch resumes there; units already written are skipped as
   * duplicates), or null when all were. Listeners hear about what was indexed either way.
   */
  async #dispatchAll(batches: QueueBatches): Promise<number | null> {
    // The index first, so a message is found by key once its queue offers it (commit never rejects;
    // a unit dispatched again after a failed queue write is skipped there as indexed already).
    await this.#index?.commit();
    let firstFailure: number | null = null;
    for (const [queue, entries] of batches.groups) {
      let written = 0;
      try {
        written = await queue.putMessagePositionInfos(entries);
      } catch (error) {
        this.logger.error(
          { err: error, topic: queue.topic, queueId: queue.queueId },
          "consume-queue write failed",
        );
      }
      const last = entries[written - 1];
      if (last !== undefined)
        this.#events?.dispatched(queue.topic, queue.queueId, last.cqOffset + 1);
      const failed = entries[written];
      if (failed !== undefined)
        firstFailure = Math.min(firstFailure ?? failed.offset, failed.offset);
    }
    // After a failure the checkpoint keeps the older time: recovery then starts no later than needed.
    if (firstFailure === null && batches.storeTimestamp > 0)
      this.#events?.dispatchedUpTo(batches.storeTimestamp);
    return firstFailure;
  }
}

/**
 * One dispatch step's units, grouped by consume queue in log order (one entry object per unit); each
 * message also goes to the index.
 */
class QueueBatches {
  readonly groups = new Map<ConsumeQueue, PositionEntry[]>();
  /** Store time of the step's last message, ms (0: none). */
  storeTimestamp = 0;
  readonly #queues: ConsumeQueueTable;
  readonly #index: DispatchIndex | null;
  #lastTopic = "";
  #lastQueueId = -1;
  #last: PositionEntry[] | null = null;

  constructor(queues: ConsumeQueueTable, index: DispatchIndex | null) {
    this.#queues = queues;
    this.#index = index;
  }

  /** Adds a message (an AppendedUnitVisitor); prepared and rolled-back transactions take no unit. */
  readonly add = (
    physicalOffset: number,
    size: number,
    topic: string,
    queueId: number,
    queueOffset: number,
    tagsCode: number,
    storeTimestamp: number,
    sysFlag: number,
    keys: string | undefined,
    uniqKey: string | undefined,
  ): void => {
    this.storeTimestamp = storeTimestamp;
    this.#index?.add(physicalOffset, size, storeTimestamp, topic, sysFlag, keys, uniqKey);
    if (!takesQueueOffset(sysFlag)) return;
    let group = this.#last;
    if (group === null || topic !== this.#lastTopic || queueId !== this.#lastQueueId) {
      const queue = this.#queues.findOrCreate(topic, queueId);
      let found = this.groups.get(queue);
      if (found === undefined) {
        found = [];
        this.groups.set(queue, found);
      }
      group = this.#last = found;
      this.#lastTopic = topic;
      this.#lastQueueId = queueId;
    }
    group.push({ offset: physicalOffset, size, tagsCode, cqOffset: queueOffset });
  };
}
