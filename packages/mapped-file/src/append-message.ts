import type { StoreError } from "./store-error.js";

/** RocketMQ's AppendMessageStatus. */
export type AppendMessageStatus =
  | "PUT_OK"
  /** The record did not fit; a blank record now fills the file's tail and the caller retries in the next file. */
  | "END_OF_FILE"
  | "MESSAGE_SIZE_EXCEEDED"
  | "PROPERTIES_SIZE_EXCEEDED"
  /** The file was already full, or the write itself failed (see `error`). */
  | "UNKNOWN_ERROR";

/** The outcome of one append (RocketMQ's AppendMessageResult). */
export interface AppendMessageResult {
  readonly status: AppendMessageStatus;
  /** Absolute commit-log offset where the record starts. */
  readonly wroteOffset: number;
  /** How far the write position advanced, in bytes (for END_OF_FILE: the whole blank tail). */
  readonly wroteBytes: number;
  /** Offset message id(s); comma-joined for a batch. Empty when not applicable. */
  readonly msgId: string;
  /** Store time of the record, ms since the epoch. */
  readonly storeTimestamp: number;
  /** Queue offset of the (first) record in its consume queue. */
  readonly logicsOffset: number;
  /** Time spent appending, ms. */
  readonly pagecacheRT: number;
  /** Records written: 1, or the batch size. */
  readonly msgNum: number;
  /** The I/O failure behind an UNKNOWN_ERROR, when there was one. */
  readonly error?: StoreError;
}

/** What an append callback produces: the result, and the bytes to place at the write position. */
export interface AppendOutcome {
  readonly result: AppendMessageResult;
  /**
   * Bytes to store at the write position (`data.length <= result.wroteBytes`). For END_OF_FILE this is
   * the 8-byte blank record; the rest of the tail is skipped by readers via the blank record's size.
   * Null when nothing is placed, or when the callback wrote its bytes in place through the
   * {@link AppendWindow} (then `data` must be null).
   */
  readonly data: Buffer | null;
}

/**
 * The file's write target, lent to a callback for the duration of one `doAppend` call so it can
 * encode straight into it (RocketMQ's callback writes into the file's ByteBuffer): no intermediate
 * record buffer, no copy. With a pool the target is the pool buffer; in page-cache mode, the staging
 * buffer.
 *
 * @example
 * ```ts
 * const at = window.reserve(record.length);
 * if (at >= 0) encodeInto(window.buffer, at); // then return { result, data: null }
 * else return { result, data: encodeToNewBuffer() };
 * ```
 */
export interface AppendWindow {
  /**
   * Lends the next `length` bytes of the file (at the write position; `length` at most `maxBlank`).
   * Returns where they start in {@link buffer}, or -1 when the file cannot lend that many at once
   * (larger than a staging buffer, or a pending write failed): then place them through
   * `AppendOutcome.data`. Call at most once per `doAppend`, and write every lent byte: they are the
   * append's, and `result.wroteBytes` must cover them.
   */
  reserve(length: number): number;
  /** The buffer the last successful `reserve` lent from. */
  readonly buffer: Buffer;
}

/**
 * Encodes a message for a file (RocketMQ's AppendMessageCallback). Called synchronously inside
 * `MappedFile.appendMessage`, so it sees a stable write position.
 */
export interface AppendMessageCallback<M> {
  /**
   * @param fileFromOffset the file's start offset (absolute)
   * @param position the write position inside the file; `fileFromOffset + position` is the record's offset
   * @param maxBlank bytes left in the file (`fileSize - position`)
   * @param window lends the file's write target to encode into in place; absent when called outside a MappedFile
   */
  /** Writes `msg` at `position` of the file (bytes from its start), at most `maxBlank` bytes; returns what it wrote. */
  doAppend(
    fileFromOffset: number,
    position: number,
    maxBlank: number,
    msg: M,
    window?: AppendWindow,
  ): AppendOutcome;
}

/** An UNKNOWN_ERROR result at `wroteOffset`, carrying the cause when there is one. */
export function unknownErrorResult(wroteOffset: number, error?: StoreError): AppendMessageResult {
  const base = {
    status: "UNKNOWN_ERROR" as const,
    wroteOffset,
    wroteBytes: 0,
    msgId: "",
    storeTimestamp: 0,
    logicsOffset: 0,
    pagecacheRT: 0,
    msgNum: 0,
  };
  return error ? { ...base, error } : base;
}
