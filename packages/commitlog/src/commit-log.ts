import type { MappedFileQueue } from "@store/file-queue";
import type { FlushManager } from "@store/flush-services";
import type {
  AppendMessageResult,
  Clock,
  MappedFile,
  SelectMappedBufferResult,
} from "@store/mapped-file";
import { systemClock } from "@store/mapped-file";
import type { Logger } from "pino";
import type { EncodedAppend } from "./append-message-callback.js";
import { CommitLogAppendCallback, takesQueueOffset } from "./append-message-callback.js";
import type { AppendedUnits } from "./appended-units.js";
import type { CommitLogEvents } from "./commit-log-events.js";
import { MessageEncoder } from "@store/message-codec";
import { END_FILE_MIN_BLANK_LENGTH } from "@store/message-codec";
import { SCHEDULE_TOPIC } from "@store/message-codec";
import {
  PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
  PROPERTY_WAIT_STORE_MSG_OK,
  tagsString2tagsCode,
} from "@store/message-codec";
import type { PreparedMessage } from "@store/message-codec";
import { storedKeys, storedTags } from "@store/message-codec";
import type { MessageInput } from "@store/message-codec";
import type { PutMessageResult } from "./store-types.js";

/** What a `CommitLog` is built from: its directory, sizes, flush settings and services. */
export interface CommitLogOptions {
  /** The segment files of the `commitlog` directory (built by the store's assembly, not loaded yet). */
  readonly mappedFileQueue: MappedFileQueue;
  /** The flush strategy over `mappedFileQueue`; the commit log starts and drains it. */
  readonly flushManager: FlushManager;
  /** Largest body, bytes. */
  readonly maxMessageSize: number;
  /** This broker's `ip:port`, written into records and message ids. */
  readonly storeHost: string;
  readonly logger: Logger;
  /** Told of every successful append (see CommitLogEvents). Default: nobody. */
  readonly events?: Pick<CommitLogEvents, "appended">;
  /** Where single puts record their consume-queue units for the dispatcher (see AppendedUnits). */
  readonly appendedUnits?: AppendedUnits | null;
  /** Record each single put's KEYS and UNIQ_KEY with its unit, for the message index. Default false. */
  readonly recordIndexKeys?: boolean;
  /** Store timestamps. Default: real time. */
  readonly clock?: Clock;
  /** End every record's properties with the whole-record CRC property (enabledAppendPropCRC). Default false. */
  readonly appendPropCRC?: boolean;
}

/** A batch put; a single put is queued as its MessageInput (no wrapper on the hot path). */
class BatchJob {
  constructor(
    readonly msgs: readonly MessageInput[],
    readonly properties: Readonly<Record<string, string>> | undefined,
  ) {}
}

type Job = MessageInput | BatchJob;

/** The append of a single message, reused for every put: appends are synchronous. */
interface SingleAppend {
  records: null;
  message: PreparedMessage | null;
  size: number;
  count: 1;
  queueKey: string;
  sysFlag: number;
  storeTimestamp: number;
  fillPropertiesCrc: boolean;
}

/** Queue ids below this have their `topic-queueId` keys cached (no string built per put). */
const CACHED_QUEUE_IDS = 1024;

interface QueuedPut {
  readonly job: Job;
  readonly resolve: (result: Promise<PutMessageResult> | PutMessageResult) => void;
}

/** The append went to a file that had no room: it is now closed by a blank record; retry in the next. */
const ROLL = Symbol("roll");

function firstMessage(job: Job): MessageInput | undefined {
  return job instanceof BatchJob ? job.msgs[0] : job;
}

/** RocketMQ: WAIT absent means true; otherwise Boolean.parseBoolean. */
function waitStoreMsgOK(msg: MessageInput | undefined): boolean {
  const value = msg?.properties?.[PROPERTY_WAIT_STORE_MSG_OK];
  return value === undefined || value.toLowerCase() === "true";
}

/**
 * The commit log: every message of every topic, appended in arrival order to a queue of segment
 * files, made durable by the configured flush strategy.
 *
 * Puts are synchronous while the current file has room: encode, stamp, write, and hand the end
 * offset to the flush manager. Only a roll-over waits (for the next file); puts arriving meanwhile
 * queue behind it, so arrival order is file order.
 */
export class CommitLog {
  readonly mappedFileQueue: MappedFileQueue;
  readonly flushManager: FlushManager;
  /** Next queue offset per `topic-queueId`. */
  readonly topicQueueTable = new Map<string, number>();
  readonly #encoder: MessageEncoder;
  readonly #callback: CommitLogAppendCallback;
  readonly #events: Pick<CommitLogEvents, "appended"> | null;
  readonly #appendedUnits: AppendedUnits | null;
  readonly #recordIndexKeys: boolean;
  readonly #logger: Logger;
  readonly #clock: Clock;
  #queued: QueuedPut[] = [];
  #draining = false;
  #notWritableReason: string | null = null;
  readonly #sync: boolean;
  readonly #single: SingleAppend = {
    records: null,
    message: null,
    size: 0,
    count: 1,
    queueKey: "",
    sysFlag: 0,
    storeTimestamp: 0,
    fillPropertiesCrc: false,
  };
  readonly #appendPropCRC: boolean;
  readonly #queueKeys = new Map<string, string[]>();

  constructor(options: CommitLogOptions) {
    this.mappedFileQueue = options.mappedFileQueue;
    this.flushManager = options.flushManager;
    this.#logger = options.logger;
    this.#clock = options.clock ?? systemClock;
    this.#appendPropCRC = options.appendPropCRC ?? false;
    this.#encoder = new MessageEncoder({
      maxMessageSize: options.maxMessageSize,
      storeHost: options.storeHost,
      appendPropCRC: this.#appendPropCRC,
    });
    this.#callback = new CommitLogAppendCallback(this.topicQueueTable, options.storeHost);
    this.#events = options.events ?? null;
    this.#appendedUnits = options.appendedUnits ?? null;
    this.#recordIndexKeys = options.recordIndexKeys ?? false;
    this.#sync = this.flushManager.config.flushDiskType === "SYNC_FLUSH";
  }

  /** Largest body accepted, bytes; can be changed at run time (RocketMQ's dynamic maxMessageSize). */
  get maxMessageSize(): number {
    return this.#encoder.maxMessageSize;
  }

  set maxMessageSize(value: number) {
    this.#encoder.updateMaxMessageSize(value);
  }

  /** Stops taking puts (SERVICE_NOT_AVAILABLE with this reason), e.g. after a failed fdatasync. */
  markNotWritable(reason: string): void {
    if (this.#notWritableReason === null)
      this.#logger.error({ reason }, "commit log stops taking writes");
    this.#notWritableReason = reason;
  }

  /** Why puts are refused, or null while writable. */
  get notWritableReason(): string | null {
    return this.#notWritableReason;
  }

  /** Appends one message; resolves once it is as durable as the flush strategy promises. */
  putMessage(msg: MessageInput): Promise<PutMessageResult> {
    return this.#put(msg);
  }

  /**
   * Appends a batch (one topic and queue) as consecutive records, all or nothing. `properties` are
   * added to every message's (RocketMQ's batch-level properties).
   */
  putMessages(
    msgs: readonly MessageInput[],
    properties?: Readonly<Record<string, string>>,
  ): Promise<PutMessageResult> {
    if (msgs.length === 0)
      return Promise.resolve({ status: "MESSAGE_ILLEGAL", reason: "empty batch" });
    return this.#put(new BatchJob(msgs, properties));
  }

  #put(job: Job): Promise<PutMessageResult> {
    const file = this.mappedFileQueue.getLastMappedFile();
    // Any failed flush shows in the flush service's lastError or on the last file: only then look closer.
    if (this.flushManager.flushService.lastError !== null || file?.flushError)
      this.#checkFlushHealth();
    if (this.#notWritableReason !== null) {
      return Promise.resolve({ status: "SERVICE_NOT_AVAILABLE", reason: this.#notWritableReason });
    }
    if (this.#queued.length === 0) {
      if (file !== null && !file.isFull()) {
        const outcome = this.#appendTo(file, job);
        if (outcome !== ROLL) return this.#finish(job, outcome, file);
      }
    }
    return new Promise((resolve) => {
      this.#queued.push({ job, resolve });
      void this.#drain();
    });
  }

  /**
   * After a failed fdatasync the kernel may have dropped dirty pages while marking them clean, so
   * nothing appended since can be promised durable: stop taking writes until a restart, whose
   * recovery re-reads what actually reached the disk.
   */
  #checkFlushHealth(): void {
    const queue = this.mappedFileQueue;
    const error =
      queue.findMappedFileByOffset(queue.flushedWhere, true)?.flushError ??
      queue.getLastMappedFile()?.flushError;
    if (error)
      this.markNotWritable(
        `fdatasync failed (${error.code}): ${error.message}; restart the store to recover`,
      );
  }

  /** Appends queued puts in order, creating files as they fill. */
  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#queued.length > 0) {
        const file = await this.mappedFileQueue.getLastMappedFile(0);
        if (file === null) {
          this.#failQueued();
          continue;
        }
        while (this.#queued.length > 0 && !file.isFull()) {
          const head = this.#queued[0] as QueuedPut;
          const outcome = this.#appendTo(file, head.job);
          if (outcome === ROLL) break;
          this.#queued.shift();
          head.resolve(this.#finish(head.job, outcome, file));
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  #failQueued(): void {
    const error = this.mappedFileQueue.lastCreateError;
    const reason = `cannot create the next commit-log file: ${error?.message ?? "unknown"}`;
    this.#logger.error({ code: error?.code }, reason);
    const failed = this.#queued;
    this.#queued = [];
    for (const put of failed) put.resolve({ status: "CREATE_MAPEDFILE_FAILED", reason });
  }

  /** Encodes and appends synchronously. ROLL when the file had no room (it is now full). */
  #appendTo(file: MappedFile, job: Job): PutMessageResult | typeof ROLL {
    const storeTimestamp = this.#clock.now();
    const append =
      job instanceof BatchJob
        ? this.#encodeBatch(job, storeTimestamp)
        : this.#prepare(job, storeTimestamp);
    if ("status" in append) return append;
    // A record no file can hold (it needs 8 spare bytes for the blank record) would close file after
    // file with blank records forever; the body limit alone does not bound it by the segment size.
    const fileSize = this.mappedFileQueue.mappedFileSize;
    if (append.size + END_FILE_MIN_BLANK_LENGTH > fileSize) {
      this.#releaseSingle();
      return {
        status: "MESSAGE_ILLEGAL",
        reason: `a record of ${append.size} bytes does not fit in a ${fileSize}-byte commit-log file`,
      };
    }
    const message = append.message;
    const result = file.appendMessage(append, this.#callback);
    this.#releaseSingle();
    switch (result.status) {
      case "PUT_OK":
        if (takesQueueOffset(append.sysFlag))
          this.topicQueueTable.set(append.queueKey, result.logicsOffset + result.msgNum);
        if (message !== null && this.#appendedUnits !== null)
          this.#recordUnit(job as MessageInput, message, result);
        return { status: "PUT_OK", appendResult: result };
      case "END_OF_FILE":
        return ROLL;
      case "MESSAGE_SIZE_EXCEEDED":
      case "PROPERTIES_SIZE_EXCEEDED":
        return { status: "MESSAGE_ILLEGAL", reason: result.status };
      default:
        return {
          status: "UNKNOWN_ERROR",
          reason: result.error?.message ?? "the segment file is full",
          appendResult: result,
        };
    }
  }

  /** Validates and sizes one message; the append callback encodes it straight into the file. */
  #prepare(msg: MessageInput, storeTimestamp: number): SingleAppend | PutMessageResult {
    const prepared = this.#encoder.prepare(msg, storeTimestamp);
    if ("status" in prepared) return { status: prepared.status, reason: prepared.reason };
    const single = this.#single;
    single.message = prepared;
    single.size = prepared.totalSize;
    single.queueKey = this.#queueKey(prepared.topic, prepared.queueId);
    single.sysFlag = prepared.sysFlag;
    single.storeTimestamp = storeTimestamp;
    single.fillPropertiesCrc = this.#appendPropCRC;
    return single;
  }

  #encodeBatch(job: BatchJob, storeTimestamp: number): EncodedAppend | PutMessageResult {
    const encoded = this.#encoder.encodeBatch(job.msgs, storeTimestamp, job.properties);
    if (encoded.status !== "PUT_OK") return { status: encoded.status, reason: encoded.reason };
    const first = job.msgs[0] as MessageInput;
    return {
      records: encoded.records,
      message: null,
      size: encoded.records.length,
      count: encoded.count,
      queueKey: this.#queueKey(first.topic, first.queueId ?? 0),
      sysFlag: first.sysFlag ?? 0,
      storeTimestamp,
      fillPropertiesCrc: false,
    };
  }

  /**
   * Hands the dispatcher the consume-queue unit of a stored single message (and what the message
   * index needs), so it need not read the record back. Delayed messages (whose tagsCode is a deliver
   * time) are left to the log scan.
   */
  #recordUnit(msg: MessageInput, message: PreparedMessage, result: AppendMessageResult): void {
    if (message.topic === SCHEDULE_TOPIC) return;
    const index = this.#recordIndexKeys;
    (this.#appendedUnits as AppendedUnits).push(
      result.wroteOffset,
      result.wroteBytes,
      message.topic,
      message.queueId,
      result.logicsOffset,
      tagsString2tagsCode(storedTags(msg)),
      result.storeTimestamp,
      message.sysFlag,
      index ? storedKeys(msg) : undefined,
      index ? msg.properties?.[PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX] : undefined,
    );
  }

  /** After an append: keep no reference to the body. */
  #releaseSingle(): void {
    this.#single.message = null;
  }

  /** `topic-queueId`, the topicQueueTable key; cached, so a put builds (and hashes) no new string. */
  #queueKey(topic: string, queueId: number): string {
    if (queueId < 0 || queueId >= CACHED_QUEUE_IDS) return `${topic}-${queueId}`;
    let keys = this.#queueKeys.get(topic);
    if (keys === undefined) this.#queueKeys.set(topic, (keys = []));
    return (keys[queueId] ??= `${topic}-${queueId}`);
  }

  /** Hands the stored message to the flush strategy; resolves when it is durable enough. */
  #finish(job: Job, result: PutMessageResult, file: MappedFile): Promise<PutMessageResult> {
    const append = result.appendResult;
    if (result.status !== "PUT_OK" || append === undefined) return Promise.resolve(result);
    this.#events?.appended();
    const nextOffset = append.wroteOffset + append.wroteBytes;
    const flushed = this.flushManager.handleDiskFlush(
      nextOffset,
      waitStoreMsgOK(firstMessage(job)),
    );
    if (this.#sync)
      return flushed.then((status): PutMessageResult =>
        status === "PUT_OK" ? result : { status, appendResult: append },
      );
    // ASYNC_FLUSH: in pool mode the message is acknowledged at once; in page-cache mode once the
    // tick's staged appends are written to the file (so a kill -9 after the answer keeps it).
    const written = file.whenWritten();
    if (written === null) return Promise.resolve(result);
    return written.then(
      () => result,
      (error: unknown): PutMessageResult => ({
        status: "UNKNOWN_ERROR",
        reason: `${error instanceof Error ? error.message : String(error)}; the message may still be stored: the write is retried with the next one`,
        appendResult: append,
      }),
    );
  }

  /** Offset just past the last readable byte. */
  getMaxOffset(): number {
    return this.mappedFileQueue.getMaxOffset();
  }

  /** Offset of the first byte still stored; -1 when empty. */
  getMinOffset(): number {
    const first = this.mappedFileQueue.getFirstMappedFile();
    if (first === null) return -1;
    return first.isAvailable() ? first.fileFromOffset : this.rollNextFile(first.fileFromOffset);
  }

  /** Start of the file after the one containing `offset`. */
  rollNextFile(offset: number): number {
    const size = this.mappedFileQueue.mappedFileSize;
    return offset + size - (offset % size);
  }

  /**
   * Reads from `offset` to the end of its file's readable data, at most `maxBytes`. Null when nothing
   * is readable there. Release the result.
   */
  async getData(offset: number, maxBytes?: number): Promise<SelectMappedBufferResult | null> {
    const file = this.mappedFileQueue.findMappedFileByOffset(offset, offset === 0);
    if (file === null) return null;
    const position = offset % this.mappedFileQueue.mappedFileSize;
    const readable = file.readPosition - position;
    if (readable <= 0) return null;
    return file.selectMappedBuffer(
      position,
      maxBytes === undefined ? readable : Math.min(readable, maxBytes),
    );
  }

  /** Reads `size` bytes at `offset` (one record, or adjacent ones in one file). Release the result. */
  async getMessage(offset: number, size: number): Promise<SelectMappedBufferResult | null> {
    const file = this.mappedFileQueue.findMappedFileByOffset(offset, offset === 0);
    if (file === null) return null;
    return file.selectMappedBuffer(offset % this.mappedFileQueue.mappedFileSize, size);
  }

  /** Starts the flush services. */
  start(): void {
    this.flushManager.start();
  }

  /** Stops taking puts, fails the queued ones, and drains the flush services (everything flushed). */
  async shutdown(): Promise<void> {
    this.#notWritableReason ??= "the store is shut down";
    const queued = this.#queued;
    this.#queued = [];
    for (const put of queued)
      put.resolve({ status: "SERVICE_NOT_AVAILABLE", reason: "the store is shut down" });
    await this.flushManager.shutdown();
  }

  /** Stops the flush services without draining them (a crash test's kill -9). */
  async halt(): Promise<void> {
    await this.flushManager.shutdown().catch(() => undefined);
  }

  /** Sets the next queue offset of every `topic-queueId` (what recovery found in the consume queues). */
  resetTopicQueueTable(nextOffsets: Iterable<readonly [string, number]>): void {
    this.topicQueueTable.clear();
    for (const [key, next] of nextOffsets) this.topicQueueTable.set(key, next);
  }
}
