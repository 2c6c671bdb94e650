/**
 * Flow control for sends (RocketMQ's cleanExpiredRequest and isOSPageCacheBusy, over puts instead of
 * a thread pool queue): the broker tracks every put in flight with its start time. A new send is
 * refused with SYSTEM_BUSY, before it reaches the store, when
 *   - a put has been in flight longer than `osPageCacheBusyTimeOutMills` (the store is stalled):
 *     `[PC_SYNCHRONIZED]`;
 *   - the oldest put in flight started more than `waitTimeMillsInSendQueue` ago (a new send would
 *     wait at least that long behind it): `[TIMEOUT_CLEAN_QUEUE]`;
 *   - `capacity` puts are already in flight: `[OVERLOAD]`.
 * So the puts a flood can pile up, and the request bodies they hold, stay bounded.
 */
export class SendFlowControl {
  readonly #inFlight = new Map<number, number>();
  readonly #waitTimeMs: number;
  readonly #pageCacheBusyMs: number;
  readonly #capacity: number;
  #nextId = 1;

  constructor(options: {
    readonly waitTimeMillsInSendQueue: number;
    readonly osPageCacheBusyTimeOutMills: number;
    readonly capacity: number;
  }) {
    this.#waitTimeMs = options.waitTimeMillsInSendQueue;
    this.#pageCacheBusyMs = options.osPageCacheBusyTimeOutMills;
    this.#capacity = options.capacity;
  }

  /** Puts in flight now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** The SYSTEM_BUSY remark when a send must be refused now, else null. */
  refusal(now = Date.now()): string | null {
    const oldest = this.#inFlight.values().next();
    if (oldest.done === true) return null;
    const period = now - oldest.value;
    if (period > this.#pageCacheBusyMs)
      return `[PC_SYNCHRONIZED]broker busy, start flow control for a while, period in queue: ${period}ms`;
    if (period > this.#waitTimeMs) {
      return `[TIMEOUT_CLEAN_QUEUE]broker busy, start flow control for a while, period in queue: ${period}ms, size of queue: ${this.#inFlight.size}`;
    }
    if (this.#inFlight.size >= this.#capacity)
      return `[OVERLOAD]system busy, start flow control for a while, size of queue: ${this.#inFlight.size}`;
    return null;
  }

  /** Records a put starting; pass the id to `end`. */
  begin(now = Date.now()): number {
    const id = this.#nextId++;
    this.#inFlight.set(id, now);
    return id;
  }

  /** Marks send `id` finished, so the next queued send may start. */
  end(id: number): void {
    this.#inFlight.delete(id);
  }
}
