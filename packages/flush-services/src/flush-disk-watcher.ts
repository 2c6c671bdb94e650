import { DeadlineQueue } from "./deadline-queue.js";
import type { GroupCommitRequest } from "./group-commit-request.js";
import { ServiceThread } from "./service-thread.js";
import type { ServiceThreadOptions } from "./service-thread.js";

/**
 * Times out SYNC_FLUSH requests (RocketMQ's FlushDiskWatcher): a request still pending at its deadline
 * completes FLUSH_DISK_TIMEOUT, even while the group commit is stuck in a stalled fdatasync.
 *
 * One timer serves all requests: the loop waits until the earliest pending deadline, and `add` wakes it
 * only when a request with an earlier deadline arrives. No per-request timers, no polling.
 * Requests still pending when the watcher stops complete FLUSH_DISK_TIMEOUT, since nothing would
 * time them out afterwards.
 */
export class FlushDiskWatcher extends ServiceThread {
  readonly #queue = new DeadlineQueue();
  /** The deadline the loop's current wait ends at, ms (`clock.monotonic()`); Infinity when idle. */
  #armedDeadlineMs = Number.POSITIVE_INFINITY;

  constructor(options: ServiceThreadOptions = {}) {
    super(options);
  }

  /** Watches `request` until it is done or its deadline passes. */
  add(request: GroupCommitRequest): void {
    this.#queue.pruneDone();
    this.#queue.push(request);
    if (request.deadlineMs < this.#armedDeadlineMs) this.wakeup();
  }

  /** Requests watched and not done yet. */
  queueSize(): number {
    this.#queue.pruneDone();
    return this.#queue.countPending();
  }

  protected async run(): Promise<void> {
    while (!this.isStopped) {
      const next = this.#expire(this.clock.monotonic());
      this.#armedDeadlineMs = next;
      // ceil: a timer may fire a fraction of a ms early; the next round then waits the rest.
      const waitMs = Number.isFinite(next)
        ? Math.max(1, Math.ceil(next - this.clock.monotonic()))
        : next;
      await this.waitForRunning(waitMs);
    }
    this.#armedDeadlineMs = Number.POSITIVE_INFINITY;
    for (let request = this.#queue.shift(); request; request = this.#queue.shift()) {
      request.wakeupCustomer("FLUSH_DISK_TIMEOUT");
    }
  }

  /** Times out every request whose deadline is at or before `nowMs`; returns the next pending deadline. */
  #expire(nowMs: number): number {
    for (let front = this.#queue.peek(); front; front = this.#queue.peek()) {
      if (!front.isDone && front.deadlineMs > nowMs) return front.deadlineMs;
      this.#queue.shift();
      front.wakeupCustomer("FLUSH_DISK_TIMEOUT");
    }
    return Number.POSITIVE_INFINITY;
  }
}
