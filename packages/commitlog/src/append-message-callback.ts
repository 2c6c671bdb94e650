import type { AppendMessageCallback, AppendOutcome } from "@store/mapped-file";
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
    const started = performance.now();
    const wroteOffset = fileFromOffset + position;
    const queueOffset = takesQueueOffset(append.sysFlag) ? (this.#topicQueueTable.get(append.queueKey) ?? 0) : 0;
    const total = append.records.length;
    const base = { wroteOffset, storeTimestamp: append.storeTimestamp, logicsOffset: queueOffset, msgNum: append.count };
    if (total + END_FILE_MIN_BLANK_LENGTH > maxBlank) {
      writeBlankRecord(this.#blank, 0, maxBlank);
      const result = { ...base, status: "END_OF_FILE" as const, wroteBytes: maxBlank, msgId: "", pagecacheRT: 0 };
      return { result, data: this.#blank };
    }
    const ids: string[] = [];
    let at = 0;
    for (let i = 0; i < append.count; i++) {
      const size = append.records.readInt32BE(at);
      const record = append.records.subarray(at, at + size);
      const recordQueueOffset = takesQueueOffset(append.sysFlag) ? queueOffset + i : 0;
      patchRecord(record, recordQueueOffset, wroteOffset + at, append.storeTimestamp);
      ids.push(createMessageId(this.#storeHost, wroteOffset + at));
      at += size;
    }
    const pagecacheRT = performance.now() - started;
    const result = { ...base, status: "PUT_OK" as const, wroteBytes: total, msgId: ids.join(","), pagecacheRT };
    return { result, data: append.records };
  }
}
