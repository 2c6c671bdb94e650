import type { ServiceThreadOptions } from "@store/flush-services";
import { ServiceThread } from "@store/flush-services";
import type { DispatchUnit } from "./codec/types.js";
import { takesQueueOffset } from "./append-message-callback.js";
import type { AppendedUnits } from "./appended-units.js";
import type { CommitLog } from "./commit-log.js";
import type { ScanOptions } from "./commit-log-scanner.js";
import { SCAN_CHUNK_BYTES, scanFileRecords } from "./commit-log-scanner.js";
import type { ConsumeQueue, PositionEntry } from "./consume-queue.js";
import type { ConsumeQueueTable } from "./consume-queue-table.js";

/** Told, once per dispatch round and queue, the queue's new end (one past its last offset). */
export type DispatchListener = (topic: string, queueId: number, maxOffset: number) => void;

export interface ReputMessageServiceOptions extends ServiceThreadOptions {
  /** Largest legal record, bytes. */
  readonly maxRecordBytes: number;
  /** Longest idle wait between rounds, ms; a put wakes the service at once. Default 100. */
  readonly idleIntervalMs?: number;
  readonly onDispatched?: DispatchListener;
  /** Store time of the last unit dispatched, ms (the checkpoint's logicsMsgTimestamp candidate). */
  readonly onStoreTimestamp?: (storeTimestamp: number) => void;
  /**
   * The commit log's record of its appends (the same object it was given): units found there are
   * dispatched without reading the log. Default none: everything is read from the log.
   */
  readonly appendedUnits?: AppendedUnits | null;
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
  readonly #onDispatched: DispatchListener;
  readonly #onStoreTimestamp: (storeTimestamp: number) => void;
  readonly #appendedUnits: AppendedUnits | null;

  constructor(commitLog: CommitLog, queues: ConsumeQueueTable, options: ReputMessageServiceOptions) {
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
    };
    this.#idleIntervalMs = options.idleIntervalMs ?? 100;
    this.#onDispatched = options.onDispatched ?? (() => undefined);
    this.#onStoreTimestamp = options.onStoreTimestamp ?? (() => undefined);
    this.#appendedUnits = options.appendedUnits ?? null;
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
        this.logger.error({ err: error, reputFromOffset: this.reputFromOffset }, "dispatch failed; retrying");
      }
    }
    await this.doReput(); // dispatch what the last puts wrote before the store flushes its queues
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
      if (!(await this.#dispatchChunk())) return;
    }
  }

  /** One chunk of one file; false when dispatch must pause (nothing readable, or a unit failed). */
  async #dispatchChunk(): Promise<boolean> {
    const queue = this.#commitLog.mappedFileQueue;
    const file = queue.findMappedFileByOffset(this.reputFromOffset);
    if (file === null) return false;
    const recorded = this.#takeAppendedUnits(file.fileFromOffset + file.readPosition);
    if (recorded.length > 0) {
      const failedAt = await this.#dispatchAll(recorded, recorded.map((unit) => unit.physicalOffset - file.fileFromOffset));
      const last = recorded[recorded.length - 1] as DispatchUnit;
      this.reputFromOffset = failedAt === null ? last.physicalOffset + last.size : file.fileFromOffset + failedAt;
      return failedAt === null;
    }
    const requests: DispatchUnit[] = [];
    const positions: number[] = [];
    const stop = await scanFileRecords(file, this.reputFromOffset - file.fileFromOffset, this.#scan, (request, position) => {
      if (request === null) return;
      requests.push(request);
      positions.push(position);
    }, 1);
    const failedAt = await this.#dispatchAll(requests, positions);
    if (failedAt !== null) {
      this.reputFromOffset = file.fileFromOffset + failedAt;
      return false;
    }
    if (stop.reason === "END") {
      const next = file.fileFromOffset + stop.position;
      const progressed = next > this.reputFromOffset;
      this.reputFromOffset = next;
      return progressed;
    }
    if (stop.reason === "INVALID") {
      this.logger.error({ offset: file.fileFromOffset + stop.position, code: stop.record.code }, "invalid record in the commit log; skipping the rest of its file");
    }
    this.reputFromOffset = this.#commitLog.rollNextFile(file.fileFromOffset);
    return true;
  }

  /** Recorded units from `reputFromOffset` on, readable (ending by `readableEnd`); empty when none start there. */
  #takeAppendedUnits(readableEnd: number): DispatchUnit[] {
    const units = this.#appendedUnits;
    if (units === null) return [];
    units.dropBefore(this.reputFromOffset);
    return units.takeFrom(this.reputFromOffset, readableEnd, APPENDED_UNITS_PER_STEP);
  }

  /**
   * Indexes a chunk's messages, one batched write per queue. Returns the file position of the first
   * message that could not be indexed (dispatch resumes there; units already written are skipped as
   * duplicates), or null when all were. Listeners hear about what was indexed either way.
   */
  async #dispatchAll(requests: readonly DispatchUnit[], positions: readonly number[]): Promise<number | null> {
    const byQueue = new Map<ConsumeQueue, { entries: PositionEntry[]; indexes: number[] }>();
    for (let i = 0; i < requests.length; i++) {
      const request = requests[i] as DispatchUnit;
      if (!takesQueueOffset(request.sysFlag)) continue;
      const queue = this.#queues.findOrCreate(request.topic, request.queueId);
      let group = byQueue.get(queue);
      if (group === undefined) byQueue.set(queue, (group = { entries: [], indexes: [] }));
      group.entries.push({ unit: { offset: request.physicalOffset, size: request.size, tagsCode: request.tagsCode }, cqOffset: request.queueOffset });
      group.indexes.push(i);
    }
    let firstFailure = requests.length;
    for (const [queue, group] of byQueue) {
      let written = 0;
      try {
        written = await queue.putMessagePositionInfos(group.entries);
      } catch (error) {
        this.logger.error({ err: error, topic: queue.topic, queueId: queue.queueId }, "consume-queue write failed");
      }
      const last = group.entries[written - 1];
      if (last !== undefined) this.#onDispatched(queue.topic, queue.queueId, last.cqOffset + 1);
      if (written < group.entries.length) firstFailure = Math.min(firstFailure, group.indexes[written] as number);
    }
    const lastDone = requests[Math.min(firstFailure, requests.length) - 1];
    if (lastDone !== undefined) this.#onStoreTimestamp(lastDone.storeTimestamp);
    return firstFailure < requests.length ? (positions[firstFailure] as number) : null;
  }

}
