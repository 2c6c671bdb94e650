import { join } from "node:path";
import type { PutMessageResult } from "@store/commitlog";
import { decodeMessage, PROPERTY_REAL_QUEUE_ID, PROPERTY_REAL_TOPIC } from "@store/message-codec";
import type { DecodedMessage, MessageInput } from "@store/message-codec";
import { isPutStored } from "@store/commitlog";
import type { FileIO } from "@store/mapped-file";
import { ensureDirectory, nodeFileIO } from "@store/mapped-file";
import type { Logger } from "pino";
import { pino } from "pino";
import { AtomicStateFile } from "./atomic-state-file.js";
import { PROPERTY_TIMER_DELIVER_MS, PROPERTY_TIMER_OUT_MS, TIMER_TOPIC } from "./key-builder.js";
import { MinHeap } from "./min-heap.js";
import { OffsetRangeSet } from "./offset-range-set.js";
import { PopError } from "./pop-error.js";
import type { PopClock, PopMessageStore } from "./pop-types.js";
import { systemClock } from "./pop-types.js";

/** The timed-delivery state file, under `<storePathRootDir>/config/`. */
export const TIMER_STATE_FILE = "timerState.json";
const TIMER_STATE_VERSION = 1;
/** Timer-queue messages read per step when the pending set is rebuilt at start. */
const SCAN_BATCH = 32;

/** Options of the `TimerMessageService` (delayed delivery): the store, where its state is kept, I/O and clock. */
export interface TimerMessageServiceOptions {
  readonly store: Omit<PopMessageStore, "onMessageDispatched">;
  /** The state is kept in `<storePathRootDir>/config/timerState.json`. */
  readonly storePathRootDir: string;
  readonly io?: FileIO;
  readonly clock?: PopClock;
  readonly logger?: Logger;
  /** Timed messages waiting at most; past it a put answers TIMER_FULL. Default 100,000. */
  readonly maxPendingMessages?: number;
  /** Longest sleep of the delivery loop, ms (it also wakes at the next delivery time). Default 1000. */
  readonly intervalMs?: number;
}

/** The outcome of a timed put: the store's, or TIMER_FULL when too many messages wait. */
export type TimerPutResult =
  PutMessageResult | { readonly status: "TIMER_FULL"; readonly reason: string };

interface Pending {
  readonly queueOffset: number;
  readonly commitLogOffset: number;
}

/**
 * Timed delivery (RocketMQ 5's TIMER_DELIVER_MS, done without a timer wheel): a message due later is
 * stored in the system topic `rmq_sys_wheel_timer` (queue 0) with REAL_TOPIC / REAL_QID naming its
 * destination; at its delivery time a copy is stored in the real topic and queue (keeping
 * TIMER_DELIVER_MS, adding TIMER_OUT_MS), where consumers see it. The waiting messages are indexed in
 * memory (a heap by delivery time) and rebuilt at start from the timer queue, from the first offset not
 * yet delivered; which offsets were delivered is persisted in `config/timerState.json`. A message is
 * delivered at least once: a crash between its copy and the state write delivers it again.
 */
export class TimerMessageService {
  readonly maxPendingMessages: number;
  readonly #options: TimerMessageServiceOptions;
  readonly #clock: PopClock;
  readonly #logger: Logger;
  readonly #file: AtomicStateFile;
  readonly #heap = new MinHeap<Pending>();
  #delivered = new OffsetRangeSet();
  /** Every timer-queue offset below this was delivered. */
  #watermark = 0;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Number.POSITIVE_INFINITY;
  #round: Promise<number> | null = null;
  #running = false;

  constructor(options: TimerMessageServiceOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? pino({ level: "silent" });
    this.maxPendingMessages = options.maxPendingMessages ?? 100_000;
    this.#file = new AtomicStateFile(
      join(options.storePathRootDir, "config", TIMER_STATE_FILE),
      options.io ?? nodeFileIO,
    );
  }

  /** Messages waiting for their delivery time. */
  get pendingCount(): number {
    return this.#heap.size;
  }

  /**
   * Loads the state, re-reads the waiting messages from the timer queue and starts delivering.
   * @throws PopError CORRUPT_STATE, PERSIST_FAILED.
   */
  async start(): Promise<void> {
    if (this.#running) return;
    await ensureDirectory(
      this.#options.io ?? nodeFileIO,
      join(this.#options.storePathRootDir, "config"),
    );
    this.#load(await this.#file.read());
    await this.#rebuild();
    this.#running = true;
    this.#schedule();
  }

  /** Stops the loop (waiting messages stay stored and are delivered after the next start). */
  async shutdown(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#round;
    await this.#persist().catch((error: unknown) =>
      this.#logger.error({ err: error }, "timer state not written at shutdown"),
    );
  }

  /**
   * Stores `message` for delivery at `deliverAtMs` (ms since the epoch): into its topic at once when that
   * time has come, else into the timer topic.
   * @throws PopError NOT_RUNNING.
   */
  async putTimerMessage(message: MessageInput, deliverAtMs: number): Promise<TimerPutResult> {
    if (!this.#running) throw new PopError("NOT_RUNNING", "the timer service is not running");
    const properties: Record<string, string> = {
      ...message.properties,
      [PROPERTY_TIMER_DELIVER_MS]: String(deliverAtMs),
    };
    if (deliverAtMs <= this.#clock.now())
      return this.#options.store.putMessage({ ...message, properties });
    if (this.#heap.size >= this.maxPendingMessages) {
      return {
        status: "TIMER_FULL",
        reason: `${this.maxPendingMessages} timed messages are waiting`,
      };
    }
    properties[PROPERTY_REAL_TOPIC] = message.topic;
    properties[PROPERTY_REAL_QUEUE_ID] = String(message.queueId ?? 0);
    const result = await this.#options.store.putMessage({
      ...message,
      topic: TIMER_TOPIC,
      queueId: 0,
      properties,
    });
    const append = result.appendResult;
    if (isPutStored(result) && append !== undefined) {
      this.#heap.push(deliverAtMs, {
        queueOffset: append.logicsOffset,
        commitLogOffset: append.wroteOffset,
      });
      this.#schedule();
    }
    return result;
  }

  /** Delivers every message due at the clock's now; resolves how many. Rounds do not overlap. */
  async deliverDue(): Promise<number> {
    while (this.#round) await this.#round;
    this.#round = this.#deliverRound();
    try {
      return await this.#round;
    } finally {
      this.#round = null;
      this.#schedule();
    }
  }

  async #deliverRound(): Promise<number> {
    let delivered = 0;
    for (;;) {
      const due = this.#heap.peekKey();
      if (due === undefined || due > this.#clock.now()) break;
      const pending = this.#heap.pop() as Pending;
      const outcome = await this.#deliver(pending);
      if (outcome === "FAILED") {
        this.#heap.push(this.#clock.now() + 1000, pending);
        break;
      }
      this.#markDelivered(pending.queueOffset);
      delivered++;
    }
    if (delivered > 0)
      void this.#persist().catch((error: unknown) =>
        this.#logger.error({ err: error }, "timer state not written"),
      );
    return delivered;
  }

  async #deliver(pending: Pending): Promise<"DELIVERED" | "GONE" | "FAILED"> {
    const store = this.#options.store;
    const message = await store.lookMessageByOffset(pending.commitLogOffset).catch(() => undefined);
    if (message === undefined) return "FAILED";
    if (message === null) {
      this.#logger.warn({ pending }, "timed message no longer stored; skipped");
      return "GONE";
    }
    const result = await store
      .putMessage(this.#realMessage(message))
      .catch((error: unknown) => ({ status: "UNKNOWN_ERROR" as const, reason: String(error) }));
    if (isPutStored(result)) return "DELIVERED";
    this.#logger.error(
      { status: result.status, reason: result.reason },
      "timed message not delivered; retrying",
    );
    return "FAILED";
  }

  #realMessage(message: DecodedMessage): MessageInput {
    const properties: Record<string, string> = { ...message.properties };
    const topic = properties[PROPERTY_REAL_TOPIC] ?? message.topic;
    const queueId = Number(properties[PROPERTY_REAL_QUEUE_ID] ?? 0);
    delete properties[PROPERTY_REAL_TOPIC];
    delete properties[PROPERTY_REAL_QUEUE_ID];
    properties[PROPERTY_TIMER_OUT_MS] = String(this.#clock.now());
    return {
      topic,
      queueId: Number.isSafeInteger(queueId) && queueId >= 0 ? queueId : 0,
      body: message.body,
      flag: message.flag,
      sysFlag: message.sysFlag,
      bornTimestamp: message.bornTimestamp,
      bornHost: message.bornHost,
      reconsumeTimes: message.reconsumeTimes,
      properties,
    };
  }

  #markDelivered(queueOffset: number): void {
    this.#delivered.add(queueOffset);
    while (this.#delivered.has(this.#watermark)) this.#watermark++;
    this.#delivered.dropBelow(this.#watermark);
  }

  #load(text: string | null): void {
    if (text === null) return;
    const path = this.#file.path;
    let data: { version?: unknown; watermark?: unknown; delivered?: unknown };
    try {
      data = JSON.parse(text) as typeof data;
    } catch (error) {
      throw new PopError("CORRUPT_STATE", `${path} is not JSON`, { cause: error });
    }
    const ranges = data.delivered;
    const validRanges =
      Array.isArray(ranges) &&
      ranges.every(
        (r) =>
          Array.isArray(r) &&
          r.length === 2 &&
          Number.isSafeInteger(r[0]) &&
          Number.isSafeInteger(r[1]),
      );
    if (
      data.version !== TIMER_STATE_VERSION ||
      !Number.isSafeInteger(data.watermark) ||
      !validRanges
    ) {
      throw new PopError(
        "CORRUPT_STATE",
        `${path}: expected {"version":1,"watermark":<int>,"delivered":[[start,end],...]}`,
      );
    }
    this.#watermark = data.watermark as number;
    this.#delivered = OffsetRangeSet.fromRanges(ranges as [number, number][]);
  }

  /** Re-reads the timer queue from the watermark: every message not delivered waits again. */
  async #rebuild(): Promise<void> {
    const store = this.#options.store;
    this.#heap.clear();
    const min = store.getMinOffsetInQueue(TIMER_TOPIC, 0);
    if (this.#watermark < min) {
      this.#logger.warn(
        { from: this.#watermark, to: min },
        "timed messages removed by retention before delivery",
      );
      this.#watermark = min;
      this.#delivered.dropBelow(min);
    }
    const max = store.getMaxOffsetInQueue(TIMER_TOPIC, 0);
    let offset = this.#watermark;
    while (offset < max) {
      const result = await store.getMessage("timer", TIMER_TOPIC, 0, offset, SCAN_BATCH);
      if (result.status !== "FOUND" || result.nextBeginOffset <= offset) break;
      for (const record of result.messages) {
        const decoded = decodeMessage(record, 0, { checkCRC: false });
        if (!decoded.ok || this.#delivered.has(decoded.message.queueOffset)) continue;
        const deliverAt = Number(decoded.message.properties[PROPERTY_TIMER_DELIVER_MS] ?? 0);
        const pending = {
          queueOffset: decoded.message.queueOffset,
          commitLogOffset: decoded.message.physicalOffset,
        };
        this.#heap.push(Number.isFinite(deliverAt) ? deliverAt : 0, pending);
      }
      offset = result.nextBeginOffset;
    }
  }

  #persist(): Promise<void> {
    return this.#file.write(() =>
      JSON.stringify({
        version: TIMER_STATE_VERSION,
        watermark: this.#watermark,
        delivered: this.#delivered.ranges(),
      }),
    );
  }

  #schedule(): void {
    if (!this.#running || this.#round !== null) return;
    const now = this.#clock.now();
    const next = Math.min(
      this.#heap.peekKey() ?? Number.POSITIVE_INFINITY,
      now + (this.#options.intervalMs ?? 1000),
    );
    if (this.#timer !== null && this.#timerAt <= next) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timerAt = next;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#timerAt = Number.POSITIVE_INFINITY;
        void this.deliverDue().catch((error: unknown) =>
          this.#logger.error({ err: error }, "timer round failed"),
        );
      },
      Math.max(0, next - now),
    );
    this.#timer.unref();
  }
}
