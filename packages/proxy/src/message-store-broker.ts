import type { PopClock, PopLimits } from "@store/broker";
import { isGroupSystemTopic, PopService, TIMER_TOPIC, TimerMessageService } from "@store/broker";
import type { MessageStore, PutMessageResult } from "@store/commitlog";
import type { MessageInput } from "@store/message-codec";
import type { FileIO } from "@store/mapped-file";
import type { Logger } from "pino";
import type { ProxyBroker, ProxyTopicQueues } from "./proxy-broker.js";

/** What `MessageStoreBroker.open` takes: the store, and optional topic defaults and pop limits. */
export interface MessageStoreBrokerOptions {
  readonly messageStore: MessageStore;
  /** Default "broker-a". */
  readonly brokerName?: string;
  /** Queues of an auto-created topic (read and write). Default 4. */
  readonly defaultTopicQueueNums?: number;
  /** Create a topic on first use (QueryRoute, send, receive). Default true. */
  readonly autoCreateTopicEnable?: boolean;
  /** Topics that exist from the start, with their queue count. */
  readonly topics?: Readonly<Record<string, number>>;
  /** A group's `maxReconsumeTimes`; default 16. */
  readonly maxReconsumeTimes?: (group: string) => number;
  readonly popLimits?: Partial<PopLimits>;
  /** For the pop and timer state files; default node:fs. */
  readonly io?: FileIO;
  readonly clock?: PopClock;
  readonly logger?: Logger;
}

/**
 * A {@link ProxyBroker} over a bare `MessageStore`: topics in memory (those the store holds, with their
 * queue count; the `topics` option; and auto-created ones with `defaultTopicQueueNums` queues), a
 * `PopService` and a `TimerMessageService` whose state lives under the store's `config/`, and sends
 * that go straight to `putMessage`. For tests, benchmarks and
 * embedding without a full broker; `BrokerController` is the production `ProxyBroker`.
 */
export class MessageStoreBroker implements ProxyBroker {
  readonly brokerName: string;
  readonly messageStore: MessageStore;
  readonly popService: PopService;
  readonly timerMessageService: TimerMessageService;
  readonly #topics = new Map<string, number>();
  readonly #defaultQueueNums: number;
  readonly #autoCreate: boolean;

  private constructor(options: MessageStoreBrokerOptions) {
    const store = options.messageStore;
    this.messageStore = store;
    this.brokerName = options.brokerName ?? "broker-a";
    this.#defaultQueueNums = options.defaultTopicQueueNums ?? 4;
    this.#autoCreate = options.autoCreateTopicEnable ?? true;
    // Topics the store already holds keep their queues across restarts (one past the highest queue id).
    for (const topic of store.consumeQueues.topics()) {
      if (isGroupSystemTopic(topic) || topic === TIMER_TOPIC) continue;
      this.#topics.set(topic, Math.max(...store.consumeQueues.queueIds(topic)) + 1);
    }
    for (const [topic, queues] of Object.entries(options.topics ?? {}))
      this.#topics.set(topic, Math.max(queues, this.#topics.get(topic) ?? 0));
    const shared = {
      storePathRootDir: store.config.storePathRootDir,
      io: options.io,
      clock: options.clock,
      logger: options.logger,
    };
    this.popService = new PopService({
      ...shared,
      store,
      topics: {
        readQueueNums: (topic) => this.#topics.get(topic) ?? (isGroupSystemTopic(topic) ? 1 : 0),
      },
      maxReconsumeTimes: options.maxReconsumeTimes,
      limits: options.popLimits,
    });
    this.timerMessageService = new TimerMessageService({ ...shared, store });
  }

  /** Builds the broker and starts its pop and timer services (loading their state). */
  static async open(options: MessageStoreBrokerOptions): Promise<MessageStoreBroker> {
    const broker = new MessageStoreBroker(options);
    await broker.popService.start();
    try {
      await broker.timerMessageService.start();
    } catch (error) {
      await broker.popService.shutdown();
      throw error;
    }
    return broker;
  }

  getTopicQueues(topic: string): Promise<ProxyTopicQueues | null> {
    let queues = this.#topics.get(topic);
    if (queues === undefined) {
      if (!this.#autoCreate) return Promise.resolve(null);
      queues = this.#defaultQueueNums;
      this.#topics.set(topic, queues);
    }
    return Promise.resolve({ readQueueNums: queues, writeQueueNums: queues });
  }

  sendMessage(message: MessageInput): Promise<PutMessageResult> {
    return this.messageStore.putMessage(message);
  }

  /** Stops the pop and timer services (writing their state); the store stays open. */
  async shutdown(): Promise<void> {
    await this.timerMessageService.shutdown();
    await this.popService.shutdown();
  }
}
