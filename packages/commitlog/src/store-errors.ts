import type { StoreErrorCode } from "@store/mapped-file";

/** The codes of the commit-log layer, on top of the segment-file codes. */
export type CommitLogErrorCode =
  | StoreErrorCode
  /** A config key is unknown or its value out of range; the message names the key. */
  | "INVALID_CONFIG"
  /** Another live process (or another store in this process) holds the store directory. */
  | "STORE_LOCKED"
  /** The store was shut down. */
  | "STORE_CLOSED"
  /** Too many callers wait already (waitForDispatch); retry later. */
  | "BUSY"
  /** waitForDispatch's `timeoutMs` passed before dispatch reached the offset. */
  | "DISPATCH_TIMEOUT";
