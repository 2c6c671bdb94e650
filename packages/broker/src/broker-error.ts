import { StoreError } from "@store/mapped-file";

/** Codes of the broker layer. */
export type BrokerErrorCode =
  /** A config key has a bad value or is unknown; the message names the key and the expected form. */
  | "INVALID_CONFIG"
  /** A topic name is empty, too long or has characters outside `[%|a-zA-Z0-9_-]`. */
  | "INVALID_TOPIC"
  /** A persisted file (topics.json, consumerOffset.json, delayOffset.json) could not be read or parsed. */
  | "CONFIG_FILE_CORRUPT"
  /** A persisted file could not be written durably. */
  | "PERSIST_FAILED"
  /** `start()` was called twice, or after `shutdown()`. */
  | "BAD_STATE";

/** An error of the broker (config, persistence, lifecycle). */
export class BrokerError extends StoreError<BrokerErrorCode> {
  override readonly name: string = "BrokerError";
}
