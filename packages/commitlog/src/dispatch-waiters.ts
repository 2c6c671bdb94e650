import type { Clock, ClockTimer } from "@store/mapped-file";
import { StoreError } from "@store/mapped-file";
import type { CommitLogErrorCode } from "./store-errors.js";

/** Callers of `MessageStore.waitForDispatch` that may wait at once; one more is refused with BUSY. */
export const MAX_DISPATCH_WAITERS = 65_536;

interface Waiter {
  readonly offset: number;
  readonly resolve: () => void;
  readonly reject: (error: StoreError<CommitLogErrorCode>) => void;
  timer: ClockTimer | null;
}

/**
 * The callers waiting until dispatch (commit log → consume queues) has passed a commit-log offset.
 * Bounded: at most `limit` wait at once. The dispatcher reports its progress with `advance`.
 */
export class DispatchWaiters {
  readonly #clock: Clock;
  readonly #limit: number;
  #waiters: Waiter[] = [];
  #dispatchedTo = 0;
  #closed: StoreError<CommitLogErrorCode> | null = null;

  constructor(options: { clock: Clock; limit?: number }) {
    this.#clock = options.clock;
    this.#limit = options.limit ?? MAX_DISPATCH_WAITERS;
  }

  /** How many callers wait now. */
  get size(): number {
    return this.#waiters.length;
  }

  /**
   * Resolves once `advance` reported an offset ≥ `offset` (at once if it already did).
   * Rejects with `timeoutError` after `timeoutMs` (none: no deadline), with BUSY when `limit` callers
   * already wait, and with the error given to `close` once closed.
   */
  wait(
    offset: number,
    timeoutMs: number | undefined,
    timeoutError: () => StoreError<CommitLogErrorCode>,
  ): Promise<void> {
    if (offset <= this.#dispatchedTo) return Promise.resolve();
    if (this.#closed !== null) return Promise.reject(this.#closed);
    if (this.#waiters.length >= this.#limit) {
      return Promise.reject(
        new StoreError<CommitLogErrorCode>(
          "BUSY",
          `${this.#limit} callers already wait for dispatch; retry later`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { offset, resolve, reject, timer: null };
      if (timeoutMs !== undefined) {
        waiter.timer = this.#clock.setTimeout(() => {
          this.#waiters = this.#waiters.filter((other) => other !== waiter);
          reject(timeoutError());
        }, timeoutMs);
      }
      this.#waiters.push(waiter);
    });
  }

  /** Dispatch has indexed every record below `dispatchedTo`: resolves the waiters it satisfies. */
  advance(dispatchedTo: number): void {
    if (dispatchedTo <= this.#dispatchedTo) return;
    this.#dispatchedTo = dispatchedTo;
    if (this.#waiters.length === 0) return;
    const waiting: Waiter[] = [];
    for (const waiter of this.#waiters) {
      if (waiter.offset > dispatchedTo) {
        waiting.push(waiter);
        continue;
      }
      this.#clock.clearTimeout(waiter.timer ?? undefined);
      waiter.resolve();
    }
    this.#waiters = waiting;
  }

  /** Rejects every waiter, and every later call that is not already satisfied, with `error`. */
  close(error: StoreError<CommitLogErrorCode>): void {
    this.#closed = error;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      this.#clock.clearTimeout(waiter.timer ?? undefined);
      waiter.reject(error);
    }
  }
}
