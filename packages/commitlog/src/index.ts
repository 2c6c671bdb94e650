// Public API of @store/commitlog: what a user of MessageStore needs, and DESIGN §4's names.
// Named exports only: what is not listed here is internal. The record codec itself is
// @store/message-codec; the codec names below are re-exported from it.

// The store: open, put, get, look up, query, shut down.
export { MessageStore } from "./message-store.js";
export type { MessageStoreOptions, TopicQueue, WaitForDispatchOptions } from "./message-store.js";
export { MAX_DISPATCH_WAITERS } from "./dispatch-waiters.js";
export {
  EMBEDDED_COMMIT_LOG_FILE_SIZE,
  ROCKETMQ_COMMIT_LOG_FILE_SIZE,
  messageStoreConfigSchema,
  parseMessageStoreConfig,
} from "./message-store-config.js";
export type { MessageStoreConfig, MessageStoreConfigInput } from "./message-store-config.js";
export { isPutStored } from "./store-types.js";
export type {
  GetMessageResult,
  GetMessageStatus,
  PutMessageResult,
  PutMessageStatus,
} from "./store-types.js";
export type { ConsumeQueueFilter, PullLimits } from "./message-reader.js";
export type { LookMessageResult } from "./message-lookup.js";
export type { QueryMessageResult } from "./message-query.js";
export type { DispatchListener } from "./reput-message-service.js";
export type { RecoveryReport } from "./commit-log-recovery.js";
export type { QueueRecoveryReport } from "./dispatch-plan.js";
export type { IndexRecoveryReport } from "./index-service.js";
export type { CommitLogErrorCode } from "./store-errors.js";

// The store's parts, reachable from a MessageStore (DESIGN §4).
export { CommitLog } from "./commit-log.js";
export type { CommitLogEvents } from "./commit-log-events.js";
export { ConsumeQueue } from "./consume-queue.js";
export type { ConsumeQueueTable } from "./consume-queue-table.js";
export { ReputMessageService } from "./reput-message-service.js";
export { StoreCheckpoint } from "./store-checkpoint.js";

// The record codec (DESIGN §4), from @store/message-codec.
export {
  createMessageId,
  decodeMessage,
  decodeMessageId,
  decodeMessages,
  encodeMessage,
} from "@store/message-codec";
export type { DecodedMessage, DecodeResult, MessageInput } from "@store/message-codec";
