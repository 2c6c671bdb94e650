import { MAX_TOPIC_LENGTH, TOPIC_PATTERN } from "@store/message-codec";

/** Permission bits of a topic or broker (PermName.java). */
export const PERM_PRIORITY = 8;
/** Topic permission bit: readable (RocketMQ's PermName.PERM_READ). */
export const PERM_READ = 4;
/** Topic permission bit: writable (RocketMQ's PermName.PERM_WRITE). */
export const PERM_WRITE = 2;
/** Topic permission bit: inherit (RocketMQ's PermName.PERM_INHERIT). */
export const PERM_INHERIT = 1;

/** Retry topic of a consumer group: where CONSUMER_SEND_MSG_BACK puts messages to be consumed again. */
export const RETRY_GROUP_TOPIC_PREFIX = "%RETRY%";
/** Dead-letter topic of a consumer group: messages that failed maxReconsumeTimes times. */
export const DLQ_GROUP_TOPIC_PREFIX = "%DLQ%";
/** The default topic whose queue data clients (and our name server) use for topics not created yet. */
export const AUTO_CREATE_TOPIC_KEY_TOPIC = "TBW102";

/** A topic's queues and permissions (TopicConfig.java), as stored in config/topics.json. */
export interface TopicConfig {
  readonly topicName: string;
  readonly readQueueNums: number;
  readonly writeQueueNums: number;
  /** PERM_READ | PERM_WRITE (6) by default. */
  readonly perm: number;
  readonly topicFilterType: "SINGLE_TAG" | "MULTI_TAG";
  readonly topicSysFlag: number;
  readonly order: boolean;
}

/** The retry topic of a consumer group: `%RETRY%<group>`. */
export function retryTopicOf(group: string): string {
  return RETRY_GROUP_TOPIC_PREFIX + group;
}

/** The dead-letter topic of a consumer group: `%DLQ%<group>`. */
export function dlqTopicOf(group: string): string {
  return DLQ_GROUP_TOPIC_PREFIX + group;
}

/** A topic config with RocketMQ's defaults for the rest. */
export function topicConfig(
  topicName: string,
  queueNums: number,
  perm = PERM_READ | PERM_WRITE,
): TopicConfig {
  return {
    topicName,
    readQueueNums: queueNums,
    writeQueueNums: queueNums,
    perm,
    topicFilterType: "SINGLE_TAG",
    topicSysFlag: 0,
    order: false,
  };
}

/**
 * Why `name` is not a valid topic (or group) name, or null when it is: non-empty, at most 127
 * characters, only `[%|a-zA-Z0-9_-]` (names become directory names: never a path).
 */
export function invalidNameReason(name: string): string | null {
  if (name.length === 0) return "is empty";
  if (name.length > MAX_TOPIC_LENGTH)
    return `is longer than ${MAX_TOPIC_LENGTH} characters (${name.length})`;
  if (!TOPIC_PATTERN.test(name)) return "has characters outside [%|a-zA-Z0-9_-]";
  return null;
}

export function isReadable(perm: number): boolean {
  return (perm & PERM_READ) !== 0;
}

export function isWriteable(perm: number): boolean {
  return (perm & PERM_WRITE) !== 0;
}
