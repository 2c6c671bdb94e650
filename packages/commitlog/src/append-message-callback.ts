import type {
  AppendMessageCallback,
  AppendMessageResult,
  AppendOutcome,
  AppendWindow,
} from "@store/mapped-file";
import { unknownErrorResult } from "@store/mapped-file";
import {
  BLANK_RECORD_LENGTH,
  createMessageId,
  END_FILE_MIN_BLANK_LENGTH,
  fillPropertiesCrc,
  patchRecord,
  recordTotalSize,
  SYSFLAG_TRANSACTION_PREPARED_TYPE,
  SYSFLAG_TRANSACTION_ROLLBACK_TYPE,
  transactionType,
  writeBlankRecord,
  writeRecord,
} from "@store/message-codec";
import type { PreparedMessage } from "@store/message-codec";
import { crc32 } from "node:zlib";

/** What one append stores, with what the callback needs to place it. */
export interface EncodedAppend {
  /** Encoded records back to back (a batch, or one record); null when `message` is given. */
  readonly records: Buffer | null;
  /**
   * One validated message, encoded at append time straight into the file's write buffer (no
   * intermediate record, no copy); null when `records` is given.
   */
  readonly message: PreparedMessage | null;
  /** Bytes of the record(s). */
  readonly size: number;
  /** Number of records. */
  readonly count: number;
  /** Consume-queue key `topic-queueId` (one queue per append; batches share it). */
  readonly queueKey: string;
  /** SYSFLAG of the (first) record: prepared and rollback messages take no queue offset. */
  readonly sysFlag: number;
  /** Store time stamped on every record, ms. */
  readonly storeTimestamp: number;
  /**
   * Fill the single message's whole-record CRC property once it is written (its body CRC is there).
   * False when it has none, or when whoever fills the body CRC later fills it too (pool files).
   * Batches refill theirs when patched.
   */
  readonly fillPropertiesCrc: boolean;
}

/** Whether a message of this sysFlag advances its consume queue (RocketMQ: NOT and COMMIT types). */
export function takesQueueOffset(sysFlag: number): boolean {
  const type = transactionType(sysFlag);
  return type !== SYSFLAG_TRANSACTION_PREPARED_TYPE && type !== SYSFLAG_TRANSACTION_ROLLBACK_TYPE;
}

/**
 * RocketMQ's DefaultAppendMessageCallback: writes a single message straight into the file's write
 * buffer (the window the file lends) with its queue offset, physical offset and store time; stamps
 * those into pre-encoded records (batches); or closes the file with a blank record when the
 * record(s) do not fit with 8 bytes to spare. It reads the next queue offsets from `topicQueueTable` but does not advance them: the
 * commit log does that once the bytes are in place, so a failed write never burns an offset.
 */
export class CommitLogAppendCallback implements AppendMessageCallback<EncodedAppend> {
  readonly #topicQueueTable: ReadonlyMap<string, number>;
  readonly #storeHost: string;
  readonly #blank = Buffer.alloc(END_FILE_MIN_BLANK_LENGTH);
  /** A DataView of the last window buffer (records go into one pool or staging buffer after another). */
  #view: DataView = new DataView(new ArrayBuffer(0));
  #viewTarget: Buffer | null = null;
  /** The outcome of an in-place append, reused (see doAppend). */
  readonly #inPlace: { result: AppendMessageResult; data: null } = {
    result: unknownErrorResult(0),
    data: null,
  };

  constructor(topicQueueTable: ReadonlyMap<string, number>, storeHost: string) {
    this.#topicQueueTable = topicQueueTable;
    this.#storeHost = storeHost;
  }

  /**
   * Encodes the prepared message at `position` of the file starting at `fileFromOffset`, or a blank
   * record when fewer than its size of `maxBlank` bytes remain.
   */
  doAppend(
    fileFromOffset: number,
    position: number,
    maxBlank: number,
    append: EncodedAppend,
    window?: AppendWindow,
  ): AppendOutcome {
    const wroteOffset = fileFromOffset + position;
    const queueOffset = takesQueueOffset(append.sysFlag)
      ? (this.#topicQueueTable.get(append.queueKey) ?? 0)
      : 0;
    if (append.size + END_FILE_MIN_BLANK_LENGTH > maxBlank)
      return this.#appendBlank(wroteOffset, maxBlank, append, queueOffset, window);
    if (append.message !== null)
      return this.#appendMessage(append.message, wroteOffset, append, queueOffset, window);
    return this.#appendRecords(append.records as Buffer, wroteOffset, append, queueOffset);
  }

  /** Closes the file: a blank record over the `maxBlank` bytes left, in the window if it fits. */
  #appendBlank(
    wroteOffset: number,
    maxBlank: number,
    append: EncodedAppend,
    queueOffset: number,
    window: AppendWindow | undefined,
  ): AppendOutcome {
    const result = new StoredResult(
      "END_OF_FILE",
      wroteOffset,
      maxBlank,
      append,
      queueOffset,
      this.#storeHost,
      null,
    );
    const at = window ? window.reserve(BLANK_RECORD_LENGTH) : -1;
    if (window && at >= 0) {
      writeBlankRecord(window.buffer, at, maxBlank);
      return { result, data: null };
    }
    writeBlankRecord(this.#blank, 0, maxBlank);
    return { result, data: this.#blank };
  }

  /** Encodes one prepared message straight into the window, or into a record of its own. */
  #appendMessage(
    message: PreparedMessage,
    wroteOffset: number,
    append: EncodedAppend,
    queueOffset: number,
    window: AppendWindow | undefined,
  ): AppendOutcome {
    const result = new StoredResult(
      "PUT_OK",
      wroteOffset,
      append.size,
      append,
      queueOffset,
      this.#storeHost,
      null,
    );
    const at = window ? window.reserve(append.size) : -1;
    if (window && at >= 0) {
      const view = this.#viewOf(window.buffer);
      writeRecord(
        window.buffer,
        at,
        message,
        append.storeTimestamp,
        queueOffset,
        wroteOffset,
        view,
        false,
      );
      if (append.fillPropertiesCrc) fillPropertiesCrc(window.buffer, at, append.size, crc32);
      // The file reads the outcome before doAppend can run again: one object serves every put.
      const outcome = this.#inPlace;
      outcome.result = result;
      return outcome;
    }
    // No window (or none this large): encode into a buffer of its own, which the file copies.
    const record = Buffer.allocUnsafe(append.size);
    writeRecord(record, 0, message, append.storeTimestamp, queueOffset, wroteOffset);
    if (append.fillPropertiesCrc) fillPropertiesCrc(record, 0, append.size, crc32);
    return { result, data: record };
  }

  /** Stamps queue offset, physical offset and store time into pre-encoded records (a batch). */
  #appendRecords(
    records: Buffer,
    wroteOffset: number,
    append: EncodedAppend,
    queueOffset: number,
  ): AppendOutcome {
    const recordOffsets = append.count === 1 ? null : new Array<number>(append.count);
    let at = 0;
    for (let i = 0; i < append.count; i++) {
      const size = recordTotalSize(records, at);
      const recordQueueOffset = takesQueueOffset(append.sysFlag) ? queueOffset + i : 0;
      const record = append.count === 1 ? records : records.subarray(at, at + size);
      patchRecord(record, recordQueueOffset, wroteOffset + at, append.storeTimestamp);
      if (recordOffsets) recordOffsets[i] = wroteOffset + at;
      at += size;
    }
    const result = new StoredResult(
      "PUT_OK",
      wroteOffset,
      append.size,
      append,
      queueOffset,
      this.#storeHost,
      recordOffsets,
    );
    return { result, data: records };
  }

  #viewOf(buffer: Buffer): DataView {
    if (buffer !== this.#viewTarget) {
      this.#view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      this.#viewTarget = buffer;
    }
    return this.#view;
  }
}

/** An AppendMessageResult whose message ids are built only when read (most callers never do). */
class StoredResult implements AppendMessageResult {
  readonly storeTimestamp: number;
  readonly msgNum: number;
  readonly pagecacheRT = 0;
  #msgId: string | null = null;
  readonly #storeHost: string;
  readonly #recordOffsets: readonly number[] | null;

  constructor(
    readonly status: "PUT_OK" | "END_OF_FILE",
    readonly wroteOffset: number,
    readonly wroteBytes: number,
    append: EncodedAppend,
    readonly logicsOffset: number,
    storeHost: string,
    recordOffsets: readonly number[] | null,
  ) {
    this.storeTimestamp = append.storeTimestamp;
    this.msgNum = append.count;
    this.#storeHost = storeHost;
    this.#recordOffsets = recordOffsets;
  }

  /** Offset message id(s), comma-joined for a batch (END_OF_FILE: the id of the blank's offset). */
  get msgId(): string {
    if (this.#msgId === null) {
      if (this.#recordOffsets === null)
        this.#msgId = createMessageId(this.#storeHost, this.wroteOffset);
      else
        this.#msgId = this.#recordOffsets
          .map((offset) => createMessageId(this.#storeHost, offset))
          .join(",");
    }
    return this.#msgId;
  }

  /** A plain copy, message ids included (a spread would drop the getter). */
  toJSON(): AppendMessageResult {
    const {
      status,
      wroteOffset,
      wroteBytes,
      msgId,
      storeTimestamp,
      logicsOffset,
      pagecacheRT,
      msgNum,
    } = this;
    return {
      status,
      wroteOffset,
      wroteBytes,
      msgId,
      storeTimestamp,
      logicsOffset,
      pagecacheRT,
      msgNum,
    };
  }
}
