import { isPutStored } from "@store/commitlog";
import type { Logger } from "pino";
import { MinHeap } from "./min-heap.js";
import type { PopCheckPoint, PopState } from "./pop-state.js";
import { reviveTimeOf } from "./pop-state.js";
import type { PopClock, PopMessageStore } from "./pop-types.js";
import { buildDeadLetterMessage, buildRetryMessage } from "./retry-message.js";

/** Delay before a revive whose put failed is tried again, ms. */
const REVIVE_RETRY_DELAY_MS = 1000;

export interface PopReviveServiceOptions {
  readonly state: PopState;
  readonly store: PopMessageStore;
  readonly clock: PopClock;
  readonly logger: Logger;
  /** A group's reconsume limit: a message is delivered at most 1 + this many times. */
  readonly maxReconsumeTimes: (group: string) => number;
  /** Longest sleep between checks, ms. */
  readonly intervalMs: number;
  /** Called after check points were removed (the owner persists the state). */
  readonly onChanged: () => void;
}

/** What a revive did with one message. */
export type ReviveOutcome = "RETRY" | "DLQ" | "GONE" | "FAILED";

/**
 * Makes un-acked messages visible again when their invisible time passes (RocketMQ's
 * PopReviveService): the message is copied to `%RETRY%<group>` with its reconsume count raised, or to
 * `%DLQ%<group>` once the count would pass the group's `maxReconsumeTimes`, and its check point is
 * removed. A check point leaves the table before its copy is stored, so an ack racing the revive gets
 * INVALID_RECEIPT_HANDLE and the message comes back (at least once, never lost).
 */
export class PopReviveService {
  readonly #options: PopReviveServiceOptions;
  readonly #heap = new MinHeap<string>();
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Number.POSITIVE_INFINITY;
  #round: Promise<number> | null = null;
  #running = false;

  constructor(options: PopReviveServiceOptions) {
    this.#options = options;
  }

  /** Schedules a check point's revive. */
  track(checkPoint: PopCheckPoint): void {
    this.#heap.push(reviveTimeOf(checkPoint), checkPoint.handle);
    // Stale entries (acked or changed check points) are skipped when due; rebuild when they dominate.
    if (this.#heap.size > 2 * this.#options.state.checkPoints.size + 1024) this.#rebuild();
    this.#schedule();
  }

  /** Starts the loop: it wakes at the next revive time, and at least every `intervalMs`. */
  start(): void {
    this.#running = true;
    this.#rebuild();
    this.#schedule();
  }

  /** Stops the loop and waits for a revive round in progress. */
  async shutdown(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#round;
  }

  /**
   * Revives every check point due at the clock's now; resolves how many were revived. Rounds do not
   * overlap: a call during a round waits for it and runs another.
   */
  async reviveDue(): Promise<number> {
    while (this.#round) await this.#round;
    this.#round = this.#reviveRound();
    try {
      return await this.#round;
    } finally {
      this.#round = null;
      this.#schedule();
    }
  }

  /**
   * Moves one message to the group's dead-letter topic now (ForwardMessageToDeadLetterQueue). The
   * caller has removed its check point.
   */
  async deadLetter(checkPoint: PopCheckPoint): Promise<ReviveOutcome> {
    return this.#putCopy(checkPoint, true);
  }

  async #reviveRound(): Promise<number> {
    const { state, clock } = this.#options;
    let revived = 0;
    for (;;) {
      const due = this.#heap.peekKey();
      if (due === undefined || due > clock.now()) break;
      const handle = this.#heap.pop() as string;
      const checkPoint = state.checkPoints.get(handle);
      if (checkPoint === undefined || reviveTimeOf(checkPoint) !== due) continue;
      state.checkPoints.delete(handle);
      const outcome = await this.#putCopy(checkPoint, false);
      if (outcome === "FAILED") {
        // Back in flight, retried later; nothing is lost.
        const retry = {
          ...checkPoint,
          popTime: clock.now() + REVIVE_RETRY_DELAY_MS - checkPoint.invisibleTime,
        };
        state.checkPoints.set(handle, retry);
        this.#heap.push(reviveTimeOf(retry), handle);
        break;
      }
      revived++;
    }
    if (revived > 0) this.#options.onChanged();
    return revived;
  }

  async #putCopy(checkPoint: PopCheckPoint, forceDeadLetter: boolean): Promise<ReviveOutcome> {
    const { store, logger } = this.#options;
    const message = await store
      .lookMessageByOffset(checkPoint.commitLogOffset)
      .catch((error: unknown) => {
        logger.error({ err: error, checkPoint }, "revive: cannot read the message");
        return undefined;
      });
    if (message === undefined) return "FAILED";
    if (message === null) {
      logger.warn(
        { checkPoint },
        "revive: the message is no longer stored; dropping its check point",
      );
      return "GONE";
    }
    const toDeadLetter =
      forceDeadLetter ||
      message.reconsumeTimes + 1 > this.#options.maxReconsumeTimes(checkPoint.group);
    const copy = toDeadLetter
      ? buildDeadLetterMessage(message, checkPoint.group, checkPoint.topic)
      : buildRetryMessage(message, checkPoint.group, checkPoint.topic, checkPoint.popTime);
    const result = await store
      .putMessage(copy)
      .catch((error: unknown) => ({ status: "UNKNOWN_ERROR" as const, reason: String(error) }));
    if (!isPutStored(result)) {
      logger.error(
        { status: result.status, reason: result.reason, topic: copy.topic },
        "revive: the copy was not stored",
      );
      return "FAILED";
    }
    return toDeadLetter ? "DLQ" : "RETRY";
  }

  #rebuild(): void {
    this.#heap.clear();
    for (const checkPoint of this.#options.state.checkPoints.values())
      this.#heap.push(reviveTimeOf(checkPoint), checkPoint.handle);
  }

  #schedule(): void {
    if (!this.#running || this.#round !== null) return;
    const now = this.#options.clock.now();
    const next = Math.min(
      this.#heap.peekKey() ?? Number.POSITIVE_INFINITY,
      now + this.#options.intervalMs,
    );
    if (this.#timer !== null && this.#timerAt <= next) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timerAt = next;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#timerAt = Number.POSITIVE_INFINITY;
        void this.reviveDue().catch((error: unknown) =>
          this.#options.logger.error({ err: error }, "revive round failed"),
        );
      },
      Math.max(0, next - now),
    );
    this.#timer.unref();
  }
}
