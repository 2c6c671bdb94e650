import type { RemotingCommand } from "../remoting/remoting-command.js";
import type { RequestContext } from "../request-processor.js";

/** A PULL suspended until a message arrives in its queue or its time is up (PullRequest.java). */
export interface HeldPull {
  readonly request: RemotingCommand;
  readonly context: RequestContext;
  readonly topic: string;
  readonly queueId: number;
  /** The offset the client asked for: a message past it wakes the pull. */
  readonly pullFromThisOffset: number;
  /** Answers the held pull with its response; null when its connection closed meanwhile. */
  readonly resolve: (response: RemotingCommand | null) => void;
}

/** Re-runs a woken pull without suspending it again and resolves its response. */
export type WakeUp = (pull: HeldPull) => void;

interface Entry {
  readonly pull: HeldPull;
  readonly timer: NodeJS.Timeout;
}

/**
 * Long polling (PullRequestHoldService.java): PULLs that found nothing wait here, per queue, until
 * the store dispatches a message past their offset (`notifyMessageArriving`) or their hold time
 * passes; then they are run again and answered. At most `maxHeld` wait at once.
 */
export class PullRequestHoldService {
  readonly #queues = new Map<string, Set<Entry>>();
  readonly #maxHeld: number;
  readonly #wakeUp: WakeUp;
  #held = 0;
  #stopped = false;

  constructor(options: { readonly maxHeld: number; readonly wakeUp: WakeUp }) {
    this.#maxHeld = options.maxHeld;
    this.#wakeUp = options.wakeUp;
  }

  /** Pulls waiting now. */
  get heldCount(): number {
    return this.#held;
  }

  /**
   * Holds `pull` for up to `holdMs`. False (not held) when the service is full or shut down: the
   * caller answers at once.
   */
  suspendPullRequest(pull: HeldPull, holdMs: number): boolean {
    if (this.#stopped || this.#held >= this.#maxHeld) return false;
    const key = `${pull.topic}@${pull.queueId}`;
    let entries = this.#queues.get(key);
    if (entries === undefined) this.#queues.set(key, (entries = new Set()));
    const set = entries;
    const entry: Entry = { pull, timer: setTimeout(() => this.#release(key, set, entry), holdMs) };
    set.add(entry);
    this.#held++;
    return true;
  }

  /** The store dispatched messages to a queue up to `maxOffset` (exclusive): wake the pulls it satisfies. */
  notifyMessageArriving(topic: string, queueId: number, maxOffset: number): void {
    const key = `${topic}@${queueId}`;
    const entries = this.#queues.get(key);
    if (entries === undefined) return;
    for (const entry of [...entries])
      if (maxOffset > entry.pull.pullFromThisOffset) this.#release(key, entries, entry);
  }

  /** Refuses further holds and answers every held pull now (broker shutdown). */
  shutdown(): void {
    this.#stopped = true;
    for (const [key, entries] of [...this.#queues])
      for (const entry of [...entries]) this.#release(key, entries, entry);
  }

  #release(key: string, entries: Set<Entry>, entry: Entry): void {
    if (!entries.delete(entry)) return;
    clearTimeout(entry.timer);
    this.#held--;
    if (entries.size === 0) this.#queues.delete(key);
    if (!entry.pull.context.connection.isOpen) {
      entry.pull.resolve(null);
      return;
    }
    this.#wakeUp(entry.pull);
  }
}
