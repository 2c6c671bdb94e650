/** A timer a {@link Clock} armed; only the clock that made it can clear it. */
export interface ClockTimer {
  /** Lets the process exit while the timer is pending (a real timer's `unref`). */
  unref(): void;
}

/**
 * Where the store reads the time and arms its timers: the services' waits, timeouts, store
 * timestamps and file ages. The default, {@link systemClock}, is real time; a test injects a
 * `VirtualClock` (`@store/mapped-file/testing`) so a run replays exactly from a seed.
 */
export interface Clock {
  /** Wall-clock time, ms since the epoch (store timestamps, file ages, the checkpoint). */
  now(): number;
  /**
   * Time for intervals and deadlines, ms from an arbitrary origin; never goes back (unlike `now()`,
   * which follows changes of the system time).
   */
  monotonic(): number;
  /** Calls `callback` once, `delayMs` (≥ 0) from now. */
  setTimeout(callback: () => void, delayMs: number): ClockTimer;
  /** Cancels a timer of this clock; a fired or cleared one is ignored. */
  clearTimeout(timer: ClockTimer | undefined): void;
}

/** Real time: `Date.now()`, `performance.now()` and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
};
