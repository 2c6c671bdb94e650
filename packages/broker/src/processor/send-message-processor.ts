import { SCHEDULE_TOPIC, stringToMessageProperties } from "@store/message-codec";
import type { MessageInput } from "@store/message-codec";
import type { MessageStore, PutMessageResult } from "@store/commitlog";
import type { Logger } from "pino";
import type { BrokerObserver } from "../broker-observer.js";
import type { SendFlowControl } from "../flow/send-flow-control.js";
import { decodeBatchBody } from "../remoting/send-batch-message/request.js";
import type { BatchMessage } from "../remoting/send-batch-message/request.js";
import { decodeSendMessageRequest } from "../remoting/send-message/request.js";
import type { SendMessageRequestHeader } from "../remoting/send-message/request.js";
import { sendMessageResponse } from "../remoting/send-message/response.js";
import type { RemotingCommand } from "../remoting/remoting-command.js";
import { RequestCode } from "../remoting/request-code.js";
import { ResponseCode } from "../remoting/response-code.js";
import type { RequestContext, RequestProcessor } from "../request-processor.js";
import { delayLevelOf, parkDelayed } from "../schedule/delay-level.js";
import type { TopicConfig } from "../topic/topic-config.js";
import {
  AUTO_CREATE_TOPIC_KEY_TOPIC,
  DLQ_GROUP_TOPIC_PREFIX,
  dlqTopicOf,
  invalidNameReason,
  isWriteable,
  RETRY_GROUP_TOPIC_PREFIX,
} from "../topic/topic-config.js";
import type { TopicConfigManager } from "../topic/topic-config-manager.js";
import { bornHostOf } from "./born-host.js";
import type { ConsumerSendBack } from "./consumer-send-back.js";

/** Messages in one SEND_BATCH_MESSAGE at most. */
export const MAX_BATCH_MESSAGES = 4096;

export interface SendMessageProcessorOptions {
  readonly store: MessageStore;
  readonly topics: TopicConfigManager;
  readonly flowControl: SendFlowControl;
  readonly sendBack: ConsumerSendBack;
  /** Number of delay levels (DELAY is capped at it). */
  readonly delayLevelCount: number;
  /** Used when a %RETRY% send carries no maxReconsumeTimes. */
  readonly maxReconsumeTimes: number;
  readonly observer: BrokerObserver;
  readonly logger: Logger;
}

type Prepared = {
  readonly messages: MessageInput[];
  readonly batchProperties?: Record<string, string>;
  readonly queueId: number;
  readonly topic: string;
};

/**
 * SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) and CONSUMER_SEND_MSG_BACK (36)
 * (SendMessageProcessor.java): checks the topic and queue, creates the topic on first use, parks
 * delayed messages in SCHEDULE_TOPIC_XXXX, puts, and answers with the store's status.
 */
export class SendMessageProcessor implements RequestProcessor {
  readonly #options: SendMessageProcessorOptions;

  constructor(options: SendMessageProcessorOptions) {
    this.#options = options;
  }

  /** Stores a SEND_MESSAGE (v1 or v2 header) or a batch and answers with the put's status. */
  processRequest(
    request: RemotingCommand,
    context: RequestContext,
  ): Promise<RemotingCommand> | RemotingCommand {
    if (request.code === RequestCode.CONSUMER_SEND_MSG_BACK)
      return this.#options.sendBack.process(request);
    return this.#send(request, context);
  }

  /**
   * Stores one message that did not arrive over remoting (the gRPC proxy's SendMessage): the same
   * flow control, topic checks and metrics as a SEND_MESSAGE, without delay levels (the proxy times
   * delivery itself). A refusal by flow control answers `OS_PAGECACHE_BUSY` with the busy remark;
   * a forbidden or uncreatable topic answers `MESSAGE_ILLEGAL`. Never throws for bad input.
   */
  async sendMessage(message: MessageInput): Promise<PutMessageResult> {
    const startedAt = Date.now();
    const refusal = this.#options.flowControl.refusal(startedAt);
    if (refusal !== null) {
      this.#observe(message.topic, "SYSTEM_BUSY", 0, message.body.length, startedAt);
      return { status: "OS_PAGECACHE_BUSY", reason: refusal };
    }
    const problem = this.#topicProblem(message.topic);
    if (problem !== null) return { status: "MESSAGE_ILLEGAL", reason: problem };
    const put = this.#options.flowControl.begin(startedAt);
    let result: PutMessageResult;
    try {
      result = await this.#options.store.putMessage(message);
    } finally {
      this.#options.flowControl.end(put);
    }
    this.#observe(message.topic, result.status, 1, message.body.length, startedAt);
    return result;
  }

  /** Why a message may not be stored in `topic` (illegal name, system topic, not writable), or null. */
  #topicProblem(topic: string): string | null {
    const invalid = invalidNameReason(topic);
    if (invalid !== null) return `topic: ${invalid}`;
    if (topic === SCHEDULE_TOPIC || topic === AUTO_CREATE_TOPIC_KEY_TOPIC)
      return `sending message to topic[${topic}] is forbidden`;
    const { topics } = this.#options;
    const config = topics.selectTopicConfig(topic) ?? topics.createTopicInSendMessageMethod(topic);
    if (config === null) return `topic[${topic}] not exist, apply first please!`;
    if (!isWriteable(config.perm)) return `the topic[${topic}] sending message is forbidden`;
    return null;
  }

  async #send(request: RemotingCommand, context: RequestContext): Promise<RemotingCommand> {
    const startedAt = Date.now();
    const header = decodeSendMessageRequest(request);
    const refusal = this.#options.flowControl.refusal(startedAt);
    if (refusal !== null) {
      this.#observe(header.topic, "SYSTEM_BUSY", 0, request.body?.length ?? 0, startedAt);
      return sendMessageResponse(request, ResponseCode.SYSTEM_BUSY, refusal);
    }
    const checked = this.#checkTopic(request, header, context);
    if ("code" in checked) return checked;
    const prepared = header.batch
      ? this.#prepareBatch(request, header, checked, context)
      : this.#prepareSingle(request, header, checked, context);
    if (!("messages" in prepared)) return prepared;
    const put = this.#options.flowControl.begin(startedAt);
    let result: PutMessageResult;
    try {
      const { store } = this.#options;
      result = header.batch
        ? await store.putMessages(prepared.messages, prepared.batchProperties)
        : await store.putMessage(prepared.messages[0] as MessageInput);
    } finally {
      this.#options.flowControl.end(put);
    }
    const bodyBytes = prepared.messages.reduce((sum, message) => sum + message.body.length, 0);
    this.#observe(header.topic, result.status, prepared.messages.length, bodyBytes, startedAt);
    return this.#answer(request, result, prepared.queueId);
  }

  /** The topic's config (created on first use), or the error response. */
  #checkTopic(
    request: RemotingCommand,
    header: SendMessageRequestHeader,
    context: RequestContext,
  ): TopicConfig | RemotingCommand {
    const { topics } = this.#options;
    const invalid = invalidNameReason(header.topic);
    if (invalid !== null)
      return sendMessageResponse(request, ResponseCode.INVALID_PARAMETER, `topic: ${invalid}`);
    if (header.topic === SCHEDULE_TOPIC || header.topic === AUTO_CREATE_TOPIC_KEY_TOPIC) {
      return sendMessageResponse(
        request,
        ResponseCode.NO_PERMISSION,
        `Sending message to topic[${header.topic}] is forbidden.`,
      );
    }
    let config =
      topics.selectTopicConfig(header.topic) ??
      topics.createTopicInSendMessageMethod(header.topic, header.defaultTopicQueueNums);
    if (config === null && header.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX))
      config = topics.createTopicInSendMessageBackMethod(header.topic, 1);
    if (config === null) {
      this.#options.logger.warn(
        { topic: header.topic, remote: context.connection.remoteAddress },
        "send to a topic that does not exist",
      );
      return sendMessageResponse(
        request,
        ResponseCode.TOPIC_NOT_EXIST,
        `topic[${header.topic}] not exist, apply first please!`,
      );
    }
    if (!isWriteable(config.perm))
      return sendMessageResponse(
        request,
        ResponseCode.NO_PERMISSION,
        `the topic[${header.topic}] sending message is forbidden`,
      );
    const queues = Math.max(config.writeQueueNums, config.readQueueNums);
    if (header.queueId >= queues) {
      return sendMessageResponse(
        request,
        ResponseCode.INVALID_PARAMETER,
        `queueId: request queueId[${header.queueId}] is illegal, topic ${header.topic} has ${queues} queues`,
      );
    }
    return config;
  }

  #prepareSingle(
    request: RemotingCommand,
    header: SendMessageRequestHeader,
    config: TopicConfig,
    context: RequestContext,
  ): Prepared | RemotingCommand {
    const queueId =
      header.queueId < 0 ? Math.floor(Math.random() * config.writeQueueNums) : header.queueId;
    const properties: Record<string, string> = { ...stringToMessageProperties(header.properties) };
    let message: MessageInput = {
      topic: header.topic,
      queueId,
      body: request.body ?? Buffer.alloc(0),
      flag: header.flag,
      properties,
      bornTimestamp: header.bornTimestamp,
      bornHost: bornHostOf(context.connection.remoteAddress),
      sysFlag: header.sysFlag,
      reconsumeTimes: header.reconsumeTimes,
    };
    if (header.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) {
      const maxReconsumeTimes = header.maxReconsumeTimes ?? this.#options.maxReconsumeTimes;
      if (header.reconsumeTimes > maxReconsumeTimes) {
        const dlq = dlqTopicOf(header.topic.slice(RETRY_GROUP_TOPIC_PREFIX.length));
        this.#options.topics.createTopicInSendMessageBackMethod(dlq, 1);
        delete properties.DELAY;
        message = { ...message, topic: dlq, queueId: 0, properties };
      }
    }
    const level = message.topic.startsWith(DLQ_GROUP_TOPIC_PREFIX) ? 0 : delayLevelOf(properties);
    if (level > 0) message = parkDelayed(message, level, this.#options.delayLevelCount);
    return { messages: [message], queueId, topic: header.topic };
  }

  #prepareBatch(
    request: RemotingCommand,
    header: SendMessageRequestHeader,
    config: TopicConfig,
    context: RequestContext,
  ): Prepared | RemotingCommand {
    if (header.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) {
      return sendMessageResponse(
        request,
        ResponseCode.MESSAGE_ILLEGAL,
        `batch request does not support retry group ${header.topic}`,
      );
    }
    const decoded = decodeBatchBody(request.body, MAX_BATCH_MESSAGES);
    if (typeof decoded === "string")
      return sendMessageResponse(request, ResponseCode.MESSAGE_ILLEGAL, `body: ${decoded}`);
    const queueId =
      header.queueId < 0 ? Math.floor(Math.random() * config.writeQueueNums) : header.queueId;
    const bornHost = bornHostOf(context.connection.remoteAddress);
    const messages = decoded.map((one: BatchMessage): MessageInput => ({
      topic: header.topic,
      queueId,
      body: one.body,
      flag: one.flag,
      properties: { ...stringToMessageProperties(one.properties) },
      bornTimestamp: header.bornTimestamp,
      bornHost,
      sysFlag: header.sysFlag,
      reconsumeTimes: header.reconsumeTimes,
    }));
    const batchProperties =
      header.properties === "" ? undefined : { ...stringToMessageProperties(header.properties) };
    return { messages, batchProperties, queueId, topic: header.topic };
  }

  #answer(request: RemotingCommand, result: PutMessageResult, queueId: number): RemotingCommand {
    const append = result.appendResult;
    switch (result.status) {
      case "PUT_OK":
      case "FLUSH_DISK_TIMEOUT":
      case "FLUSH_SLAVE_TIMEOUT":
      case "SLAVE_NOT_AVAILABLE": {
        const code =
          result.status === "PUT_OK" ? ResponseCode.SUCCESS : ResponseCode[result.status];
        const header =
          append === undefined
            ? undefined
            : { msgId: append.msgId, queueId, queueOffset: append.logicsOffset };
        return sendMessageResponse(request, code, null, header);
      }
      case "CREATE_MAPEDFILE_FAILED":
        return sendMessageResponse(
          request,
          ResponseCode.SYSTEM_ERROR,
          `create mapped file failed, server is busy or broken. ${result.reason ?? ""}`.trim(),
        );
      case "MESSAGE_ILLEGAL":
      case "PROPERTIES_SIZE_EXCEEDED":
        return sendMessageResponse(
          request,
          ResponseCode.MESSAGE_ILLEGAL,
          `the message is illegal: ${result.reason ?? result.status}`,
        );
      case "SERVICE_NOT_AVAILABLE":
        return sendMessageResponse(
          request,
          ResponseCode.SERVICE_NOT_AVAILABLE,
          `service not available now: ${result.reason ?? "the store is shut down or stopped taking writes"}`,
        );
      case "OS_PAGECACHE_BUSY":
        return sendMessageResponse(
          request,
          ResponseCode.SYSTEM_BUSY,
          "[PC_SYNCHRONIZED]broker busy, start flow control for a while",
        );
      default:
        return sendMessageResponse(
          request,
          ResponseCode.SYSTEM_ERROR,
          `UNKNOWN_ERROR: ${result.reason ?? result.status}`,
        );
    }
  }

  #observe(
    topic: string,
    status: string,
    messages: number,
    bodyBytes: number,
    startedAt: number,
  ): void {
    this.#options.observer.messagesIn?.({
      topic,
      status,
      messages,
      bodyBytes,
      latencyMs: Date.now() - startedAt,
    });
  }
}
