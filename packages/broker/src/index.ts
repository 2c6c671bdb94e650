// Public API of @store/broker. Named exports only: what is not listed here is internal.

// Remoting protocol: frames, commands, codes.
export {
  RemotingCommand,
  FLAG_ONEWAY,
  FLAG_RESPONSE,
  REMOTING_VERSION,
  SERIALIZE_TYPE_JSON,
  SERIALIZE_TYPE_ROCKETMQ,
} from "./remoting/remoting-command.js";
export type { ExtFields, RemotingCommandInit, SerializeType } from "./remoting/remoting-command.js";
export { FrameDecoder, DEFAULT_FRAME_LIMITS } from "./remoting/frame-decoder.js";
export type { FrameLimits } from "./remoting/frame-decoder.js";
export { RequestCode, requestCodeName } from "./remoting/request-code.js";
export { ResponseCode } from "./remoting/response-code.js";
export { HeaderFieldError, RemotingError } from "./remoting/remoting-error.js";
export {
  optionalBoolean,
  optionalInt,
  optionalString,
  requiredInt,
  requiredString,
} from "./remoting/header-fields.js";
export type { IntRange } from "./remoting/header-fields.js";
export type { RemotingErrorCode } from "./remoting/remoting-error.js";

export type { BrokerObserver, MessagesInEvent, MessagesOutEvent } from "./broker-observer.js";

// Client.
export { RemotingClient } from "./remoting-client.js";
export type { RemotingClientOptions, ServerRequestHandler } from "./remoting-client.js";

// Server.
export { RemotingServer, DEFAULT_REMOTING_LIMITS } from "./remoting-server.js";
export type { RemotingServerLimits, RemotingServerOptions } from "./remoting-server.js";
export type {
  RemotingConnection,
  RequestContext,
  RequestHook,
  RequestProcessor,
} from "./request-processor.js";

// Config, errors.
export {
  brokerConfigKeys,
  brokerConfigSchema,
  parseBrokerConfig,
  parseDelayLevels,
} from "./broker-config.js";
export type { BrokerConfig, BrokerConfigInput, BrokerConfigKey } from "./broker-config.js";
export { BrokerError } from "./broker-error.js";
export type { BrokerErrorCode } from "./broker-error.js";

// Managers.
export { TopicConfigManager } from "./topic/topic-config-manager.js";
export type { DataVersion, TopicConfigManagerOptions } from "./topic/topic-config-manager.js";
export {
  AUTO_CREATE_TOPIC_KEY_TOPIC,
  DLQ_GROUP_TOPIC_PREFIX,
  PERM_INHERIT,
  PERM_READ,
  PERM_WRITE,
  RETRY_GROUP_TOPIC_PREFIX,
  dlqTopicOf,
  retryTopicOf,
} from "./topic/topic-config.js";
export type { TopicConfig } from "./topic/topic-config.js";
export { ConsumerOffsetManager } from "./offset/consumer-offset-manager.js";
export { ConsumerManager, MAX_CONSUMER_REGISTRATIONS } from "./client/consumer-manager.js";
export type { ConsumerGroupInfo } from "./client/consumer-manager.js";
export { ProducerManager } from "./client/producer-manager.js";
export { RebalanceLockManager } from "./client/rebalance-lock-manager.js";
export { PullRequestHoldService } from "./longpolling/pull-request-hold-service.js";
export type { HeldPull } from "./longpolling/pull-request-hold-service.js";
export { ScheduleMessageService } from "./schedule/schedule-message-service.js";
export { SendFlowControl } from "./flow/send-flow-control.js";

// Processors (one per concern) and the composition root.
export { SendMessageProcessor, MAX_BATCH_MESSAGES } from "./processor/send-message-processor.js";
export { ConsumerSendBack } from "./processor/consumer-send-back.js";
export { PullMessageProcessor } from "./processor/pull-message-processor.js";
export { ClientManageProcessor } from "./processor/client-manage-processor.js";
export { ConsumerManageProcessor } from "./processor/consumer-manage-processor.js";
export { AdminBrokerProcessor } from "./processor/admin-broker-processor.js";
export { QueryMessageProcessor } from "./processor/query-message-processor.js";
export { BrokerController } from "./broker-controller.js";
export type { BrokerControllerOptions, TopicQueues } from "./broker-controller.js";

// ACL 1.0 (aclEnable).
export { PlainAccessValidator } from "./acl/plain-access-validator.js";
export { loadPlainAclConfig, parsePlainAclConfig } from "./acl/plain-access-config.js";
export type { PlainAccount, PlainAclConfig } from "./acl/plain-access-config.js";
export {
  ACL_ACCESS_KEY,
  ACL_SIGNATURE,
  aclSignature,
  aclSignedContent,
  signRequest,
} from "./acl/acl-signature.js";
export {
  ADMIN_REQUEST_CODES,
  Permission,
  checkPermission,
  parsePermission,
} from "./acl/permission.js";
export { neededPermissions } from "./acl/plain-access-resource.js";
export { remoteAddressMatcher } from "./acl/remote-address-matcher.js";
export type { RemoteAddressMatcher } from "./acl/remote-address-matcher.js";

// Name server.
export { NamesrvController, namesrvConfigSchema } from "./namesrv/namesrv-controller.js";
export type { NamesrvConfig, NamesrvConfigInput } from "./namesrv/namesrv-controller.js";
export { NamesrvProcessor } from "./namesrv/namesrv-processor.js";
export {
  RouteInfoManager,
  DEFAULT_BROKER_CHANNEL_EXPIRED_TIME_MS,
} from "./namesrv/route-info-manager.js";
export type { RouteInfoManagerOptions } from "./namesrv/route-info-manager.js";
export { NamesrvRegistration, UNREGISTER_TIMEOUT_MS } from "./namesrv/namesrv-registration.js";
export type {
  BrokerIdentity,
  NamesrvRegistrationOptions,
  NamesrvTargetStatus,
  TopicSnapshot,
} from "./namesrv/namesrv-registration.js";
export { namesrvUsage, parseNamesrvArgs } from "./namesrv/namesrv-startup.js";
export type { NamesrvCommand } from "./namesrv/namesrv-startup.js";

// Wire shapes clients and tools build.
export { encodeBatchBody } from "./remoting/send-batch-message/request.js";
export type { BatchMessage } from "./remoting/send-batch-message/request.js";
export {
  decodeRegisterBrokerRequest,
  encodeRegisterBrokerBody,
  encodeRegisterBrokerRequest,
} from "./remoting/register-broker/request.js";
export type {
  RegisterBrokerBody,
  RegisterBrokerRequestHeader,
  RegisteredTopic,
  TopicConfigToRegister,
} from "./remoting/register-broker/request.js";
export { encodeUnregisterBrokerRequest } from "./remoting/unregister-broker/request.js";
export type {
  BrokerData,
  QueueData,
  TopicRouteData,
} from "./remoting/get-routeinfo-by-topic/request.js";
export type { ClusterInfo } from "./remoting/get-broker-cluster-info/response.js";
export type { MessageQueue } from "./remoting/lock-batch-mq/request.js";

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
  PROPERTY_DLQ_ORIGIN_MESSAGE_ID,
  PROPERTY_DLQ_ORIGIN_TOPIC,
  PROPERTY_FIRST_POP_TIME,
  PROPERTY_TIMER_DELIVER_MS,
  PROPERTY_TIMER_OUT_MS,
  TIMER_TOPIC,
  isGroupSystemTopic,
} from "./pop/key-builder.js";
