import { StoreError } from "@store/mapped-file";

/** The codes of the demo broker's own errors. */
export type DemoBrokerErrorCode =
  /** A bad command line, config file, key or value; the message names the key, the value and the expected form. */
  | "INVALID_CONFIG"
  /** The first commit-log segment could not be made ready before the ports open. */
  | "START_FAILED";

/** A bad command line or config file; the message names the key, the value given and the expected form. */
export class ConfigError extends StoreError<DemoBrokerErrorCode> {
  override readonly name = "ConfigError";

  constructor(message: string, options?: { cause?: unknown }) {
    super("INVALID_CONFIG", message, options);
  }
}
