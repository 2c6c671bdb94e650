import type { DispatchListener } from "./reput-message-service.js";

/**
 * What happens to the commit log's records, in the order a record meets it: appended, committed
 * (pool mode), flushed, dispatched. The store's composition root (store-assembly.ts) passes one
 * observer to the commit log, its flush manager and its dispatcher; each tells it only its part.
 * Handlers run on the write and dispatch paths: they must be short and must not throw.
 */
export interface CommitLogEvents {
  /** A put (one message or a batch) was appended to the current file. */
  appended(): void;
  /** Pool mode: a commit wrote appended bytes into the file, so readers (and dispatch) can see them. */
  committed(): void;
  /** A full flush made the log durable up to the record stored at `storeTimestamp` (ms; 0: none). */
  flushed(storeTimestamp: number): void;
  /** Units reached consume queue `topic`/`queueId`, whose end (one past its last offset) is now `maxOffset`. */
  dispatched: DispatchListener;
  /** Every unit of a dispatch step, up to a record stored at `storeTimestamp` (ms), is in its queue. */
  dispatchedUpTo(storeTimestamp: number): void;
}
