import type { MessageStore } from "@store/commitlog";
import type { ConsumerManager } from "../client/consumer-manager.js";
import type { ConsumerOffsetManager } from "../offset/consumer-offset-manager.js";
import {
  decodeGetConsumerListByGroupRequest,
  getConsumerListByGroupResponse,
} from "../remoting/get-consumer-list-by-group/request.js";
import {
  decodeQueryConsumerOffsetRequest,
  queryConsumerOffsetResponse,
} from "../remoting/query-consumer-offset/request.js";
import { RemotingCommand } from "../remoting/remoting-command.js";
import { RequestCode } from "../remoting/request-code.js";
import { ResponseCode } from "../remoting/response-code.js";
import { decodeUpdateConsumerOffsetRequest } from "../remoting/update-consumer-offset/request.js";
import type { RequestProcessor } from "../request-processor.js";
import { invalidNameReason } from "../topic/topic-config.js";
import type { TopicConfigManager } from "../topic/topic-config-manager.js";

export interface ConsumerManageProcessorOptions {
  readonly store: MessageStore;
  readonly topics: TopicConfigManager;
  readonly offsets: ConsumerOffsetManager;
  readonly consumers: ConsumerManager;
}

/**
 * GET_CONSUMER_LIST_BY_GROUP (38), QUERY_CONSUMER_OFFSET (14) and UPDATE_CONSUMER_OFFSET (15)
 * (ConsumerManageProcessor.java).
 */
export class ConsumerManageProcessor implements RequestProcessor {
  readonly #options: ConsumerManageProcessorOptions;

  constructor(options: ConsumerManageProcessorOptions) {
    this.#options = options;
  }

  /** Answers the consumer-list and consumer-offset requests. */
  processRequest(request: RemotingCommand): RemotingCommand {
    switch (request.code) {
      case RequestCode.GET_CONSUMER_LIST_BY_GROUP:
        return this.#consumerList(request);
      case RequestCode.QUERY_CONSUMER_OFFSET:
        return this.#queryOffset(request);
      default:
        return this.#updateOffset(request);
    }
  }

  #consumerList(request: RemotingCommand): RemotingCommand {
    const { consumerGroup } = decodeGetConsumerListByGroupRequest(request);
    const ids = this.#options.consumers.getAllClientIds(consumerGroup);
    if (ids.length === 0)
      return RemotingCommand.response(
        request,
        ResponseCode.SYSTEM_ERROR,
        `no consumer for this group, ${consumerGroup}`,
      );
    return getConsumerListByGroupResponse(request, ids);
  }

  /**
   * RocketMQ 4.x: the committed offset; else 0 while the queue still starts at 0 (a new group reads
   * a young queue from its start); else QUERY_NOT_FOUND (the client then starts per consumeFromWhere).
   */
  #queryOffset(request: RemotingCommand): RemotingCommand {
    const header = decodeQueryConsumerOffsetRequest(request);
    const refused = this.#checkQueue(request, header.consumerGroup, header.topic, header.queueId);
    if (refused !== null) return refused;
    const offset = this.#options.offsets.queryOffset(
      header.consumerGroup,
      header.topic,
      header.queueId,
    );
    if (offset >= 0) return queryConsumerOffsetResponse(request, offset);
    if (this.#options.store.getMinOffsetInQueue(header.topic, header.queueId) <= 0)
      return queryConsumerOffsetResponse(request, 0);
    return RemotingCommand.response(
      request,
      ResponseCode.QUERY_NOT_FOUND,
      "Not found, maybe this group consumer boot first",
    );
  }

  #updateOffset(request: RemotingCommand): RemotingCommand {
    const header = decodeUpdateConsumerOffsetRequest(request);
    const refused = this.#checkQueue(request, header.consumerGroup, header.topic, header.queueId);
    if (refused !== null) return refused;
    this.#options.offsets.commitOffset(
      header.consumerGroup,
      header.topic,
      header.queueId,
      header.commitOffset,
    );
    return RemotingCommand.response(request, ResponseCode.SUCCESS);
  }

  #checkQueue(
    request: RemotingCommand,
    group: string,
    topic: string,
    queueId: number,
  ): RemotingCommand | null {
    const groupInvalid = invalidNameReason(group);
    if (groupInvalid !== null)
      return RemotingCommand.response(
        request,
        ResponseCode.SYSTEM_ERROR,
        `consumerGroup: ${groupInvalid}`,
      );
    const topicInvalid = invalidNameReason(topic);
    if (topicInvalid !== null)
      return RemotingCommand.response(request, ResponseCode.SYSTEM_ERROR, `topic: ${topicInvalid}`);
    // A topic not created yet (a consumer may start before any producer) has no range to check.
    const config = this.#options.topics.selectTopicConfig(topic);
    if (config !== undefined && queueId >= Math.max(config.readQueueNums, config.writeQueueNums)) {
      return RemotingCommand.response(
        request,
        ResponseCode.SYSTEM_ERROR,
        `queueId: ${queueId} is outside topic ${topic}'s ${config.readQueueNums} queues`,
      );
    }
    return null;
  }
}
