import type { StoreError } from "@store/mapped-file";

/** What the services drive (`MappedFileQueue` implements it); `true` means the position advanced. */
export type { Flushable } from "@store/file-queue";

/** How a SYNC_FLUSH put ended: stored and fdatasync'd, or stored but not confirmed durable in time. */
export type FlushStatus = "PUT_OK" | "FLUSH_DISK_TIMEOUT";

/** RocketMQ's flush strategies (`flushDiskType`). */
export type FlushDiskType = "SYNC_FLUSH" | "ASYNC_FLUSH";

/** Codes this package adds to `StoreError`. */
export type FlushServicesErrorCode =
  /** A flush config key has a value outside its documented form; the message names the key. */
  | "INVALID_CONFIG"
  /** A caller passed a value outside the documented range (negative offset, non-positive timeout). */
  | "BAD_ARGUMENT";

/** The errors this package throws. */
export type FlushServicesError = StoreError<FlushServicesErrorCode>;

/** Anything a service can wake: the commit service wakes the flush service after progress. */
export interface Wakeable {
  /** Ends the current wait early, so the service runs a round now. */
  wakeup(): void;
}

/** Receives the store timestamp (ms since the epoch) of the last record a full flush covered. */
export type FlushedCallback = (storeTimestamp: number) => void;
