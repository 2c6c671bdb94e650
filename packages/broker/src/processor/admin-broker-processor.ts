import { decodeMessage } from "@store/message-codec";
import type { MessageStore } from "@store/commitlog";
import type { Logger } from "pino";
import type { RebalanceLockManager } from "../client/rebalance-lock-manager.js";
import { decodeLockBatchBody, lockBatchResponse } from "../remoting/lock-batch-mq/request.js";
import {
  decodeQueueOffsetRequest,
  offsetResponse,
  timestampResponse,
} from "../remoting/queue-offset/request.js";
import type { QueueOffsetRequestHeader } from "../remoting/queue-offset/request.js";
import { RemotingCommand } from "../remoting/remoting-command.js";
import { RequestCode } from "../remoting/request-code.js";
import { ResponseCode } from "../remoting/response-code.js";
import { decodeCreateTopicRequest } from "../remoting/update-and-create-topic/request.js";
import type { RequestProcessor } from "../request-processor.js";
import { invalidNameReason } from "../topic/topic-config.js";
import type { TopicConfigManager } from "../topic/topic-config-manager.js";

export interface AdminBrokerProcessorOptions {
  readonly store: MessageStore;
  readonly topics: TopicConfigManager;
  readonly locks: RebalanceLockManager;
  readonly brokerName: string;
  readonly logger: Logger;
}

/**
 * The admin and offset codes (AdminBrokerProcessor.java): UPDATE_AND_CREATE_TOPIC (17),
 * SEARCH_OFFSET_BY_TIMESTAMP (29), GET_MAX_OFFSET (30), GET_MIN_OFFSET (31),
 * GET_EARLIEST_MSG_STORETIME (32), LOCK_BATCH_MQ (41), UNLOCK_BATCH_MQ (42).
 */
export class AdminBrokerProcessor implements RequestProcessor {
  readonly #options: AdminBrokerProcessorOptions;

  constructor(options: AdminBrokerProcessorOptions) {
    this.#options = options;
  }

  /** Answers the admin requests: topic creation, queue locks, offsets and searches by time. */
  async processRequest(request: RemotingCommand): Promise<RemotingCommand> {
    switch (request.code) {
      case RequestCode.UPDATE_AND_CREATE_TOPIC:
        return this.#createTopic(request);
      case RequestCode.LOCK_BATCH_MQ:
      case RequestCode.UNLOCK_BATCH_MQ:
        return this.#lock(request);
      default:
        return this.#queueOffset(request);
    }
  }

  #createTopic(request: RemotingCommand): RemotingCommand {
    const header = decodeCreateTopicRequest(request);
    const invalid = invalidNameReason(header.topic);
    if (invalid !== null)
      return RemotingCommand.response(request, ResponseCode.SYSTEM_ERROR, `topic: ${invalid}`);
    const { topic: topicName, ...rest } = header;
    this.#options.topics.updateTopicConfig({ topicName, ...rest });
    return RemotingCommand.response(request, ResponseCode.SUCCESS);
  }

  #lock(request: RemotingCommand): RemotingCommand {
    const body = decodeLockBatchBody(request.body);
    const mine = body.mqSet.filter((mq) => mq.brokerName === this.#options.brokerName);
    if (request.code === RequestCode.UNLOCK_BATCH_MQ) {
      this.#options.locks.unlockBatch(body.consumerGroup, mine, body.clientId);
      return RemotingCommand.response(request, ResponseCode.SUCCESS);
    }
    return lockBatchResponse(
      request,
      this.#options.locks.tryLockBatch(body.consumerGroup, mine, body.clientId),
    );
  }

  async #queueOffset(request: RemotingCommand): Promise<RemotingCommand> {
    const header = decodeQueueOffsetRequest(
      request,
      request.code === RequestCode.SEARCH_OFFSET_BY_TIMESTAMP,
    );
    const refused = this.#checkQueue(request, header);
    if (refused !== null) return refused;
    const { store } = this.#options;
    switch (request.code) {
      case RequestCode.GET_MAX_OFFSET:
        return offsetResponse(request, store.getMaxOffsetInQueue(header.topic, header.queueId));
      case RequestCode.GET_MIN_OFFSET:
        return offsetResponse(request, store.getMinOffsetInQueue(header.topic, header.queueId));
      case RequestCode.SEARCH_OFFSET_BY_TIMESTAMP:
        return offsetResponse(
          request,
          await store.getOffsetInQueueByTime(header.topic, header.queueId, header.timestamp),
        );
      default:
        return timestampResponse(request, await this.#earliestStoreTime(header));
    }
  }

  /** Store time of the queue's first message still kept, ms; -1 when the queue is empty. */
  async #earliestStoreTime(header: QueueOffsetRequestHeader): Promise<number> {
    const { store } = this.#options;
    const min = store.getMinOffsetInQueue(header.topic, header.queueId);
    const got = await store.getMessage("ADMIN", header.topic, header.queueId, min, 1);
    const record = got.messages[0];
    if (record === undefined) return -1;
    const decoded = decodeMessage(record, 0, { checkCRC: false });
    return decoded.ok ? decoded.message.storeTimestamp : -1;
  }

  #checkQueue(request: RemotingCommand, header: QueueOffsetRequestHeader): RemotingCommand | null {
    const invalid = invalidNameReason(header.topic);
    if (invalid !== null)
      return RemotingCommand.response(request, ResponseCode.SYSTEM_ERROR, `topic: ${invalid}`);
    const config = this.#options.topics.selectTopicConfig(header.topic);
    if (
      config !== undefined &&
      header.queueId >= Math.max(config.readQueueNums, config.writeQueueNums)
    ) {
      return RemotingCommand.response(
        request,
        ResponseCode.SYSTEM_ERROR,
        `queueId: ${header.queueId} is outside topic ${header.topic}'s ${config.readQueueNums} queues`,
      );
    }
    return null;
  }
}
