import type { ConsumeQueueFilter, GetMessageResult, MessageStore } from "@store/commitlog";
import type { Logger } from "pino";
import type { BrokerObserver } from "../broker-observer.js";
import type { ConsumerManager } from "../client/consumer-manager.js";
import type { HeldPull } from "../longpolling/pull-request-hold-service.js";
import { PullRequestHoldService } from "../longpolling/pull-request-hold-service.js";
import type { ConsumerOffsetManager } from "../offset/consumer-offset-manager.js";
import {
  decodePullMessageRequest,
  PULL_FLAG_COMMIT_OFFSET,
  PULL_FLAG_SUBSCRIPTION,
  PULL_FLAG_SUSPEND,
} from "../remoting/pull-message/request.js";
import type { PullMessageRequestHeader } from "../remoting/pull-message/request.js";
import { pullMessageResponse } from "../remoting/pull-message/response.js";
import { RemotingCommand } from "../remoting/remoting-command.js";
import { ResponseCode } from "../remoting/response-code.js";
import type { RequestContext, RequestProcessor } from "../request-processor.js";
import { invalidNameReason, isReadable } from "../topic/topic-config.js";
import type { TopicConfigManager } from "../topic/topic-config-manager.js";
import { tagFilterOf } from "./subscription-filter.js";

export interface PullMessageProcessorOptions {
  readonly store: MessageStore;
  readonly topics: TopicConfigManager;
  readonly offsets: ConsumerOffsetManager;
  readonly consumers: ConsumerManager;
  readonly longPollingEnable: boolean;
  readonly shortPollingTimeMills: number;
  readonly maxHeldPullRequests: number;
  readonly observer: BrokerObserver;
  readonly logger: Logger;
}

/**
 * PULL_MESSAGE (11) with long polling (PullMessageProcessor.java): reads up to maxMsgNums messages
 * matching the subscription's tags; when there is nothing new, holds the request until a message is
 * dispatched to the queue or suspendTimeoutMillis passes. Stores the commitOffset the pull carries.
 */
export class PullMessageProcessor implements RequestProcessor {
  readonly #options: PullMessageProcessorOptions;
  readonly holdService: PullRequestHoldService;

  constructor(options: PullMessageProcessorOptions) {
    this.#options = options;
    this.holdService = new PullRequestHoldService({
      maxHeld: options.maxHeldPullRequests,
      wakeUp: (pull) => this.#wakeUp(pull),
    });
  }

  /** Answers a PULL_MESSAGE, holding it (long polling) while no message is there. */
  processRequest(
    request: RemotingCommand,
    context: RequestContext,
  ): Promise<RemotingCommand | null> {
    return this.#process(request, context, true);
  }

  /** A held pull's queue got a message, or its time is up: run it again, without holding it again. */
  #wakeUp(pull: HeldPull): void {
    this.#process(pull.request, pull.context, false).then(pull.resolve, (error: unknown) => {
      this.#options.logger.error({ err: error }, "woken pull failed");
      pull.resolve(
        RemotingCommand.response(
          pull.request,
          ResponseCode.SYSTEM_ERROR,
          `pull failed: ${(error as Error).message}`,
        ),
      );
    });
  }

  async #process(
    request: RemotingCommand,
    context: RequestContext,
    allowSuspend: boolean,
  ): Promise<RemotingCommand | null> {
    const header = decodePullMessageRequest(request);
    const refused = this.#check(request, header);
    if (refused !== null) return refused;
    const filter =
      header.sysFlag & PULL_FLAG_SUBSCRIPTION
        ? this.#filterFromRequest(header)
        : this.#filterFromHeartbeat(header);
    if (filter !== null && "code" in filter)
      return RemotingCommand.response(request, filter.code, filter.remark);
    if (allowSuspend && header.sysFlag & PULL_FLAG_COMMIT_OFFSET) {
      this.#options.offsets.commitOffset(
        header.consumerGroup,
        header.topic,
        header.queueId,
        header.commitOffset,
      );
    }
    const { store } = this.#options;
    const result = await store.getMessage(
      header.consumerGroup,
      header.topic,
      header.queueId,
      header.queueOffset,
      header.maxMsgNums,
      filter?.accept,
    );
    const code = responseCodeOf(result, header.queueOffset);
    if (
      code === ResponseCode.PULL_NOT_FOUND &&
      allowSuspend &&
      header.sysFlag & PULL_FLAG_SUSPEND
    ) {
      const held = this.#hold(request, context, header);
      if (held !== null) return held;
    }
    const responseHeader = {
      suggestWhichBrokerId: 0,
      nextBeginOffset: result.nextBeginOffset,
      minOffset: result.minOffset,
      maxOffset: result.maxOffset,
    };
    if (code !== ResponseCode.SUCCESS)
      return pullMessageResponse(request, code, result.status, responseHeader);
    this.#options.observer.messagesOut?.({
      topic: header.topic,
      group: header.consumerGroup,
      messages: result.messages.length,
      bytes: result.bufferTotalSize,
    });
    return pullMessageResponse(
      request,
      code,
      "FOUND",
      responseHeader,
      Buffer.concat(result.messages, result.bufferTotalSize),
    );
  }

  /** Topic, queue and group checks; the topic is created on first use when allowed. */
  #check(request: RemotingCommand, header: PullMessageRequestHeader): RemotingCommand | null {
    const groupInvalid = invalidNameReason(header.consumerGroup);
    if (groupInvalid !== null)
      return RemotingCommand.response(
        request,
        ResponseCode.SYSTEM_ERROR,
        `consumerGroup: ${groupInvalid}`,
      );
    const topicInvalid = invalidNameReason(header.topic);
    if (topicInvalid !== null)
      return RemotingCommand.response(request, ResponseCode.SYSTEM_ERROR, `topic: ${topicInvalid}`);
    const config =
      this.#options.topics.selectTopicConfig(header.topic) ??
      this.#options.topics.createTopicInSendMessageMethod(header.topic);
    if (config === null)
      return RemotingCommand.response(
        request,
        ResponseCode.TOPIC_NOT_EXIST,
        `topic[${header.topic}] not exist, apply first please!`,
      );
    if (!isReadable(config.perm))
      return RemotingCommand.response(
        request,
        ResponseCode.NO_PERMISSION,
        `the topic[${header.topic}] pulling message is forbidden`,
      );
    if (header.queueId >= config.readQueueNums) {
      return RemotingCommand.response(
        request,
        ResponseCode.SYSTEM_ERROR,
        `queueId: queueId[${header.queueId}] is illegal, topic:[${header.topic}] topicConfig.readQueueNums:[${config.readQueueNums}]`,
      );
    }
    return null;
  }

  #filterFromRequest(header: PullMessageRequestHeader): Filter {
    if (header.expressionType !== undefined && header.expressionType !== "TAG") {
      return {
        code: ResponseCode.SUBSCRIPTION_PARSE_FAILED,
        remark: `expressionType: ${header.expressionType.slice(0, 32)} filtering is not supported (TAG only)`,
      };
    }
    return wrap(tagFilterOf(header.subscription));
  }

  #filterFromHeartbeat(header: PullMessageRequestHeader): Filter {
    const subscription = this.#options.consumers.findSubscriptionData(
      header.consumerGroup,
      header.topic,
    );
    if (subscription === undefined) {
      return {
        code: ResponseCode.SUBSCRIPTION_NOT_EXIST,
        remark: `the consumer's subscription not exist, group: ${header.consumerGroup}`,
      };
    }
    if (subscription.expressionType !== "TAG") {
      return {
        code: ResponseCode.SUBSCRIPTION_PARSE_FAILED,
        remark: `${subscription.expressionType} filtering is not supported (TAG only)`,
      };
    }
    return wrap(tagFilterOf(subscription.subString));
  }

  /** Suspends the pull; null when it cannot be held (then it is answered at once). */
  #hold(
    request: RemotingCommand,
    context: RequestContext,
    header: PullMessageRequestHeader,
  ): Promise<RemotingCommand | null> | null {
    const holdMs = this.#options.longPollingEnable
      ? header.suspendTimeoutMillis
      : this.#options.shortPollingTimeMills;
    const { store } = this.#options;
    // A message dispatched while the store was read would not wake this pull: look again first.
    if (holdMs <= 0 || store.getMaxOffsetInQueue(header.topic, header.queueId) > header.queueOffset)
      return null;
    let resolve!: (response: RemotingCommand | null) => void;
    const response = new Promise<RemotingCommand | null>((done) => (resolve = done));
    const pull: HeldPull = {
      request,
      context,
      topic: header.topic,
      queueId: header.queueId,
      pullFromThisOffset: header.queueOffset,
      resolve,
    };
    if (!this.holdService.suspendPullRequest(pull, holdMs)) {
      return Promise.resolve(
        RemotingCommand.response(
          request,
          ResponseCode.SYSTEM_BUSY,
          `[PULL_HOLD_FULL]broker busy: ${this.holdService.heldCount} pulls held, try again later`,
        ),
      );
    }
    return response;
  }
}

/** A pull's tag filter (null: everything), or why the subscription is refused. */
type Filter =
  | { readonly accept: ConsumeQueueFilter }
  | { readonly code: number; readonly remark: string }
  | null;

function wrap(accept: ConsumeQueueFilter | null): Filter {
  return accept === null ? null : { accept };
}

/** RocketMQ's GetMessageStatus → pull response code (master semantics). */
function responseCodeOf(result: GetMessageResult, requestedOffset: number): number {
  switch (result.status) {
    case "FOUND":
      return ResponseCode.SUCCESS;
    case "MESSAGE_WAS_REMOVING":
    case "NO_MATCHED_MESSAGE":
      return ResponseCode.PULL_RETRY_IMMEDIATELY;
    case "NO_MATCHED_LOGIC_QUEUE":
    case "NO_MESSAGE_IN_QUEUE":
      return requestedOffset !== 0 ? ResponseCode.PULL_OFFSET_MOVED : ResponseCode.PULL_NOT_FOUND;
    case "OFFSET_FOUND_NULL":
    case "OFFSET_OVERFLOW_ONE":
      return ResponseCode.PULL_NOT_FOUND;
    case "OFFSET_OVERFLOW_BADLY":
    case "OFFSET_TOO_SMALL":
      return ResponseCode.PULL_OFFSET_MOVED;
  }
}
