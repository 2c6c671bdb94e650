import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { decodeMessage, PROPERTY_RETRY_TOPIC, TOPIC_PATTERN } from "@store/message-codec";
import type { DecodedMessage } from "@store/message-codec";
import type { FileIO } from "@store/mapped-file";
import { ensureDirectory, nodeFileIO } from "@store/mapped-file";
import type { Logger } from "pino";
import { pino } from "pino";
import { AtomicStateFile } from "./atomic-state-file.js";
import { DEFAULT_MAX_RECONSUME_TIMES, retryTopicOf } from "./key-builder.js";
import { PopError } from "./pop-error.js";
import { PopLongPollingService } from "./pop-long-polling-service.js";
import { PopReviveService } from "./pop-revive-service.js";
import type { PopCheckPoint } from "./pop-state.js";
import { PopState } from "./pop-state.js";
import type {
  AckResult,
  ChangeInvisibleTimeResult,
  ForwardResult,
  PopClock,
  PopLimits,
  PopMessageStore,
  PoppedMessage,
  PopRequest,
  PopResult,
  PopTopicSource,
} from "./pop-types.js";
import { DEFAULT_POP_LIMITS, systemClock } from "./pop-types.js";
import { TagFilter } from "./tag-filter.js";

/** Group and topic pairs whose next first queue is remembered; past it the memory starts over. */
const MAX_ROTATION_ENTRIES = 10_000;

/** The pop state file, under `<storePathRootDir>/config/`. */
export const POP_STATE_FILE = "popState.json";

/** Options of the `PopService`: the store, its topics, where its state is kept, I/O and limits. */
export interface PopServiceOptions {
  readonly store: PopMessageStore;
  readonly topics: PopTopicSource;
  /** The state is kept in `<storePathRootDir>/config/popState.json`. */
  readonly storePathRootDir: string;
  /** File access; a SimulatedDisk in crash tests. Default node:fs. */
  readonly io?: FileIO;
  readonly clock?: PopClock;
  readonly logger?: Logger;
  /** A group's `maxReconsumeTimes` (RocketMQ's retryMaxTimes); default 16 for every group. */
  readonly maxReconsumeTimes?: (group: string) => number;
  readonly limits?: Partial<PopLimits>;
  /**
   * Where a group starts in a queue it never popped from: a queue offset, or undefined for the
   * queue's first retained message. The broker passes the group's committed pull offset, so a group
   * that moves from 4.x (pull) clients to 5.x (pop) clients continues where it was.
   */
  readonly initialOffset?: (
    group: string,
    queueTopic: string,
    queueId: number,
  ) => number | undefined;
  /** Told after each pop that found messages: how many, and their stored records' bytes (metrics). Never throws. */
  readonly onMessagesOut?: (event: {
    readonly group: string;
    readonly topic: string;
    readonly messages: number;
    readonly bytes: number;
  }) => void;
}

/** Where one pop looks: the topic's own queues, or the group's retry topic. */
interface PopSource {
  readonly queueTopic: string;
  readonly queueCount: number;
  readonly retry: boolean;
}

/** One pop in progress. */
interface PopContext {
  readonly request: PopRequest;
  readonly filter: TagFilter;
  readonly max: number;
  readonly invisibleTimeMs: number;
  readonly popTime: number;
  readonly out: PoppedMessage[];
}

function isLegalName(name: string): boolean {
  return name.length > 0 && name.length <= 127 && TOPIC_PATTERN.test(name);
}

/**
 * Pop consumption (RocketMQ 5's model, which the gRPC consumers use). A pop hands out up to N
 * messages of a group's view of a topic (its queues and the group's retry topic), each with a receipt
 * handle and invisible for a while; an ack removes a message for the group; a change of invisible time
 * issues a new handle and invalidates the old; a message not acked in time is revived (copied to
 * `%RETRY%<group>` with its delivery attempt raised) and, past `maxReconsumeTimes`, dead-lettered to
 * `%DLQ%<group>`. A new group starts at each queue's first retained message.
 *
 * The state (consumed offsets and in-flight check points) lives in `config/popState.json`, replaced
 * atomically. An ack, a change of invisible time and a forward resolve only once the state that
 * carries them is durable, so an acked message is never delivered again after a restart or a crash;
 * a message popped but not acked comes back after its invisible time (at least once).
 */
export class PopService {
  readonly limits: PopLimits;
  readonly #options: PopServiceOptions;
  readonly #clock: PopClock;
  readonly #logger: Logger;
  readonly #file: AtomicStateFile;
  readonly #bootTag = randomBytes(4).toString("hex");
  readonly #locks = new Set<string>();
  readonly #rotation = new Map<string, number>();
  #state = new PopState();
  #polling: PopLongPollingService;
  #revive: PopReviveService;
  #sequence = 0;
  #popCount = 0;
  #running = false;

  constructor(options: PopServiceOptions) {
    this.#options = options;
    this.limits = { ...DEFAULT_POP_LIMITS, ...options.limits };
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? pino({ level: "silent" });
    this.#file = new AtomicStateFile(
      join(options.storePathRootDir, "config", POP_STATE_FILE),
      options.io ?? nodeFileIO,
    );
    this.#polling = new PopLongPollingService(options.store, this.limits.maxWaitingPolls);
    this.#revive = this.#newReviveService();
  }

  /**
   * Loads the state and starts the revive loop and long polling.
   * @throws PopError CORRUPT_STATE when the state file is not valid state; PERSIST_FAILED when unreadable.
   */
  async start(): Promise<void> {
    if (this.#running) return;
    await ensureDirectory(
      this.#options.io ?? nodeFileIO,
      join(this.#options.storePathRootDir, "config"),
    );
    const text = await this.#file.read();
    this.#state = text === null ? new PopState() : PopState.fromJSON(text, this.#file.path);
    this.#revive = this.#newReviveService();
    this.#polling = new PopLongPollingService(this.#options.store, this.limits.maxWaitingPolls);
    this.#polling.start();
    this.#revive.start();
    this.#running = true;
  }

  /** Ends waiting pops (SHUTTING_DOWN), stops reviving and writes the state. Idempotent. */
  async shutdown(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#polling.shutdown();
    await this.#revive.shutdown();
    await this.#persist().catch((error: unknown) =>
      this.#logger.error({ err: error }, "pop state not written at shutdown"),
    );
  }

  /** A group's reconsume limit. */
  maxReconsumeTimes(group: string): number {
    return this.#options.maxReconsumeTimes?.(group) ?? DEFAULT_MAX_RECONSUME_TIMES;
  }

  /** Messages in flight (popped, not acked, not revived) over all groups. */
  get inFlightCount(): number {
    return this.#state.checkPoints.size;
  }

  /** Pops waiting for messages now. */
  get waitingPolls(): number {
    return this.#polling.waitingPolls;
  }

  /** The next queue offset the group pops from in `topic`'s queue, or undefined when it never popped there. */
  getConsumedOffset(group: string, topic: string, queueId: number): number | undefined {
    return this.#state.getOffset(group, topic, topic, queueId);
  }

  /** Every group, topic and queue of the topic's own queues the service has popped from, with the next offset. */
  consumedOffsets(): { group: string; topic: string; queueId: number; offset: number }[] {
    return this.#state.topicOffsets();
  }

  /**
   * Pops up to `maxMessages` messages, waiting up to `pollTimeMs` for one when none is ready.
   * @throws PopError BAD_ARGUMENT (illegal group or topic, bad expression), NOT_RUNNING.
   */
  async pop(request: PopRequest): Promise<PopResult> {
    this.#checkRunning();
    if (!isLegalName(request.group))
      throw new PopError("BAD_ARGUMENT", `illegal consumer group "${request.group}"`);
    if (!isLegalName(request.topic))
      throw new PopError("BAD_ARGUMENT", `illegal topic "${request.topic}"`);
    const filter = TagFilter.parse(request.expression);
    const pollTimeMs = Math.min(Math.max(0, request.pollTimeMs ?? 0), this.limits.maxPollTimeMs);
    const deadline = Date.now() + pollTimeMs;
    for (;;) {
      if (this.#state.checkPoints.size >= this.limits.maxInFlightMessages)
        return { status: "IN_FLIGHT_FULL", messages: [] };
      const remaining = deadline - Date.now();
      const waiter =
        remaining > 0 ? this.#polling.register([request.topic, retryTopicOf(request.group)]) : null;
      const messages = await this.#popOnce(request, filter);
      if (messages.length > 0 || remaining <= 0) {
        waiter?.cancel();
        if (messages.length > 0) this.#reportOut(request, messages);
        return { status: messages.length > 0 ? "FOUND" : "NO_NEW_MSG", messages };
      }
      if (waiter === null)
        return { status: this.#running ? "POLLING_FULL" : "SHUTTING_DOWN", messages: [] };
      const outcome = await waiter.wait(remaining, request.signal);
      if (outcome === "SHUTDOWN") return { status: "SHUTTING_DOWN", messages: [] };
      if (outcome === "ABORTED") return { status: "NO_NEW_MSG", messages: [] };
      // NOTIFIED: look again; TIMEOUT: one last look (remaining is now <= 0).
    }
  }

  /** Acks a message: it is not delivered to the group again. Resolves once that is durable. */
  async ack(group: string, topic: string, receiptHandle: string): Promise<AckResult> {
    this.#checkRunning();
    const checkPoint = this.#find(group, topic, receiptHandle);
    if ("status" in checkPoint) return checkPoint;
    this.#state.checkPoints.delete(receiptHandle);
    await this.#persist();
    return { status: "OK" };
  }

  /**
   * Makes a message invisible for `invisibleTimeMs` from now (clamped to the limits) under a new
   * receipt handle; the old handle stops working. Resolves once that is durable.
   */
  async changeInvisibleTime(
    group: string,
    topic: string,
    receiptHandle: string,
    invisibleTimeMs: number,
  ): Promise<ChangeInvisibleTimeResult> {
    this.#checkRunning();
    const checkPoint = this.#find(group, topic, receiptHandle);
    if ("status" in checkPoint) return checkPoint;
    const invisibleTime = this.#clampInvisible(invisibleTimeMs);
    const popTime = this.#clock.now();
    const renewed: PopCheckPoint = {
      ...checkPoint,
      handle: this.#newHandle(checkPoint),
      popTime,
      invisibleTime,
    };
    this.#state.checkPoints.delete(receiptHandle);
    this.#state.checkPoints.set(renewed.handle, renewed);
    this.#revive.track(renewed);
    await this.#persist();
    return { status: "OK", receiptHandle: renewed.handle, popTime, invisibleTimeMs: invisibleTime };
  }

  /** Moves an in-flight message to `%DLQ%<group>` now and acks it (ForwardMessageToDeadLetterQueue). */
  async forwardToDeadLetterQueue(
    group: string,
    topic: string,
    receiptHandle: string,
  ): Promise<ForwardResult> {
    this.#checkRunning();
    const checkPoint = this.#find(group, topic, receiptHandle);
    if ("status" in checkPoint) return checkPoint;
    this.#state.checkPoints.delete(receiptHandle);
    const outcome = await this.#revive.deadLetter(checkPoint);
    if (outcome === "FAILED") {
      this.#state.checkPoints.set(receiptHandle, checkPoint);
      return {
        status: "PUT_FAILED",
        reason: "the dead-letter copy could not be stored; the message stays in flight",
      };
    }
    await this.#persist();
    return { status: "OK" };
  }

  /** Revives every message whose invisible time has passed (the loop does this on its own). */
  reviveDue(): Promise<number> {
    return this.#revive.reviveDue();
  }

  #find(
    group: string,
    topic: string,
    receiptHandle: string,
  ): PopCheckPoint | (AckResult & { status: "INVALID_RECEIPT_HANDLE" }) {
    const checkPoint = this.#state.checkPoints.get(receiptHandle);
    if (checkPoint === undefined) {
      return {
        status: "INVALID_RECEIPT_HANDLE",
        reason: "unknown receipt handle: acked, changed, revived or never issued",
      };
    }
    if (checkPoint.group !== group || checkPoint.topic !== topic) {
      return {
        status: "INVALID_RECEIPT_HANDLE",
        reason: `the receipt handle belongs to group ${checkPoint.group}, topic ${checkPoint.topic}`,
      };
    }
    return checkPoint;
  }

  async #popOnce(request: PopRequest, filter: TagFilter): Promise<PoppedMessage[]> {
    const context: PopContext = {
      request,
      filter,
      max: Math.max(1, Math.min(Math.trunc(request.maxMessages) || 1, this.limits.maxBatchSize)),
      invisibleTimeMs: this.#clampInvisible(request.invisibleTimeMs),
      popTime: this.#clock.now(),
      out: [],
    };
    const normal: PopSource = {
      queueTopic: request.topic,
      queueCount: this.#options.topics.readQueueNums(request.topic),
      retry: false,
    };
    const retryTopic = retryTopicOf(request.group);
    const retry: PopSource = {
      queueTopic: retryTopic,
      queueCount: Math.max(1, this.#options.topics.readQueueNums(retryTopic)),
      retry: true,
    };
    // As RocketMQ: the retry topic first in one pop of five, so neither starves the other.
    const sources = this.#popCount++ % 5 === 0 ? [retry, normal] : [normal, retry];
    for (const source of sources) {
      if (context.out.length >= context.max) break;
      await this.#popFromSource(context, source);
    }
    if (context.out.length > 0)
      void this.#persist().catch((error: unknown) =>
        this.#logger.error({ err: error }, "pop state not written"),
      );
    return context.out;
  }

  async #popFromSource(context: PopContext, source: PopSource): Promise<void> {
    const rotationKey = `${context.request.group}\u0001${source.queueTopic}`;
    const start = this.#rotation.get(rotationKey) ?? 0;
    if (this.#rotation.size >= MAX_ROTATION_ENTRIES) this.#rotation.clear(); // only spreads reads: safe to forget
    this.#rotation.set(rotationKey, (start + 1) % Math.max(1, source.queueCount));
    for (let index = 0; index < source.queueCount && context.out.length < context.max; index++) {
      const queueId = (start + index) % source.queueCount;
      const lock = `${context.request.group}\u0001${context.request.topic}\u0001${source.queueTopic}\u0001${queueId}`;
      if (this.#locks.has(lock)) continue; // another pop reads this queue now
      this.#locks.add(lock);
      try {
        await this.#popFromQueue(context, source, queueId);
      } finally {
        this.#locks.delete(lock);
      }
    }
  }

  async #popFromQueue(context: PopContext, source: PopSource, queueId: number): Promise<void> {
    const { group, topic } = context.request;
    const store = this.#options.store;
    for (
      let round = 0;
      round < this.limits.maxScanRounds && context.out.length < context.max;
      round++
    ) {
      const offset =
        this.#state.getOffset(group, topic, source.queueTopic, queueId) ??
        this.#startOffset(group, source.queueTopic, queueId);
      const result = await store.getMessage(
        group,
        source.queueTopic,
        queueId,
        offset,
        context.max - context.out.length,
      );
      if (result.status !== "FOUND") {
        const corrected =
          result.nextBeginOffset !== offset &&
          result.status !== "NO_MATCHED_LOGIC_QUEUE" &&
          result.status !== "NO_MESSAGE_IN_QUEUE";
        if (!corrected) return;
        // Removed by retention, or past the end: move to where reading can go on, and read there now.
        this.#state.setOffset(group, topic, source.queueTopic, queueId, result.nextBeginOffset);
        continue;
      }
      let matched = 0;
      for (const record of result.messages) {
        const decoded = decodeMessage(record, 0, { checkCRC: false });
        if (!decoded.ok) continue;
        if (this.#accepts(context, source, decoded.message)) {
          this.#handOut(context, source, decoded.message);
          matched++;
        }
      }
      this.#state.setOffset(group, topic, source.queueTopic, queueId, result.nextBeginOffset);
      if (matched > 0) return;
    }
  }

  #accepts(context: PopContext, source: PopSource, message: DecodedMessage): boolean {
    if (source.retry && message.properties[PROPERTY_RETRY_TOPIC] !== context.request.topic)
      return false;
    return context.filter.matches(message.tags);
  }

  #handOut(context: PopContext, source: PopSource, message: DecodedMessage): void {
    const checkPoint: PopCheckPoint = {
      handle: "",
      group: context.request.group,
      topic: context.request.topic,
      queueTopic: source.queueTopic,
      queueId: message.queueId,
      queueOffset: message.queueOffset,
      commitLogOffset: message.physicalOffset,
      popTime: context.popTime,
      invisibleTime: context.invisibleTimeMs,
      reconsumeTimes: message.reconsumeTimes,
    };
    const withHandle = { ...checkPoint, handle: this.#newHandle(checkPoint) };
    this.#state.checkPoints.set(withHandle.handle, withHandle);
    this.#revive.track(withHandle);
    context.out.push({
      message,
      topic: context.request.topic,
      receiptHandle: withHandle.handle,
      reconsumeTimes: message.reconsumeTimes,
      deliveryAttempt: message.reconsumeTimes + 1,
      popTime: context.popTime,
      invisibleTimeMs: context.invisibleTimeMs,
    });
  }

  /** `<queueId>.<queueOffset>.<N|R>.<sequence>.<boot>`: unique per delivery, also across restarts. */
  #reportOut(request: PopRequest, messages: readonly PoppedMessage[]): void {
    const listener = this.#options.onMessagesOut;
    if (listener === undefined) return;
    const bytes = messages.reduce((sum, popped) => sum + popped.message.totalSize, 0);
    try {
      listener({ group: request.group, topic: request.topic, messages: messages.length, bytes });
    } catch (error) {
      this.#logger.error({ err: error }, "the onMessagesOut listener threw");
    }
  }

  /** A group's first offset in a queue: the host's initial offset (clamped to what is stored), else the first retained. */
  #startOffset(group: string, queueTopic: string, queueId: number): number {
    const store = this.#options.store;
    const min = store.getMinOffsetInQueue(queueTopic, queueId);
    const initial = this.#options.initialOffset?.(group, queueTopic, queueId);
    if (initial === undefined || initial < min) return min;
    return Math.min(initial, store.getMaxOffsetInQueue(queueTopic, queueId));
  }

  #newHandle(checkPoint: PopCheckPoint): string {
    const kind = checkPoint.queueTopic === checkPoint.topic ? "N" : "R";
    const sequence = (this.#sequence++).toString(36);
    return `${checkPoint.queueId}.${checkPoint.queueOffset}.${kind}.${sequence}.${this.#bootTag}`;
  }

  #clampInvisible(ms: number): number {
    const value = Number.isFinite(ms) ? Math.trunc(ms) : this.limits.minInvisibleTimeMs;
    return Math.min(
      Math.max(value, this.limits.minInvisibleTimeMs),
      this.limits.maxInvisibleTimeMs,
    );
  }

  #persist(): Promise<void> {
    return this.#file.write(() => this.#state.toJSON());
  }

  #checkRunning(): void {
    if (!this.#running) throw new PopError("NOT_RUNNING", "the pop service is not running");
  }

  #newReviveService(): PopReviveService {
    return new PopReviveService({
      state: this.#state,
      store: this.#options.store,
      clock: this.#clock,
      logger: this.#logger,
      maxReconsumeTimes: (group) => this.maxReconsumeTimes(group),
      intervalMs: this.limits.reviveIntervalMs,
      onChanged: () =>
        void this.#persist().catch((error: unknown) =>
          this.#logger.error({ err: error }, "pop state not written"),
        ),
    });
  }
}
