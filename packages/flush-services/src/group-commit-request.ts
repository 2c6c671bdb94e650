import type { Clock } from "@store/mapped-file";
import { StoreError, systemClock } from "@store/mapped-file";
import type { FlushServicesErrorCode, FlushStatus } from "./types.js";

/**
 * One SYNC_FLUSH put waiting for durability (RocketMQ's GroupCommitRequest): done once the flushed
 * position reaches `nextOffset` (PUT_OK) or once its deadline passes (FLUSH_DISK_TIMEOUT).
 * The first completion wins; later ones are ignored, so a timeout is never overwritten by a late PUT_OK.
 */
export class GroupCommitRequest {
  /** Absolute offset just past the message (wroteOffset + wroteBytes), bytes. */
  readonly nextOffset: number;
  /** When the request times out, on its clock's `monotonic()` time, ms. */
  readonly deadlineMs: number;
  /** Resolves once, with the first status given to `wakeupCustomer`. Never rejects. */
  readonly future: Promise<FlushStatus>;
  #resolve: (status: FlushStatus) => void = () => undefined;
  #status: FlushStatus | null = null;

  /**
   * @param nextOffset absolute offset the flush must reach, bytes (a non-negative safe integer).
   * @param timeoutMs how long to wait for it, ms (RocketMQ's `syncFlushTimeout`, 5000 by default).
   * @param clock the time its deadline is on (the watcher's). Default: real time.
   * @throws StoreError BAD_ARGUMENT for a negative or non-integer offset, or a timeout that is not > 0.
   */
  constructor(nextOffset: number, timeoutMs: number, clock: Clock = systemClock) {
    if (!Number.isSafeInteger(nextOffset) || nextOffset < 0) {
      throw new StoreError<FlushServicesErrorCode>(
        "BAD_ARGUMENT",
        `nextOffset must be a non-negative integer, got ${nextOffset}`,
      );
    }
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      throw new StoreError<FlushServicesErrorCode>(
        "BAD_ARGUMENT",
        `timeoutMs must be a finite number > 0, got ${timeoutMs}`,
      );
    }
    this.nextOffset = nextOffset;
    this.deadlineMs = clock.monotonic() + timeoutMs;
    this.future = new Promise<FlushStatus>((resolve) => (this.#resolve = resolve));
  }

  /** Completes the request unless it is done already. Returns whether this call completed it. */
  wakeupCustomer(status: FlushStatus): boolean {
    if (this.#status !== null) return false;
    this.#status = status;
    this.#resolve(status);
    return true;
  }

  /** Whether a status was given. */
  get isDone(): boolean {
    return this.#status !== null;
  }

  /** The status once done, else null. */
  get status(): FlushStatus | null {
    return this.#status;
  }
}
