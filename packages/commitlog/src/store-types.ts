import type { AppendMessageResult } from "@store/mapped-file";

/** RocketMQ 4.9.x PutMessageStatus names. */
export type PutMessageStatus =
  | "PUT_OK"
  /** Stored (in the page cache) but the SYNC_FLUSH fdatasync did not complete within syncFlushTimeout. */
  | "FLUSH_DISK_TIMEOUT"
  | "FLUSH_SLAVE_TIMEOUT"
  | "SLAVE_NOT_AVAILABLE"
  /** The store is shut down, or stopped taking writes after a disk error (see the log). */
  | "SERVICE_NOT_AVAILABLE"
  /** A new segment file could not be created (disk full, I/O error); nothing was stored. Retry later. */
  | "CREATE_MAPEDFILE_FAILED"
  /** Bad topic, oversized body or record; nothing was stored. */
  | "MESSAGE_ILLEGAL"
  /** Properties over 32767 bytes; nothing was stored. */
  | "PROPERTIES_SIZE_EXCEEDED"
  | "OS_PAGECACHE_BUSY"
  /** The append failed (I/O error); nothing was stored. */
  | "UNKNOWN_ERROR";

/** The outcome of a put (RocketMQ's PutMessageResult). */
export interface PutMessageResult {
  readonly status: PutMessageStatus;
  /**
   * Present when the append happened: PUT_OK; FLUSH_DISK_TIMEOUT (stored, durability not confirmed);
   * UNKNOWN_ERROR after a failed page-cache write (appended and holding its offsets; the write is
   * retried with the next one, so it may still be stored).
   */
  readonly appendResult?: AppendMessageResult;
  /** Why, for an error status. */
  readonly reason?: string;
}

/**
 * Whether the message was appended to the log: PUT_OK, FLUSH_DISK_TIMEOUT (durability not confirmed),
 * or UNKNOWN_ERROR with an append result (its page-cache write failed and is retried).
 */
export function isPutStored(result: PutMessageResult): boolean {
  return result.appendResult?.status === "PUT_OK";
}

/** RocketMQ's GetMessageStatus. */
export type GetMessageStatus =
  | "FOUND"
  | "NO_MATCHED_MESSAGE"
  | "MESSAGE_WAS_REMOVING"
  | "OFFSET_FOUND_NULL"
  | "OFFSET_OVERFLOW_BADLY"
  | "OFFSET_OVERFLOW_ONE"
  | "OFFSET_TOO_SMALL"
  | "NO_MATCHED_LOGIC_QUEUE"
  | "NO_MESSAGE_IN_QUEUE";

/** The outcome of a pull (RocketMQ's GetMessageResult). */
export interface GetMessageResult {
  readonly status: GetMessageStatus;
  /** Encoded records, each a complete commit-log record (RocketMQ v1 layout). */
  readonly messages: Buffer[];
  /** Where the next pull should start (queue offset). */
  readonly nextBeginOffset: number;
  readonly minOffset: number;
  readonly maxOffset: number;
  /** Sum of the records' lengths, bytes. */
  readonly bufferTotalSize: number;
}
