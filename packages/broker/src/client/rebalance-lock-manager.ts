import type { MessageQueue } from "../remoting/lock-batch-mq/request.js";

interface LockEntry {
  clientId: string;
  lastUpdateTimestamp: number;
}

/** Locks held at most over all groups; a lock request beyond it locks nothing new. */
export const MAX_QUEUE_LOCKS = 1_000_000;

function queueKey(mq: MessageQueue): string {
  return `${mq.topic}\u0001${mq.brokerName}\u0001${mq.queueId}`;
}

/**
 * Queue locks of orderly consumers (RebalanceLockManager.java): a queue belongs to one client of a
 * group until that client unlocks it or stops renewing it for `lockMaxLiveTimeMs`.
 */
export class RebalanceLockManager {
  readonly #groups = new Map<string, Map<string, LockEntry>>();
  readonly #lockMaxLiveTimeMs: number;
  #count = 0;

  constructor(lockMaxLiveTimeMs: number) {
    this.#lockMaxLiveTimeMs = lockMaxLiveTimeMs;
  }

  /** Locks (or renews) each queue not held by another live client; returns the queues now held by `clientId`. */
  tryLockBatch(
    group: string,
    mqs: readonly MessageQueue[],
    clientId: string,
    now = Date.now(),
  ): MessageQueue[] {
    let locks = this.#groups.get(group);
    if (locks === undefined) this.#groups.set(group, (locks = new Map<string, LockEntry>()));
    const locked: MessageQueue[] = [];
    for (const mq of mqs) {
      const key = queueKey(mq);
      const entry = locks.get(key);
      if (entry === undefined) {
        if (this.#count >= MAX_QUEUE_LOCKS) continue;
        locks.set(key, { clientId, lastUpdateTimestamp: now });
        this.#count++;
        locked.push(mq);
      } else if (
        entry.clientId === clientId ||
        now - entry.lastUpdateTimestamp > this.#lockMaxLiveTimeMs
      ) {
        entry.clientId = clientId;
        entry.lastUpdateTimestamp = now;
        locked.push(mq);
      }
    }
    if (locks.size === 0) this.#groups.delete(group);
    return locked;
  }

  /** Releases the queues `clientId` holds. */
  unlockBatch(group: string, mqs: readonly MessageQueue[], clientId: string): void {
    const locks = this.#groups.get(group);
    if (locks === undefined) return;
    for (const mq of mqs) {
      const key = queueKey(mq);
      if (locks.get(key)?.clientId === clientId) {
        locks.delete(key);
        this.#count--;
      }
    }
    if (locks.size === 0) this.#groups.delete(group);
  }

  /** Whether no client of the group holds a live lock (orderly consumption is not in progress). */
  isLockAllExpired(group: string, now = Date.now()): boolean {
    for (const entry of this.#groups.get(group)?.values() ?? [])
      if (now - entry.lastUpdateTimestamp <= this.#lockMaxLiveTimeMs) return false;
    return true;
  }
}
