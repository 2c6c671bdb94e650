import {
  PROPERTY_DELAY_TIME_LEVEL,
  PROPERTY_ORIGIN_MESSAGE_ID,
  PROPERTY_RETRY_TOPIC,
  PROPERTY_WAIT_STORE_MSG_OK,
} from "@store/message-codec";
import type { MessageInput } from "@store/message-codec";
import type { MessageStore } from "@store/commitlog";
import type { Logger } from "pino";
import { decodeConsumerSendMsgBackRequest } from "../remoting/consumer-send-msg-back/request.js";
import { RemotingCommand } from "../remoting/remoting-command.js";
import { ResponseCode } from "../remoting/response-code.js";
import { parkDelayed } from "../schedule/delay-level.js";
import { dlqTopicOf, invalidNameReason, retryTopicOf } from "../topic/topic-config.js";
import type { TopicConfigManager } from "../topic/topic-config-manager.js";

export interface ConsumerSendBackOptions {
  readonly store: MessageStore;
  readonly topics: TopicConfigManager;
  readonly delayLevelCount: number;
  /** Used when the request carries no maxReconsumeTimes. */
  readonly maxReconsumeTimes: number;
  readonly logger: Logger;
}

/**
 * CONSUMER_SEND_MSG_BACK (36), the consumer gave up on a message for now
 * (AbstractSendMessageProcessor.consumerSendMsgBack): the message at the commit-log offset is
 * stored again in `%RETRY%<group>` with reconsumeTimes + 1, RETRY_TOPIC and ORIGIN_MESSAGE_ID, delayed
 * by level `3 + reconsumeTimes` (or the request's delayLevel); once reconsumeTimes reaches
 * maxReconsumeTimes (or delayLevel < 0) it goes to `%DLQ%<group>` instead.
 */
export class ConsumerSendBack {
  readonly #options: ConsumerSendBackOptions;

  constructor(options: ConsumerSendBackOptions) {
    this.#options = options;
  }

  /** Handles CONSUMER_SEND_MSG_BACK: re-puts the message into the retry topic, or the DLQ after `maxReconsumeTimes`. */
  async process(request: RemotingCommand): Promise<RemotingCommand> {
    const { store, topics, logger } = this.#options;
    const header = decodeConsumerSendMsgBackRequest(request);
    const invalid = invalidNameReason(header.group);
    if (invalid !== null)
      return RemotingCommand.response(request, ResponseCode.SYSTEM_ERROR, `group: ${invalid}`);
    const original = await store.lookMessageByOffset(header.offset);
    if (original === null)
      return RemotingCommand.response(
        request,
        ResponseCode.SYSTEM_ERROR,
        `look message by offset failed, ${header.offset}`,
      );
    const maxReconsumeTimes = header.maxReconsumeTimes ?? this.#options.maxReconsumeTimes;
    const toDlq = original.reconsumeTimes >= maxReconsumeTimes || header.delayLevel < 0;
    const topic = toDlq ? dlqTopicOf(header.group) : retryTopicOf(header.group);
    topics.createTopicInSendMessageBackMethod(topic, 1);
    const properties: Record<string, string> = { ...original.properties };
    properties[PROPERTY_RETRY_TOPIC] ??= original.topic;
    const originId = properties[PROPERTY_ORIGIN_MESSAGE_ID];
    properties[PROPERTY_ORIGIN_MESSAGE_ID] =
      originId === undefined || originId.trim() === "" ? original.msgId : originId;
    properties[PROPERTY_WAIT_STORE_MSG_OK] = "false";
    delete properties[PROPERTY_DELAY_TIME_LEVEL];
    let message: MessageInput = {
      topic,
      queueId: 0,
      body: original.body,
      flag: original.flag,
      properties,
      bornTimestamp: original.bornTimestamp,
      bornHost: original.bornHost,
      sysFlag: original.sysFlag,
      reconsumeTimes: original.reconsumeTimes + 1,
    };
    if (!toDlq)
      message = parkDelayed(
        message,
        header.delayLevel === 0 ? 3 + original.reconsumeTimes : header.delayLevel,
        this.#options.delayLevelCount,
      );
    const result = await store.putMessage(message);
    if (result.status !== "PUT_OK")
      return RemotingCommand.response(
        request,
        ResponseCode.SYSTEM_ERROR,
        `${result.status}${result.reason ? `: ${result.reason}` : ""}`,
      );
    if (toDlq)
      logger.info(
        {
          group: header.group,
          originTopic: header.originTopic ?? original.topic,
          originMsgId: properties[PROPERTY_ORIGIN_MESSAGE_ID],
          topic,
        },
        "message sent to DLQ",
      );
    return RemotingCommand.response(request, ResponseCode.SUCCESS);
  }
}
