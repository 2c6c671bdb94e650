import type { Logger } from "pino";
import type { CommitLogEvents } from "./commit-log-events.js";
import type { DispatchListener } from "./reput-message-service.js";
import type { StoreCheckpoint } from "./store-checkpoint.js";

/** What the store's events act on. */
export interface StoreEventsTargets {
  /** Wakes the dispatcher (a put or a commit made new records readable). */
  readonly wakeDispatch: () => void;
  /** Takes the store time of the last flushed record (physicMsgTimestamp). */
  readonly checkpoint: StoreCheckpoint;
  readonly logger: Logger;
}

/**
 * The message store's observer of its commit log (see CommitLogEvents): an append or a commit wakes
 * the dispatcher, a flush moves the checkpoint's physicMsgTimestamp, a dispatch tells the listeners
 * of `MessageStore.onMessageDispatched` and records the store time the consume-queue flush may
 * write to the checkpoint.
 */
export class StoreEvents implements CommitLogEvents {
  readonly #targets: StoreEventsTargets;
  readonly #listeners = new Set<DispatchListener>();
  #lastDispatchedTimestamp = 0;

  constructor(targets: StoreEventsTargets) {
    this.#targets = targets;
  }

  appended(): void {
    this.#targets.wakeDispatch();
  }

  committed(): void {
    this.#targets.wakeDispatch();
  }

  flushed(storeTimestamp: number): void {
    if (storeTimestamp > 0) this.#targets.checkpoint.physicMsgTimestamp = storeTimestamp;
  }

  readonly dispatched = (topic: string, queueId: number, maxOffset: number): void => {
    for (const listener of this.#listeners) {
      try {
        listener(topic, queueId, maxOffset);
      } catch (error) {
        this.#targets.logger.error({ err: error }, "dispatch listener threw");
      }
    }
  };

  dispatchedUpTo(storeTimestamp: number): void {
    this.#lastDispatchedTimestamp = storeTimestamp;
  }

  /** Store time of the last unit dispatched, ms (0 before any). */
  get lastDispatchedTimestamp(): number {
    return this.#lastDispatchedTimestamp;
  }

  /** Calls `listener` on every `dispatched` event; returns a function that unsubscribes. */
  onDispatched(listener: DispatchListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
