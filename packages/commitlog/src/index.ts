// Public API of @store/commitlog. Named exports only: what is not listed here is internal.

// Message codec: record layout and constants.
export {
  BLANK_MAGIC_CODE,
  BLANK_RECORD_LENGTH,
  BODYCRC_POSITION,
  bodyLengthPosition,
  BORNHOST_POSITION,
  bornHostLength,
  BORNTIMESTAMP_POSITION,
  calMsgLength,
  DEFAULT_MAX_MESSAGE_SIZE,
  ENCODER_BUFFER_HEADROOM,
  END_FILE_MIN_BLANK_LENGTH,
  FLAG_POSITION,
  IPV6_EXTRA_LENGTH,
  MAGICCODE_POSITION,
  MAX_PROPERTIES_LENGTH,
  MAX_TOPIC_LENGTH,
  MESSAGE_FIXED_LENGTH,
  MESSAGE_MAGIC_CODE,
  PHYSICALOFFSET_POSITION,
  QUEUEID_POSITION,
  QUEUEOFFSET_POSITION,
  storeHostLength,
  STORETIMESTAMP_POSITION,
  STORETIMESTAMP_POSITION_BORN_V6,
  storeTimestampPosition,
  SYSFLAG_BORNHOST_V6,
  SYSFLAG_COMPRESSED,
  SYSFLAG_MULTI_TAGS,
  SYSFLAG_POSITION,
  SYSFLAG_STOREHOST_V6,
  SYSFLAG_TRANSACTION_COMMIT_TYPE,
  SYSFLAG_TRANSACTION_NOT_TYPE,
  SYSFLAG_TRANSACTION_PREPARED_TYPE,
  SYSFLAG_TRANSACTION_ROLLBACK_TYPE,
  SYSFLAG_TRANSACTION_TYPE_MASK,
  TOTALSIZE_POSITION,
  transactionType,
} from "./codec/message-format.js";

// Message codec: properties and tags.
export {
  javaStringHashCode,
  KEY_SEPARATOR,
  messagePropertiesToString,
  NAME_VALUE_SEPARATOR,
  PROPERTY_CONSUME_START_TIMESTAMP,
  PROPERTY_CRC32,
  PROPERTY_DELAY_TIME_LEVEL,
  PROPERTY_KEYS,
  PROPERTY_MAX_OFFSET,
  PROPERTY_MAX_RECONSUME_TIMES,
  PROPERTY_MIN_OFFSET,
  PROPERTY_ORIGIN_MESSAGE_ID,
  PROPERTY_PRODUCER_GROUP,
  PROPERTY_REAL_QUEUE_ID,
  PROPERTY_REAL_TOPIC,
  PROPERTY_RECONSUME_TIME,
  PROPERTY_RETRY_TOPIC,
  PROPERTY_SEPARATOR,
  PROPERTY_START_DELIVER_TIME,
  PROPERTY_TAGS,
  PROPERTY_TRANSACTION_PREPARED,
  PROPERTY_TRANSACTION_PREPARED_QUEUE_OFFSET,
  PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
  PROPERTY_WAIT_STORE_MSG_OK,
  stringToMessageProperties,
  tagsString2tagsCode,
} from "./codec/message-properties.js";
export type { MessageProperties } from "./codec/message-properties.js";

// Message codec: encoding, patching, decoding, recovery check, msgId.
export { CodecError } from "./codec/codec-error.js";
export type { CodecErrorCode } from "./codec/codec-error.js";
export { MessageEncoder, MIN_MAX_MESSAGE_SIZE } from "./codec/message-encoder.js";
export type { MessageEncoderOptions } from "./codec/message-encoder.js";
export { encodeMessage } from "./codec/encode-message.js";
export type { EncodeMessageOptions } from "./codec/encode-message.js";
export { TOPIC_PATTERN } from "./codec/prepare-message.js";
export type { PreparedMessage } from "./codec/prepare-message.js";
export type { HostAddress } from "./codec/host-address.js";
export { patchRecord, writeBlankRecord } from "./codec/record-patch.js";
export { CRC32_RESERVED_LENGTH, fillPropertiesCrc } from "./codec/record-crc.js";
export { decodeMessage, decodeMessages } from "./codec/message-decoder.js";
export {
  checkMessageAndReturnSize,
  readDispatchUnit,
  DEFAULT_DELAY_LEVEL_TABLE_MS,
  SCHEDULE_TOPIC,
} from "./codec/check-message.js";
export type { CheckMessageOptions } from "./codec/check-message.js";
export {
  createMessageId,
  decodeMessageId,
  MESSAGE_ID_LENGTH_IPV4,
  MESSAGE_ID_LENGTH_IPV6,
} from "./codec/message-id.js";
export type { MessageIdParts } from "./codec/message-id.js";
export type {
  BatchEncodeFailure,
  BatchEncodeResult,
  BatchEncodeSuccess,
  BlankRecord,
  CheckMessageResult,
  DecodedMessage,
  DecodedMessageWithoutBody,
  DecodeFailure,
  DecodeFailureCode,
  DecodeMessagesResult,
  DecodeOptions,
  DecodeResult,
  DispatchRequest,
  DispatchUnit,
  EncodeFailure,
  EncodeFailureStatus,
  EncodeResult,
  EncodeSuccess,
  InvalidRecord,
  MessageInput,
} from "./codec/types.js";

// The store: put / get, consume queues, dispatch, checkpoint, recovery.
export { MessageStore } from "./message-store.js";
export type { MessageStoreOptions, TopicQueue, WaitForDispatchOptions } from "./message-store.js";
export { MAX_DISPATCH_WAITERS } from "./dispatch-waiters.js";
export type { LookMessageResult } from "./message-lookup.js";
export {
  EMBEDDED_COMMIT_LOG_FILE_SIZE,
  ROCKETMQ_COMMIT_LOG_FILE_SIZE,
  messageStoreConfigSchema,
  parseMessageStoreConfig,
} from "./message-store-config.js";
export type { MessageStoreConfig, MessageStoreConfigInput } from "./message-store-config.js";
export { CommitLog } from "./commit-log.js";
export type { CommitLogOptions } from "./commit-log.js";
export { CommitLogAppendCallback, takesQueueOffset } from "./append-message-callback.js";
export type { EncodedAppend } from "./append-message-callback.js";
export { recoverCommitLog, recoveryStartIndex } from "./commit-log-recovery.js";
export { DISPATCH_RULES, INDEX_RULE, keepUnitsBelow, recoveryCase, restartAt } from "./dispatch-plan.js";
export type { DispatchRule, QueueRecoveryReport, RecoveryCase, RecoveryFacts, RecoveryPoints } from "./dispatch-plan.js";
export type { RecoverOptions, RecoveryReport } from "./commit-log-recovery.js";
export { ConsumeQueue, CQ_STORE_UNIT_SIZE, DEFAULT_CONSUME_QUEUE_FILE_SIZE, isHoleUnit } from "./consume-queue.js";
export type { ConsumeQueueOptions, ConsumeQueueUnit, QueueRecoveryScan, UnitCheck } from "./consume-queue.js";
export { ConsumeQueueTable } from "./consume-queue-table.js";
export { ReputMessageService } from "./reput-message-service.js";
export { APPENDED_UNITS_INITIAL_CAPACITY, APPENDED_UNITS_MAX_CAPACITY, AppendedUnits } from "./appended-units.js";
export type { AppendedUnitVisitor } from "./appended-units.js";
export type { DispatchListener, ReputMessageServiceOptions } from "./reput-message-service.js";
export { FlushConsumeQueueService } from "./flush-consume-queue-service.js";
export type { FlushConsumeQueueServiceOptions } from "./flush-consume-queue-service.js";
export { IndexService, MAX_PENDING_RECORDS, QUERY_MAX_ENTRIES } from "./index-service.js";
export type { DispatchIndex, IndexRecoveryReport, IndexServiceOptions } from "./index-service.js";
export { IndexFile } from "./index-file.js";
export { HASH_SLOT_SIZE, INDEX_ENTRY_SIZE, INDEX_HEADER_SIZE, indexFileName, indexKeyHash, topicKeyPrefixHash } from "./index-format.js";
export type { IndexGeometry, IndexHeader } from "./index-format.js";
export { QUERY_MAX_RECORD_READS } from "./message-query.js";
export type { QueryMessageResult } from "./message-query.js";
export { CleanCommitLogService } from "./clean-commit-log-service.js";
export type { CleanCommitLogOptions } from "./clean-commit-log-service.js";
export { StoreCheckpoint } from "./store-checkpoint.js";
export { StoreLock } from "./store-lock.js";
export { DEFAULT_PULL_LIMITS, FILTER_SCAN_UNITS } from "./message-reader.js";
export type { ConsumeQueueFilter, PullLimits } from "./message-reader.js";
export { isPutStored } from "./store-types.js";
export type { GetMessageResult, GetMessageStatus, PutMessageResult, PutMessageStatus } from "./store-types.js";
export type { CommitLogErrorCode } from "./store-errors.js";
