import type { PopService, TimerMessageService } from "@store/broker";
import type { MessageStore, PutMessageResult } from "@store/commitlog";
import type { MessageInput } from "@store/message-codec";

/** A topic's queue counts, as the proxy routes it. */
export interface ProxyTopicQueues {
  /** Queues consumers read; 0 = not readable. */
  readonly readQueueNums: number;
  /** Queues producers write; 0 = not writable. */
  readonly writeQueueNums: number;
}

/** What the proxy reads from the store: queue offsets (GetOffset / QueryOffset). */
export type ProxyMessageStore = Pick<
  MessageStore,
  "getMinOffsetInQueue" | "getMaxOffsetInQueue" | "getOffsetInQueueByTime"
>;

/**
 * Everything the gRPC proxy needs from the broker it runs in ("local" proxy mode). `BrokerController`
 * satisfies it; {@link MessageStoreBroker} builds one from a bare `MessageStore`.
 */
export interface ProxyBroker {
  /** The broker's name in routes (`broker.name` of every message queue). */
  readonly brokerName: string;
  /** Queue offsets for GetOffset / QueryOffset. */
  readonly messageStore: ProxyMessageStore;
  /** Pop consumption: receive, ack, change invisible time, revive, DLQ. Running while the proxy serves. */
  readonly popService: PopService;
  /** Timed delivery for messages with a `delivery_timestamp` in the future. Running while the proxy serves. */
  readonly timerMessageService: TimerMessageService;
  /**
   * A topic's queue counts, creating the topic when it is missing and the broker allows that
   * (RocketMQ's `autoCreateTopicEnable`); null when it does not exist. The name is already validated.
   */
  getTopicQueues(topic: string): Promise<ProxyTopicQueues | null>;
  /**
   * Stores one message through the broker's send path (its checks, metrics and hooks). The proxy has
   * chosen the queue (`queueId`) and filled TAGS, KEYS, UNIQ_KEY and the user properties.
   */
  sendMessage(message: MessageInput): Promise<PutMessageResult>;
}
