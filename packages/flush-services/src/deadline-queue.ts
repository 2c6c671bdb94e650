import type { GroupCommitRequest } from "./group-commit-request.js";

/** Compact the backing array once this many slots at its head are dead. */
const COMPACT_THRESHOLD = 1024;

/**
 * Requests ordered by deadline (earliest first) for FlushDiskWatcher. Requests usually arrive in
 * deadline order (one timeout for all), so an insert is an O(1) push; an earlier deadline is placed by
 * binary search. Done requests leave from the front (amortised O(1)); a done one behind a pending one
 * waits there until it reaches the front.
 */
export class DeadlineQueue {
  #items: GroupCommitRequest[] = [];
  #head = 0;

  /** Entries held, done ones included. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** The earliest-deadline entry, or undefined when empty. */
  peek(): GroupCommitRequest | undefined {
    return this.#items[this.#head];
  }

  /** Inserts in deadline order (after entries with the same deadline). */
  push(request: GroupCommitRequest): void {
    const items = this.#items;
    const last = items[items.length - 1];
    if (last === undefined || this.length === 0 || last.deadlineMs <= request.deadlineMs) {
      items.push(request);
      return;
    }
    let low = this.#head;
    let high = items.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((items[middle]?.deadlineMs ?? 0) <= request.deadlineMs) low = middle + 1;
      else high = middle;
    }
    items.splice(low, 0, request);
  }

  /** Removes and returns the front entry. */
  shift(): GroupCommitRequest | undefined {
    const front = this.#items[this.#head];
    if (front === undefined) return undefined;
    this.#head++;
    this.#compact();
    return front;
  }

  /** Drops done entries from the front. */
  pruneDone(): void {
    while (this.peek()?.isDone === true) this.#head++;
    this.#compact();
  }

  /** Entries not done yet (O(n): diagnostics only). */
  countPending(): number {
    let pending = 0;
    for (let i = this.#head; i < this.#items.length; i++)
      if (this.#items[i]?.isDone === false) pending++;
    return pending;
  }

  #compact(): void {
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= COMPACT_THRESHOLD && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
