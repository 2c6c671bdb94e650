import {
  PROPERTY_ORIGIN_MESSAGE_ID,
  PROPERTY_RECONSUME_TIME,
  PROPERTY_RETRY_TOPIC,
  PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
} from "@store/message-codec";
import type { DecodedMessage, MessageInput } from "@store/message-codec";
import {
  PROPERTY_DLQ_ORIGIN_MESSAGE_ID,
  PROPERTY_DLQ_ORIGIN_TOPIC,
  PROPERTY_FIRST_POP_TIME,
  dlqTopicOf,
  retryTopicOf,
} from "./key-builder.js";

/** The properties a copy keeps: all of the original's, with the retry bookkeeping filled in. */
function copiedProperties(message: DecodedMessage, originTopic: string): Record<string, string> {
  const properties: Record<string, string> = { ...message.properties };
  properties[PROPERTY_RETRY_TOPIC] ??= originTopic;
  properties[PROPERTY_ORIGIN_MESSAGE_ID] ??=
    message.properties[PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX] ?? message.msgId;
  return properties;
}

function copyOf(
  message: DecodedMessage,
  topic: string,
  reconsumeTimes: number,
  properties: Record<string, string>,
): MessageInput {
  return {
    topic,
    queueId: 0,
    body: message.body,
    flag: message.flag,
    sysFlag: message.sysFlag,
    bornTimestamp: message.bornTimestamp,
    bornHost: message.bornHost,
    reconsumeTimes,
    properties,
  };
}

/**
 * The copy of an un-acked message that goes to `%RETRY%<group>` (queue 0) when its invisible time
 * passes (RocketMQ's PopReviveService.reviveRetry): same body, tags, keys and properties, the
 * reconsume count raised by one, RETRY_TOPIC = the original topic, ORIGIN_MESSAGE_ID = its id.
 */
export function buildRetryMessage(
  message: DecodedMessage,
  group: string,
  originTopic: string,
  popTime: number,
): MessageInput {
  const reconsumeTimes = message.reconsumeTimes + 1;
  const properties = copiedProperties(message, originTopic);
  properties[PROPERTY_RECONSUME_TIME] = String(reconsumeTimes);
  properties[PROPERTY_FIRST_POP_TIME] ??= String(popTime);
  return copyOf(message, retryTopicOf(group), reconsumeTimes, properties);
}

/**
 * The copy that goes to `%DLQ%<group>` (queue 0) once a message has used up its reconsume times, or
 * when a consumer forwards it: the reconsume count as delivered, DLQ_ORIGIN_TOPIC and
 * DLQ_ORIGIN_MESSAGE_ID naming where it came from.
 */
export function buildDeadLetterMessage(
  message: DecodedMessage,
  group: string,
  originTopic: string,
): MessageInput {
  const properties = copiedProperties(message, originTopic);
  properties[PROPERTY_RECONSUME_TIME] = String(message.reconsumeTimes);
  properties[PROPERTY_DLQ_ORIGIN_TOPIC] = originTopic;
  properties[PROPERTY_DLQ_ORIGIN_MESSAGE_ID] =
    message.properties[PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX] ?? message.msgId;
  return copyOf(message, dlqTopicOf(group), message.reconsumeTimes, properties);
}
