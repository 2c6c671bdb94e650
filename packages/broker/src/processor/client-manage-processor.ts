import type { Logger } from "pino";
import type { ConsumerManager } from "../client/consumer-manager.js";
import type { ProducerManager } from "../client/producer-manager.js";
import { decodeHeartbeatBody } from "../remoting/heart-beat/request.js";
import { RemotingCommand } from "../remoting/remoting-command.js";
import { RequestCode } from "../remoting/request-code.js";
import { ResponseCode } from "../remoting/response-code.js";
import { decodeUnregisterClientRequest } from "../remoting/unregister-client/request.js";
import type { RemotingConnection, RequestContext, RequestProcessor } from "../request-processor.js";
import { invalidNameReason, retryTopicOf } from "../topic/topic-config.js";
import type { TopicConfigManager } from "../topic/topic-config-manager.js";

export interface ClientManageProcessorOptions {
  readonly consumers: ConsumerManager;
  readonly producers: ProducerManager;
  readonly topics: TopicConfigManager;
  readonly logger: Logger;
}

/**
 * HEART_BEAT (34) and UNREGISTER_CLIENT (35) (ClientManageProcessor.java): registers producers and
 * consumers with their subscriptions, creates each clustering group's `%RETRY%` topic (1 queue), and
 * drops a connection's clients when it closes.
 */
export class ClientManageProcessor implements RequestProcessor {
  readonly #options: ClientManageProcessorOptions;
  readonly #watched = new WeakSet<RemotingConnection>();

  constructor(options: ClientManageProcessorOptions) {
    this.#options = options;
  }

  /** Answers HEART_BEAT and UNREGISTER_CLIENT. */
  processRequest(request: RemotingCommand, context: RequestContext): RemotingCommand {
    return request.code === RequestCode.HEART_BEAT
      ? this.#heartBeat(request, context)
      : this.#unregister(request, context);
  }

  #heartBeat(request: RemotingCommand, context: RequestContext): RemotingCommand {
    const data = decodeHeartbeatBody(request.body);
    const { consumers, producers, topics } = this.#options;
    const connection = context.connection;
    this.#watch(connection);
    for (const consumer of data.consumers) {
      const invalid = invalidNameReason(consumer.groupName);
      if (invalid !== null)
        return RemotingCommand.response(
          request,
          ResponseCode.SYSTEM_ERROR,
          `consumerDataSet.groupName: ${invalid}`,
        );
      if (consumer.messageModel === "CLUSTERING")
        topics.createTopicInSendMessageBackMethod(retryTopicOf(consumer.groupName), 1);
      if (!consumers.registerConsumer(consumer, data.clientID, connection)) {
        return RemotingCommand.response(
          request,
          ResponseCode.SYSTEM_BUSY,
          "too many consumers registered, try again later",
        );
      }
    }
    for (const group of data.producerGroups)
      producers.registerProducer(group, data.clientID, connection);
    return RemotingCommand.response(request, ResponseCode.SUCCESS);
  }

  #unregister(request: RemotingCommand, context: RequestContext): RemotingCommand {
    const header = decodeUnregisterClientRequest(request);
    if (header.consumerGroup !== undefined)
      this.#options.consumers.unregisterConsumer(
        header.consumerGroup,
        header.clientID,
        context.connection,
      );
    if (header.producerGroup !== undefined)
      this.#options.producers.unregisterProducer(header.producerGroup, context.connection);
    return RemotingCommand.response(request, ResponseCode.SUCCESS);
  }

  /** Drops the connection's clients once it closes (ClientHousekeepingService's channel-close event). */
  #watch(connection: RemotingConnection): void {
    if (this.#watched.has(connection)) return;
    this.#watched.add(connection);
    connection.onClose(() => {
      this.#options.consumers.doChannelCloseEvent(connection);
      this.#options.producers.doChannelCloseEvent(connection);
    });
  }
}
