import type { AppendMessageCallback, AppendMessageResult, AppendOutcome } from "@store/mapped-file";
import { END_FILE_MIN_BLANK_LENGTH, SYSFLAG_TRANSACTION_PREPARED_TYPE, SYSFLAG_TRANSACTION_ROLLBACK_TYPE, transactionType } from "./codec/message-format.js";
import { createMessageId } from "./codec/message-id.js";
import { patchRecord, writeBlankRecord } from "./codec/record-patch.js";

/** Encoded records ready to append, with what the callback needs to place them. */
export interface EncodedAppend {
  /** One record, or a batch of records back to back. */
  readonly records: Buffer;
  /** Number of records. */
  readonly count: number;
  /** Consume-queue key `topic-queueId` (one queue per append; batches share it). */
  readonly queueKey: string;
  /** SYSFLAG of the (first) record: prepared and rollback messages take no queue offset. */
  readonly sysFlag: number;
  /** Store time stamped on every record, ms. */
  readonly storeTimestamp: number;
}

/** Whether a message of this sysFlag advances its consume queue (RocketMQ: NOT and COMMIT types). */
export function takesQueueOffset(sysFlag: number): boolean {
  const type = transactionType(sysFlag);
  return type !== SYSFLAG_TRANSACTION_PREPARED_TYPE && type !== SYSFLAG_TRANSACTION_ROLLBACK_TYPE;
}

/**
 * RocketMQ's DefaultAppendMessageCallback: stamps queue offset, physical offset and store time into
 * the encoded records, or closes the file with a blank record when they do not fit with 8 bytes to
 * spare. It reads the next queue offsets from `topicQueueTable` but does not advance them: the
 * commit log does that once the bytes are in place, so a failed write never burns an offset.
 */
export class CommitLogAppendCallback implements AppendMessageCallback<EncodedAppend> {
  readonly #topicQueueTable: ReadonlyMap<string, number>;
  readonly #storeHost: string;
  readonly #blank = Buffer.alloc(END_FILE_MIN_BLANK_LENGTH);

  constructor(topicQueueTable: ReadonlyMap<string, number>, storeHost: string) {
    this.#topicQueueTable = topicQueueTable;
    this.#storeHost = storeHost;
  }

  doAppend(fileFromOffset: number, position: number, maxBlank: number, append: EncodedAppend): AppendOutcome {
    const wroteOffset = fileFromOffset + position;
    const queueOffset = takesQueueOffset(append.sysFlag) ? (this.#topicQueueTable.get(append.queueKey) ?? 0) : 0;
    const total = append.records.length;
    if (total + END_FILE_MIN_BLANK_LENGTH > maxBlank) {
      writeBlankRecord(this.#blank, 0, maxBlank);
      const result = new StoredResult("END_OF_FILE", wroteOffset, maxBlank, append, queueOffset, this.#storeHost, null);
      return { result, data: this.#blank };
    }
    const recordOffsets = append.count === 1 ? null : new Array<number>(append.count);
    let at = 0;
    for (let i = 0; i < append.count; i++) {
      const size = append.records.readInt32BE(at);
      const recordQueueOffset = takesQueueOffset(append.sysFlag) ? queueOffset + i : 0;
      const record = append.count === 1 ? append.records : append.records.subarray(at, at + size);
      patchRecord(record, recordQueueOffset, wroteOffset + at, append.storeTimestamp);
      if (recordOffsets) recordOffsets[i] = wroteOffset + at;
      at += size;
    }
    const result = new StoredResult("PUT_OK", wroteOffset, total, append, queueOffset, this.#storeHost, recordOffsets);
    return { result, data: append.records };
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
      if (this.#recordOffsets === null) this.#msgId = createMessageId(this.#storeHost, this.wroteOffset);
      else this.#msgId = this.#recordOffsets.map((offset) => createMessageId(this.#storeHost, offset)).join(",");
    }
    return this.#msgId;
  }

  /** A plain copy, message ids included (a spread would drop the getter). */
  toJSON(): AppendMessageResult {
    const { status, wroteOffset, wroteBytes, msgId, storeTimestamp, logicsOffset, pagecacheRT, msgNum } = this;
    return { status, wroteOffset, wroteBytes, msgId, storeTimestamp, logicsOffset, pagecacheRT, msgNum };
  }
}
