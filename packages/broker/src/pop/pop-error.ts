import { StoreError } from "@store/mapped-file";

/** Codes of pop consumption and timed delivery. */
export type PopErrorCode =
  /** A caller passed a value outside the documented range (empty group, illegal topic, ...). */
  | "BAD_ARGUMENT"
  /** The state file could not be written durably; the change it carried may not survive a restart. */
  | "PERSIST_FAILED"
  /** The state file exists but is not valid state; the service refuses to start rather than lose it. */
  | "CORRUPT_STATE"
  /** The service is not running (not started yet, or shut down). */
  | "NOT_RUNNING";

/** An error of pop consumption or timed delivery. */
export class PopError extends StoreError<PopErrorCode> {
  override readonly name: string = "PopError";
}
