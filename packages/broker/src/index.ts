// Public API of @store/broker. Named exports only: what is not listed here is internal.

// Remoting protocol: frames, commands, codes.
export { RemotingCommand, FLAG_ONEWAY, FLAG_RESPONSE, REMOTING_VERSION } from "./remoting/remoting-command.js";
export type { ExtFields, RemotingCommandInit } from "./remoting/remoting-command.js";
export { FrameDecoder, DEFAULT_FRAME_LIMITS } from "./remoting/frame-decoder.js";
export type { FrameLimits } from "./remoting/frame-decoder.js";
export { RequestCode, requestCodeName } from "./remoting/request-code.js";
export { ResponseCode } from "./remoting/response-code.js";
export { HeaderFieldError, RemotingError } from "./remoting/remoting-error.js";
export { optionalBoolean, optionalInt, optionalString, requiredInt, requiredString } from "./remoting/header-fields.js";
export type { IntRange } from "./remoting/header-fields.js";
export type { RemotingErrorCode } from "./remoting/remoting-error.js";

export type { BrokerObserver, MessagesInEvent, MessagesOutEvent } from "./broker-observer.js";

// Server.
export { RemotingServer, DEFAULT_REMOTING_LIMITS } from "./remoting-server.js";
export type { RemotingServerLimits, RemotingServerOptions } from "./remoting-server.js";
export type { RemotingConnection, RequestContext, RequestHook, RequestProcessor } from "./request-processor.js";

// Pop consumption (RocketMQ 5: receipt handles, invisible time, revive, DLQ) and timed delivery.
export { PopService, POP_STATE_FILE } from "./pop/pop-service.js";
export type { PopServiceOptions } from "./pop/pop-service.js";
export { DEFAULT_POP_LIMITS, systemClock } from "./pop/pop-types.js";
export type {
  AckResult,
  ChangeInvisibleTimeResult,
  ForwardResult,
  InvalidReceiptHandle,
  PopClock,
  PopLimits,
  PopMessageStore,
  PoppedMessage,
  PopRequest,
  PopResult,
  PopStatus,
  PopTopicSource,
} from "./pop/pop-types.js";
export { PopError } from "./pop/pop-error.js";
export type { PopErrorCode } from "./pop/pop-error.js";
export { MAX_TAG_EXPRESSION_LENGTH, TagFilter } from "./pop/tag-filter.js";
export { TimerMessageService, TIMER_STATE_FILE } from "./pop/timer-message-service.js";
export type { TimerMessageServiceOptions, TimerPutResult } from "./pop/timer-message-service.js";
export {
  DEFAULT_MAX_RECONSUME_TIMES,
  DLQ_GROUP_TOPIC_PREFIX,
  PROPERTY_DLQ_ORIGIN_MESSAGE_ID,
  PROPERTY_DLQ_ORIGIN_TOPIC,
  PROPERTY_FIRST_POP_TIME,
  PROPERTY_TIMER_DELIVER_MS,
  PROPERTY_TIMER_OUT_MS,
  RETRY_GROUP_TOPIC_PREFIX,
  TIMER_TOPIC,
  dlqTopicOf,
  isGroupSystemTopic,
  retryTopicOf,
} from "./pop/key-builder.js";
