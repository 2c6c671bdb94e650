/** How a wait for new messages ended. */
export type PollWaitOutcome = "NOTIFIED" | "TIMEOUT" | "ABORTED" | "SHUTDOWN";

/** What the long polling needs of the store: news of messages reaching a consume queue. */
export interface DispatchSource {
  /** Subscribes to new messages reaching a queue; returns the unsubscribe function. */
  onMessageDispatched(
    listener: (topic: string, queueId: number, maxOffset: number) => void,
  ): () => void;
}

/**
 * A registered poll. Register before looking for messages, then wait: a message dispatched between
 * the look and the wait is not missed (the waiter remembers it was notified).
 */
export class PollWaiter {
  readonly topics: readonly string[];
  #outcome: PollWaitOutcome | null = null;
  #wake: ((outcome: PollWaitOutcome) => void) | null = null;
  readonly #onDone: (waiter: PollWaiter) => void;

  /** @internal */
  constructor(topics: readonly string[], onDone: (waiter: PollWaiter) => void) {
    this.topics = topics;
    this.#onDone = onDone;
  }

  /** @internal Ends the wait (first outcome wins). */
  settle(outcome: PollWaitOutcome): void {
    if (this.#outcome !== null) return;
    this.#outcome = outcome;
    this.#onDone(this);
    this.#wake?.(outcome);
  }

  /**
   * Waits until a message reaches one of `topics`, `timeoutMs` passes, `signal` aborts, or the
   * service shuts down. Resolves at once when one of these already happened.
   */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<PollWaitOutcome> {
    if (this.#outcome !== null) return Promise.resolve(this.#outcome);
    if (signal?.aborted === true) {
      this.settle("ABORTED");
      return Promise.resolve("ABORTED");
    }
    return new Promise<PollWaitOutcome>((resolve) => {
      const timer = setTimeout(() => this.settle("TIMEOUT"), Math.max(0, timeoutMs));
      const onAbort = (): void => this.settle("ABORTED");
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#wake = (outcome) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve(outcome);
      };
    });
  }

  /** Unregisters without waiting (messages were found). */
  cancel(): void {
    this.settle("ABORTED");
  }
}

/**
 * Holds pops that found nothing until a message arrives (RocketMQ's PopLongPollingService), with a
 * bound on how many polls may wait at once: past it `register` returns null and the caller answers
 * "polling full" instead of holding the request.
 */
export class PopLongPollingService {
  readonly maxWaitingPolls: number;
  readonly #source: DispatchSource;
  readonly #byTopic = new Map<string, Set<PollWaiter>>();
  #waiting = 0;
  #unsubscribe: (() => void) | null = null;
  #stopped = false;

  constructor(source: DispatchSource, maxWaitingPolls: number) {
    if (!Number.isSafeInteger(maxWaitingPolls) || maxWaitingPolls < 1)
      throw new RangeError("maxWaitingPolls must be >= 1");
    this.#source = source;
    this.maxWaitingPolls = maxWaitingPolls;
  }

  /** Polls waiting now. */
  get waitingPolls(): number {
    return this.#waiting;
  }

  start(): void {
    this.#stopped = false;
    this.#unsubscribe ??= this.#source.onMessageDispatched((topic) => this.notify(topic));
  }

  /** Registers a poll on `topics`; null when `maxWaitingPolls` polls already wait or the service stopped. */
  register(topics: readonly string[]): PollWaiter | null {
    if (this.#stopped || this.#waiting >= this.maxWaitingPolls) return null;
    const waiter = new PollWaiter(topics, (done) => this.#remove(done));
    this.#waiting++;
    for (const topic of topics) {
      let set = this.#byTopic.get(topic);
      if (set === undefined) {
        set = new Set();
        this.#byTopic.set(topic, set);
      }
      set.add(waiter);
    }
    return waiter;
  }

  /** Wakes every poll waiting on `topic`. */
  notify(topic: string): void {
    const set = this.#byTopic.get(topic);
    if (set === undefined) return;
    for (const waiter of [...set]) waiter.settle("NOTIFIED");
  }

  /** Wakes every waiting poll with SHUTDOWN and stops listening. */
  shutdown(): void {
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    for (const set of [...this.#byTopic.values()])
      for (const waiter of [...set]) waiter.settle("SHUTDOWN");
  }

  #remove(waiter: PollWaiter): void {
    this.#waiting--;
    for (const topic of waiter.topics) {
      const set = this.#byTopic.get(topic);
      set?.delete(waiter);
      if (set?.size === 0) this.#byTopic.delete(topic);
    }
  }
}
