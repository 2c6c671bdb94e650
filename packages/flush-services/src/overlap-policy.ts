import assert from "node:assert/strict";

/**
 * How the group commit spends the main thread while an fdatasync is in flight (see GroupCommitService):
 * "adaptive" measures both ways and keeps the faster; "always" and "never" fix one (tests, benchmarks).
 */
export type GroupCommitOverlap = "adaptive" | "always" | "never";

/** Flights after a switch that are not measured: the batches are still regrouping. */
const SETTLE_FLIGHTS = 2;
/** Flights measured per window; a window's rate is the median of its flights' rates. */
const WINDOW_FLIGHTS = 12;
/** Flights between trials of the other way (the last WINDOW_FLIGHTS of them are the baseline). */
const KEEP_FLIGHTS = 240;
/** Each lost trial doubles the flights to the next one, up to this (trials cost flights the slower way). */
const KEEP_FLIGHTS_MAX = 64 * KEEP_FLIGHTS;
/** A trial wins only if its rate beats the baseline by this factor (noise should not flip the mode). */
const SWITCH_GAIN = 1.1;
/** Trials in a row the other way must win before the policy switches to it. */
const WINS_TO_SWITCH = 2;

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  return values[values.length >> 1] ?? 0;
}

/**
 * Decides, flight by flight, whether the group commit overlaps the writers with the next fdatasync.
 *
 * - Gathering (overlap false): a landed flight's acks go out, the writers put again, and the next
 *   flight covers them all: one fdatasync per cycle, but the disk waits while the writers compute.
 * - Overlapping: what arrived during the landed flight is flushed first and the acks go out while that
 *   fdatasync runs, so the writers' CPU hides behind it, at the price of two fdatasyncs per cycle.
 *
 * Overlapping pays when the writers' CPU per cycle exceeds an fdatasync's fixed cost. Neither is known
 * beforehand (they depend on the disk, the record size, the callers and what else the machine runs),
 * so "adaptive" measures: it keeps one way for KEEP_FLIGHTS flights, then tries the other for a
 * window, comparing acks per ms (median of per-flight rates, flight end to flight end) with the last
 * window of the way it kept. It switches once the other way won WINS_TO_SWITCH trials in a row by
 * SWITCH_GAIN: on a shared machine one window's rate can be off by a factor of two. A lost trial
 * doubles the wait for the next one (up to KEEP_FLIGHTS_MAX), so a way that stays slower costs well
 * under 1% of flights; a switch resets it. Starts by gathering.
 */
export class OverlapPolicy {
  readonly #adaptive: boolean;
  #overlap: boolean;
  #trial = false;
  #flightsInPhase = 0;
  #rates: number[] = [];
  #baselineRate = 0;
  #wins = 0;
  #keepFlights = KEEP_FLIGHTS;
  #lastLandedMs = Number.NaN;

  constructor(mode: GroupCommitOverlap = "adaptive") {
    this.#adaptive = mode === "adaptive";
    this.#overlap = mode === "always";
  }

  /** Whether the flight landing now overlaps (see the class doc). */
  get overlap(): boolean {
    return this.#overlap;
  }

  /** Whether a trial of the other way is under way (diagnostics, tests). */
  get trying(): boolean {
    return this.#trial;
  }

  /** Records a flight that covered `acks` requests and landed at `nowMs` (performance.now(), ms). */
  landed(acks: number, nowMs: number): void {
    assert(acks >= 0, "landed: negative ack count");
    const elapsedMs = nowMs - this.#lastLandedMs;
    this.#lastLandedMs = nowMs;
    if (!this.#adaptive) return;
    this.#flightsInPhase++;
    const measured = this.#trial ? this.#flightsInPhase > SETTLE_FLIGHTS : this.#flightsInPhase > this.#keepFlights - WINDOW_FLIGHTS;
    if (measured && elapsedMs > 0 && acks > 0) this.#rates.push(acks / elapsedMs);
    if (this.#rates.length < WINDOW_FLIGHTS) return;
    const rate = median(this.#rates);
    this.#rates = [];
    this.#flightsInPhase = 0;
    if (!this.#trial) {
      this.#baselineRate = rate;
      this.#trial = true;
      this.#overlap = !this.#overlap;
      return;
    }
    this.#trial = false;
    const won = rate > this.#baselineRate * SWITCH_GAIN;
    this.#wins = won ? this.#wins + 1 : 0;
    if (this.#wins >= WINS_TO_SWITCH) {
      this.#wins = 0; // the trial's way is kept
      this.#keepFlights = KEEP_FLIGHTS;
      return;
    }
    this.#overlap = !this.#overlap;
    if (!won) this.#keepFlights = Math.min(2 * this.#keepFlights, KEEP_FLIGHTS_MAX);
  }
}
