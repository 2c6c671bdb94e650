/**
 * Decoding records into {@link DecodedMessage}s (RocketMQ MessageDecoder.decode): one record, or
 * N back to back as in a pull body. The body is a view into the input, never a copy, and is
 * returned as stored (a compressed body stays compressed).
 */
import { formatHostAddress, formatIp } from "./host-address.js";
import { MESSAGE_MAGIC_CODE, PHYSICALOFFSET_POSITION } from "./message-format.js";
import { messageIdFromRecord } from "./message-id.js";
import type { MessageProperties } from "./message-properties.js";
import {
  PROPERTY_CRC32,
  PROPERTY_KEYS,
  PROPERTY_TAGS,
  stringToMessageProperties,
} from "./message-properties.js";
import { CRC32_RESERVED_LENGTH, hasPropertiesCrc } from "./record-crc.js";
import type { ReadRecordResult, RecordFields } from "./record-reader.js";
import { readRecord } from "./record-reader.js";
import type {
  DecodedMessage,
  DecodedMessageWithoutBody,
  DecodeFailure,
  DecodeMessagesResult,
  DecodeOptions,
  DecodeResult,
} from "./types.js";

type AnyDecodedMessage = DecodedMessage | DecodedMessageWithoutBody;
/** Options that keep the body (the default). */
type WithBody = DecodeOptions & { readonly readBody?: true };
/** Options that skip the body. */
type WithoutBody = DecodeOptions & { readonly readBody: false };

/**
 * The properties of a parsed record (an empty null-prototype map when it has none), without the
 * store's whole-record CRC property `__CRC32#`: it is not the message's (RocketMQ's proxy leaves it
 * out of user properties too).
 * @param buffer - the buffer holding the record.
 * @param fields - from {@link readRecord}.
 */
export function readProperties(buffer: Buffer, fields: RecordFields): MessageProperties {
  if (fields.propertiesLength === 0) {
    return Object.create(null) as MessageProperties;
  }
  let end = fields.propertiesPosition + fields.propertiesLength;
  if (
    fields.propertiesLength >= CRC32_RESERVED_LENGTH &&
    hasPropertiesCrc(buffer, fields.offset, fields.totalSize)
  )
    end -= CRC32_RESERVED_LENGTH;
  const properties = stringToMessageProperties(
    buffer.toString("utf8", fields.propertiesPosition, end),
  );
  if (properties[PROPERTY_CRC32] !== undefined) delete properties[PROPERTY_CRC32];
  return properties;
}

function toFailure(
  result: Exclude<ReadRecordResult, { kind: "MESSAGE" }>,
  offset: number,
): DecodeFailure {
  if (result.kind === "BLANK") {
    const reason = `blank record of ${result.blankLength} bytes at ${offset}: end of file`;
    return { ok: false, code: "BLANK", reason, offset, size: 0 };
  }
  return { ok: false, code: result.code, reason: result.reason, offset, size: result.size };
}

function toMessage<B extends Buffer | null>(
  buffer: Buffer,
  fields: RecordFields,
  body: B,
): Omit<DecodedMessage, "body"> & { readonly body: B } {
  const properties = readProperties(buffer, fields);
  const bornIp = formatIp(buffer, fields.bornHostPosition, fields.bornIpLength);
  const storeIp = formatIp(buffer, fields.storeHostPosition, fields.storeIpLength);
  const topicEnd = fields.topicPosition + fields.topicLength;
  return {
    totalSize: fields.totalSize,
    magic: MESSAGE_MAGIC_CODE,
    bodyCRC: fields.bodyCRC,
    queueId: fields.queueId,
    flag: fields.flag,
    queueOffset: fields.queueOffset,
    physicalOffset: fields.physicalOffset,
    sysFlag: fields.sysFlag,
    bornTimestamp: fields.bornTimestamp,
    bornHost: formatHostAddress(bornIp, fields.bornIpLength, fields.bornPort),
    storeTimestamp: fields.storeTimestamp,
    storeHost: formatHostAddress(storeIp, fields.storeIpLength, fields.storePort),
    reconsumeTimes: fields.reconsumeTimes,
    preparedTransactionOffset: fields.preparedTransactionOffset,
    body,
    topic: buffer.toString("utf8", fields.topicPosition, topicEnd),
    properties,
    tags: properties[PROPERTY_TAGS],
    keys: properties[PROPERTY_KEYS],
    msgId: messageIdFromRecord(
      buffer,
      fields.storeHostPosition,
      fields.storeIpLength,
      fields.offset + PHYSICALOFFSET_POSITION,
    ),
  };
}

/**
 * Decodes the record at `offset`. Never throws on garbage.
 *
 * @param buffer - bytes holding the record.
 * @param offset - record start, bytes; default 0.
 * @param options - `checkCRC` (default true) verifies BODYCRC, and the whole-record CRC property
 *   where the record has one; `readBody` (default true) returns the body view (when false the body
 *   is `null` and no CRC is checked, as in RocketMQ).
 * @returns the message, or a {@link DecodeFailure}: `UNDERFLOW`, `BAD_MAGIC`, `BLANK`,
 *   `CRC_MISMATCH`, `BAD_FIELD` or `SIZE_MISMATCH`.
 */
export function decodeMessage(buffer: Buffer, offset?: number, options?: WithBody): DecodeResult;
export function decodeMessage(
  buffer: Buffer,
  offset: number,
  options: WithoutBody,
): DecodeResult<DecodedMessageWithoutBody>;
export function decodeMessage(
  buffer: Buffer,
  offset?: number,
  options?: DecodeOptions,
): DecodeResult<AnyDecodedMessage>;
export function decodeMessage(
  buffer: Buffer,
  offset = 0,
  options: DecodeOptions = {},
): DecodeResult<AnyDecodedMessage> {
  const readBody = options.readBody ?? true;
  const checkCRC = (options.checkCRC ?? true) && readBody;
  const result = readRecord(buffer, offset, checkCRC, "if-present");
  if (result.kind !== "MESSAGE") {
    return toFailure(result, offset);
  }
  const { fields } = result;
  const message = readBody
    ? toMessage(
        buffer,
        fields,
        buffer.subarray(fields.bodyPosition, fields.bodyPosition + fields.bodyLength),
      )
    : toMessage(buffer, fields, null);
  return { ok: true, message };
}

/**
 * Decodes back-to-back records from the start of `buffer` (a pull body or a file slice), stopping
 * at the first record that does not decode (including a blank record).
 *
 * @param buffer - the bytes.
 * @param options - as for {@link decodeMessage}.
 * @returns the messages, the bytes they cover, and why decoding stopped early (undefined when
 *   the whole buffer was consumed).
 */
export function decodeMessages(buffer: Buffer, options?: WithBody): DecodeMessagesResult;
export function decodeMessages(
  buffer: Buffer,
  options: WithoutBody,
): DecodeMessagesResult<DecodedMessageWithoutBody>;
export function decodeMessages(
  buffer: Buffer,
  options?: DecodeOptions,
): DecodeMessagesResult<AnyDecodedMessage>;
export function decodeMessages(
  buffer: Buffer,
  options: DecodeOptions = {},
): DecodeMessagesResult<AnyDecodedMessage> {
  const messages: AnyDecodedMessage[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    const result = decodeMessage(buffer, offset, options);
    if (!result.ok) {
      return { messages, bytesRead: offset, failure: result };
    }
    messages.push(result.message);
    offset += result.message.totalSize;
  }
  return { messages, bytesRead: offset, failure: undefined };
}
