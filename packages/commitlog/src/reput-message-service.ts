import type { ServiceThreadOptions } from "@store/flush-services";
import { ServiceThread } from "@store/flush-services";
import type { DispatchRequest } from "./codec/types.js";
import { takesQueueOffset } from "./append-message-callback.js";
import type { CommitLog } from "./commit-log.js";
import { chunkBytesFor } from "./commit-log-recovery.js";
import type { ScanOptions } from "./commit-log-scanner.js";
import { scanFileRecords } from "./commit-log-scanner.js";
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
}

/**
 * Builds the consume queues from the commit log (RocketMQ's ReputMessageService): reads records from
 * `reputFromOffset` in large chunks and appends one index unit per message to its topic queue.
 * Woken by every put; dispatches only what readers can read (the committed bytes).
 */
export class ReputMessageService extends ServiceThread {
  /** Next commit-log offset to dispatch. */
  reputFromOffset = 0;
  readonly #commitLog: CommitLog;
  readonly #queues: ConsumeQueueTable;
  readonly #scan: ScanOptions;
  readonly #idleIntervalMs: number;
  readonly #onDispatched: DispatchListener;
  readonly #onStoreTimestamp: (storeTimestamp: number) => void;

  constructor(commitLog: CommitLog, queues: ConsumeQueueTable, options: ReputMessageServiceOptions) {
    super(options);
    this.#commitLog = commitLog;
    this.#queues = queues;
    this.#scan = { checkCRC: false, readBody: false, chunkBytes: chunkBytesFor(options.maxRecordBytes), maxRecordBytes: options.maxRecordBytes };
    this.#idleIntervalMs = options.idleIntervalMs ?? 100;
    this.#onDispatched = options.onDispatched ?? (() => undefined);
    this.#onStoreTimestamp = options.onStoreTimestamp ?? (() => undefined);
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

  /** Dispatches everything readable now. Resolves when caught up (or a unit could not be written). */
  async doReput(): Promise<void> {
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
    const requests: DispatchRequest[] = [];
    const positions: number[] = [];
    const stop = await scanFileRecords(file, this.reputFromOffset - file.fileFromOffset, this.#scan, (request, position) => {
      requests.push(request);
      positions.push(position);
    }, 1);
    for (let i = 0; i < requests.length; i++) {
      if (!(await this.#dispatch(requests[i] as DispatchRequest))) {
        this.reputFromOffset = file.fileFromOffset + (positions[i] as number);
        this.#notify(requests.slice(0, i));
        return false;
      }
    }
    this.#notify(requests);
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

  async #dispatch(request: DispatchRequest): Promise<boolean> {
    if (!takesQueueOffset(request.sysFlag)) return true;
    const queue = this.#queues.findOrCreate(request.topic, request.queueId);
    const unit = { offset: request.physicalOffset, size: request.size, tagsCode: request.tagsCode };
    try {
      if (!(await queue.putMessagePositionInfo(unit, request.queueOffset))) return false;
    } catch (error) {
      this.logger.error({ err: error, topic: request.topic, queueId: request.queueId }, "consume-queue write failed");
      return false;
    }
    this.#onStoreTimestamp(request.storeTimestamp);
    return true;
  }

  #notify(requests: readonly DispatchRequest[]): void {
    if (requests.length === 0) return;
    const ends = new Map<string, { topic: string; queueId: number; end: number }>();
    for (const request of requests) {
      if (!takesQueueOffset(request.sysFlag)) continue;
      ends.set(`${request.topic}\u0000${request.queueId}`, { topic: request.topic, queueId: request.queueId, end: request.queueOffset + 1 });
    }
    for (const { topic, queueId, end } of ends.values()) this.#onDispatched(topic, queueId, end);
  }
}
