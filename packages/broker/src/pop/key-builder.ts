/**
 * Names and properties of pop consumption, as RocketMQ spells them (MixAll, KeyBuilder, MessageConst).
 */

import { DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX } from "../topic/topic-config.js";

export { dlqTopicOf, retryTopicOf } from "../topic/topic-config.js";

/** RocketMQ 5's timer topic, where messages wait for their delivery time. */
export const TIMER_TOPIC = "rmq_sys_wheel_timer";

/** Delivery time of a timed message, ms since the epoch (RocketMQ 5 TIMER_DELIVER_MS). */
export const PROPERTY_TIMER_DELIVER_MS = "TIMER_DELIVER_MS";
/** When a timed message left the timer, ms since the epoch. */
export const PROPERTY_TIMER_OUT_MS = "TIMER_OUT_MS";
/** Topic a dead-lettered message came from. */
export const PROPERTY_DLQ_ORIGIN_TOPIC = "DLQ_ORIGIN_TOPIC";
/** Message id of a dead-lettered message. */
export const PROPERTY_DLQ_ORIGIN_MESSAGE_ID = "DLQ_ORIGIN_MESSAGE_ID";
/** Time of a message's first pop, ms since the epoch. */
export const PROPERTY_FIRST_POP_TIME = "1ST_POP_TIME";

/** RocketMQ's default `retryMaxTimes` of a subscription group. */
export const DEFAULT_MAX_RECONSUME_TIMES = 16;

/** Whether `topic` is a retry or dead-letter topic. */
export function isGroupSystemTopic(topic: string): boolean {
  return topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) || topic.startsWith(DLQ_GROUP_TOPIC_PREFIX);
}
