// Public API of @store/message-codec. Named exports only: what is not listed here is internal.

// The v1 record layout: every offset, flag and limit, and the readers of the header fields.
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
  recordMagicCode,
  recordStoreTimestamp,
  recordTotalSize,
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
} from "./message-format.js";
export { readInt64BE, writeInt32BE, writeInt64BE } from "./int64.js";

// Properties (separators 1 and 2) and tags.
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
} from "./message-properties.js";
export type { MessageProperties } from "./message-properties.js";

// Errors.
export { MessageCodecError } from "./message-codec-error.js";
export type { MessageCodecErrorCode } from "./message-codec-error.js";

// Encoding: prepare + write into a destination buffer, the batch writer, and the wrappers over them.
export { MessageEncoder, MIN_MAX_MESSAGE_SIZE } from "./message-encoder.js";
export type { MessageEncoderOptions } from "./message-encoder.js";
export { encodeMessage } from "./encode-message.js";
export type { EncodeMessageOptions } from "./encode-message.js";
export { storedKeys, storedTags, TOPIC_PATTERN } from "./prepare-message.js";
export type { PreparedMessage } from "./prepare-message.js";
export { writeRecord } from "./record-writer.js";
export { patchRecord, writeBlankRecord } from "./record-patch.js";
export { CRC32_RESERVED_LENGTH, fillPropertiesCrc } from "./record-crc.js";

// Decoding, the recovery check and the dispatch read: all through one layout parser.
export { decodeMessage, decodeMessages } from "./message-decoder.js";
export {
  checkMessageAndReturnSize,
  DEFAULT_DELAY_LEVEL_TABLE_MS,
  readDispatchUnit,
  SCHEDULE_TOPIC,
} from "./check-message.js";
export type { CheckMessageOptions } from "./check-message.js";
export { validateRecord } from "./record-reader.js";
export type { PropertiesCrcCheck } from "./record-reader.js";

// Message ids and host addresses.
export {
  createMessageId,
  decodeMessageId,
  MESSAGE_ID_LENGTH_IPV4,
  MESSAGE_ID_LENGTH_IPV6,
} from "./message-id.js";
export type { MessageIdParts } from "./message-id.js";
export { hostAddressToString, parseHostAddress } from "./host-address.js";
export type { HostAddress } from "./host-address.js";

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
} from "./types.js";
