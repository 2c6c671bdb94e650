/**
 * Public types of the message codec: what goes in (MessageInput), what comes out of encoding
 * (result unions, never exceptions) and of decoding (DecodedMessage, DispatchRequest).
 */
import type { MessageProperties } from "./message-properties.js";

/**
 * A message to store. Optional fields default as noted. `tags` and `keys` are folded into the
 * TAGS and KEYS properties (they win over the same names in `properties`).
 */
export interface MessageInput {
  /** `^[%|a-zA-Z0-9_-]+$`, at most 127 characters. */
  readonly topic: string;
  /** Stored as given (a compressed body keeps {@link SYSFLAG_COMPRESSED} set by the producer). */
  readonly body: Uint8Array;
  /** Queue id, int32; default 0. */
  readonly queueId?: number;
  /** User flag, int32; default 0. */
  readonly flag?: number;
  /** TAGS property; skipped when empty. */
  readonly tags?: string;
  /** KEYS property; an array is joined by a space; skipped when empty. */
  readonly keys?: string | readonly string[];
  /** User and system properties; names non-empty, names and values free of `\u0001`/`\u0002`. */
  readonly properties?: Readonly<Record<string, string>>;
  /** Born timestamp, ms, safe integer; default: the store timestamp. */
  readonly bornTimestamp?: number;
  /** Producer address `"ip:port"` (IPv4 or IPv6); default: the store host. */
  readonly bornHost?: string;
  /**
   * SYSFLAG, int32; default 0. The IPv6 host bits (0x10, 0x20) are recomputed from the hosts;
   * every other bit is stored as given.
   */
  readonly sysFlag?: number;
  /** Reconsume count, int32; default 0. */
  readonly reconsumeTimes?: number;
  /** Commit-log offset of the half message (commit/rollback), safe integer; default 0. */
  readonly preparedTransactionOffset?: number;
}

/** Why the encoder refused a message; names are RocketMQ's `PutMessageStatus` values. */
export type EncodeFailureStatus = "MESSAGE_ILLEGAL" | "PROPERTIES_SIZE_EXCEEDED";

/** A refused message. */
export interface EncodeFailure {
  readonly status: EncodeFailureStatus;
  /** Human-readable; branch on `status`, not on this text. */
  readonly reason: string;
}

/** An encoded record. */
export interface EncodeSuccess {
  readonly status: "PUT_OK";
  /**
   * The record, `totalSize` bytes, QUEUEOFFSET and PHYSICALOFFSET 0. From {@link MessageEncoder}
   * it is a view of the encoder's buffer, valid until its next encode.
   */
  readonly record: Buffer;
}

/** Result of encoding one message. */
export type EncodeResult = EncodeSuccess | EncodeFailure;

/** A refused batch. */
export interface BatchEncodeFailure extends EncodeFailure {
  /** Index of the offending message, or -1 for a batch-level reason. */
  readonly index: number;
}

/** An encoded batch: `count` records back to back. */
export interface BatchEncodeSuccess {
  readonly status: "PUT_OK";
  /** All records; a view of the encoder's buffer, valid until its next encode. */
  readonly records: Buffer;
  /** Number of records. */
  readonly count: number;
}

/** Result of encoding a batch. */
export type BatchEncodeResult = BatchEncodeSuccess | BatchEncodeFailure;

/** A record decoded from the commit log or a pull body. */
export interface DecodedMessage {
  /** TOTALSIZE, bytes. */
  readonly totalSize: number;
  /** MAGICCODE, unsigned (0xDAA320A7). */
  readonly magic: number;
  /** BODYCRC as stored (int32). */
  readonly bodyCRC: number;
  readonly queueId: number;
  readonly flag: number;
  /** Consume-queue index. */
  readonly queueOffset: number;
  /** Commit-log offset, bytes, as stored in the record. */
  readonly physicalOffset: number;
  readonly sysFlag: number;
  /** ms. */
  readonly bornTimestamp: number;
  /** `"a.b.c.d:port"` or `"[ipv6]:port"`. */
  readonly bornHost: string;
  /** ms. */
  readonly storeTimestamp: number;
  /** `"a.b.c.d:port"` or `"[ipv6]:port"`. */
  readonly storeHost: string;
  readonly reconsumeTimes: number;
  readonly preparedTransactionOffset: number;
  /** A view into the decoded buffer (not a copy, never inflated). */
  readonly body: Buffer;
  readonly topic: string;
  /** Null-prototype map of the properties. */
  readonly properties: MessageProperties;
  /** The TAGS property. */
  readonly tags: string | undefined;
  /** The KEYS property (space-separated). */
  readonly keys: string | undefined;
  /** Offset msgId (store host + PHYSICALOFFSET), uppercase hex. */
  readonly msgId: string;
}

/**
 * Why a record did not decode.
 * - `UNDERFLOW`: the buffer ends before the record (including a half-written record).
 * - `BAD_MAGIC`: neither a message nor a blank record (zeroed, pre-allocated space reads this way).
 * - `BLANK`: the end-of-file blank record; the file has no more messages.
 * - `CRC_MISMATCH`: BODYCRC differs from the body.
 * - `BAD_FIELD`: a negative body, topic or properties length.
 * - `SIZE_MISMATCH`: TOTALSIZE differs from the length the fields add up to.
 */
export type DecodeFailureCode =
  "UNDERFLOW" | "BAD_MAGIC" | "BLANK" | "CRC_MISMATCH" | "BAD_FIELD" | "SIZE_MISMATCH";

/** A record that did not decode, and where. */
export interface DecodeFailure {
  readonly ok: false;
  readonly code: DecodeFailureCode;
  readonly reason: string;
  /** Absolute buffer offset of the record. */
  readonly offset: number;
  /**
   * RocketMQ's recovery size: 0 for `BLANK`, TOTALSIZE for `SIZE_MISMATCH`, -1 otherwise.
   */
  readonly size: number;
}

/** A record decoded with `readBody: false`: every field but the body, which is `null`. */
export type DecodedMessageWithoutBody = Omit<DecodedMessage, "body"> & { readonly body: null };

/** Result of decoding one record; `M` is {@link DecodedMessageWithoutBody} when `readBody` is false. */
export type DecodeResult<M extends DecodedMessage | DecodedMessageWithoutBody = DecodedMessage> =
  { readonly ok: true; readonly message: M } | DecodeFailure;

/** Options of {@link decodeMessage}. */
export interface DecodeOptions {
  /** Verify BODYCRC (default true; ignored when `readBody` is false). */
  readonly checkCRC?: boolean;
  /** Return the body view (default true); when false the body is `null` and the CRC unchecked. */
  readonly readBody?: boolean;
}

/** Result of decoding back-to-back records. */
export interface DecodeMessagesResult<
  M extends DecodedMessage | DecodedMessageWithoutBody = DecodedMessage,
> {
  /** The records decoded before the first failure. */
  readonly messages: M[];
  /** Bytes consumed by `messages`. */
  readonly bytesRead: number;
  /** Why decoding stopped before the end of the buffer; undefined when every byte was consumed. */
  readonly failure: DecodeFailure | undefined;
}

/** What a consume-queue unit needs of a valid message record, and where it belongs. */
export interface DispatchUnit {
  readonly kind: "MESSAGE";
  /** TOTALSIZE, bytes (> 0). */
  readonly size: number;
  readonly topic: string;
  readonly queueId: number;
  /** PHYSICALOFFSET as stored in the record, bytes. */
  readonly physicalOffset: number;
  /** Java hashCode of TAGS (0 if none); deliver time, ms, for a delayed SCHEDULE_TOPIC_XXXX record. */
  readonly tagsCode: number;
  /** ms. */
  readonly storeTimestamp: number;
  /** Consume-queue index. */
  readonly queueOffset: number;
  readonly sysFlag: number;
  /** KEYS property, read only when the message index asks for it (`readDispatchUnit(..., true)`). */
  readonly keys?: string | undefined;
  /** UNIQ_KEY property, likewise. */
  readonly uniqKey?: string | undefined;
}

/** What the consume-queue dispatch needs from a valid message record (RocketMQ DispatchRequest). */
export interface DispatchRequest extends DispatchUnit {
  readonly success: true;
  /** KEYS property, "" if none. */
  readonly keys: string;
  /** UNIQ_KEY property. */
  readonly uniqKey: string | undefined;
  readonly preparedTransactionOffset: number;
  /** ms. */
  readonly bornTimestamp: number;
  /** Null-prototype map (empty when the record has no properties). */
  readonly properties: MessageProperties;
}

/** The end-of-file blank record: `{ success: true, size: 0 }`, recovery moves to the next file. */
export interface BlankRecord {
  readonly kind: "BLANK";
  readonly success: true;
  readonly size: 0;
  /** The blank record's declared length (maxBlank), bytes. */
  readonly blankLength: number;
}

/** An invalid record: recovery stops here. */
export interface InvalidRecord {
  readonly kind: "INVALID";
  readonly success: false;
  /** TOTALSIZE for `SIZE_MISMATCH`, -1 for everything else. */
  readonly size: number;
  readonly code: Exclude<DecodeFailureCode, "BLANK">;
  readonly reason: string;
}

/** Result of {@link checkMessageAndReturnSize}. */
export type CheckMessageResult = DispatchRequest | BlankRecord | InvalidRecord;
