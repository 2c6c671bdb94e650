import { setImmediate as nextMacrotask } from "node:timers/promises";
import type { Clock, ClockTimer } from "../clock.js";

interface PendingTimer extends ClockTimer {
  readonly at: number;
  readonly sequence: number;
  readonly callback: () => void;
  cleared: boolean;
}

/** Timers fired by one `advance` before it gives up: a loop re-arming a 0 ms timer forever. */
const MAX_TIMERS_PER_ADVANCE = 100_000;

/**
 * A clock that moves only when told: `advance(ms)` fires the timers due in that span in time order
 * (ties in arming order), letting every promise chain a timer starts run to completion before the
 * next one fires. With a SimulatedDisk (whose calls settle in microtasks) a store driven by this
 * clock does the same thing every run: a crash test replays exactly from its seed.
 *
 * "Run to completion" means until nothing but virtual timers is pending: real I/O, real timers and
 * worker threads are not waited for.
 */
export class VirtualClock implements Clock {
  #now: number;
  #origin: number;
  #sequence = 0;
  #timers: PendingTimer[] = [];

  /** @param startMs the time `now()` starts at, ms since the epoch. Default 1 700 000 000 000. */
  constructor(startMs = 1_700_000_000_000) {
    this.#now = startMs;
    this.#origin = startMs;
  }

  now(): number {
    return this.#now;
  }

  monotonic(): number {
    return this.#now - this.#origin;
  }

  setTimeout(callback: () => void, delayMs: number): ClockTimer {
    const delay = Number.isFinite(delayMs) ? Math.max(0, delayMs) : Number.POSITIVE_INFINITY;
    const timer: PendingTimer = {
      at: this.#now + delay,
      sequence: this.#sequence++,
      callback,
      cleared: false,
      unref: () => undefined,
    };
    this.#timers.push(timer);
    return timer;
  }

  clearTimeout(timer: ClockTimer | undefined): void {
    if (timer === undefined) return;
    (timer as PendingTimer).cleared = true;
  }

  /** Timers armed and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#timers.filter((timer) => !timer.cleared).length;
  }

  /** When the next timer fires, ms since the epoch; Infinity when none is pending. */
  get nextTimerAt(): number {
    return this.#next()?.at ?? Number.POSITIVE_INFINITY;
  }

  /**
   * Lets pending promise chains run, then moves time forward by `ms`, firing each timer due on the
   * way at its own time and settling what it started before the next.
   * @throws Error if more than 100 000 timers fire in one call (a timer loop that never waits).
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new Error(`advance: ms must be >= 0, got ${ms}`);
    const target = this.#now + ms;
    await settle();
    for (let fired = 0; ; fired++) {
      if (fired > MAX_TIMERS_PER_ADVANCE)
        throw new Error("advance: timers keep firing without time passing");
      const next = this.#next();
      if (next === undefined || next.at > target) break;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      this.#now = Math.max(this.#now, next.at);
      next.callback();
      await settle();
    }
    this.#now = target;
    await settle();
  }

  /** Lets pending promise chains run without moving time. */
  settle(): Promise<void> {
    return settle();
  }

  #next(): PendingTimer | undefined {
    this.#timers = this.#timers.filter((timer) => !timer.cleared);
    let next: PendingTimer | undefined;
    for (const timer of this.#timers) {
      if (
        next === undefined ||
        timer.at < next.at ||
        (timer.at === next.at && timer.sequence < next.sequence)
      )
        next = timer;
    }
    return next;
  }
}

/**
 * Waits until the microtask queue is empty: a macrotask runs only after every microtask queued
 * before it, including the ones those queue.
 */
async function settle(): Promise<void> {
  await nextMacrotask();
}
