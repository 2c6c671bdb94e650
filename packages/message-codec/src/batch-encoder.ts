/**
 * Batch encoding (RocketMQ MessageExtBatchEncoder): N records back to back in one buffer, each
 * with the batch-level properties appended to its own. A batch goes to one queue, so every message
 * shares the first one's topic and queueId; transactions and delay levels are refused.
 */
import { MAX_PROPERTIES_LENGTH, SYSFLAG_TRANSACTION_TYPE_MASK } from "./message-format.js";
import { PROPERTY_DELAY_TIME_LEVEL } from "./message-properties.js";
import type { PrepareContext, PreparedMessage } from "./prepare-message.js";
import { appendPropertyMap, prepareMessage } from "./prepare-message.js";
import { crc32 } from "node:zlib";
import { fillPropertiesCrc } from "./record-crc.js";
import { writeRecord } from "./record-writer.js";
import type {
  BatchEncodeFailure,
  BatchEncodeResult,
  EncodeFailure,
  MessageInput,
} from "./types.js";

const INTEGER = /^[+-]?\d+$/;

function batchIllegal(reason: string, index: number): BatchEncodeFailure {
  return { status: "MESSAGE_ILLEGAL", reason, index };
}

function withIndex(failure: EncodeFailure, index: number): BatchEncodeFailure {
  return { status: failure.status, reason: failure.reason, index };
}

function batchPropertiesString(
  properties: Readonly<Record<string, string>> | undefined,
): string | BatchEncodeFailure {
  const text = appendPropertyMap("", properties ?? {}, false, false);
  if (typeof text !== "string") {
    return withIndex(text, -1);
  }
  const length = Buffer.byteLength(text, "utf8");
  if (length > MAX_PROPERTIES_LENGTH) {
    const reason = `batch properties are ${length} bytes, more than ${MAX_PROPERTIES_LENGTH}`;
    return { status: "PROPERTIES_SIZE_EXCEEDED", reason, index: -1 };
  }
  return text;
}

/** Why a message may not be part of a batch, or `undefined`. */
function checkBatchMember(message: MessageInput, first: MessageInput): string | undefined {
  if (message.topic !== first.topic || (message.queueId ?? 0) !== (first.queueId ?? 0)) {
    return "every message of a batch must have the topic and queueId of the first";
  }
  if (((message.sysFlag ?? 0) & SYSFLAG_TRANSACTION_TYPE_MASK) !== 0) {
    return "a batch does not support transactional messages";
  }
  if ((message.preparedTransactionOffset ?? 0) !== 0) {
    return "a batch does not support a prepared transaction offset";
  }
  const delay = message.properties?.[PROPERTY_DELAY_TIME_LEVEL];
  if (delay !== undefined && (!INTEGER.test(delay) || Number(delay) > 0)) {
    return "a batch does not support delay levels";
  }
  return undefined;
}

/**
 * Validates and writes a batch at the start of `target`.
 *
 * @param target - destination; records are written from index 0.
 * @param messages - at least one message.
 * @param storeTimestamp - ms, for every record.
 * @param context - limits (`maxBodySize` bounds the sum of the bodies, `maxRecordSize` the sum
 *   of the records) and hosts.
 * @param batchProperties - properties appended to every message.
 * @returns `PUT_OK` with a view of the records, or the first refusal with the index of the
 *   message (-1 for batch-level reasons): `MESSAGE_ILLEGAL` or `PROPERTIES_SIZE_EXCEEDED`.
 */
export function encodeBatchInto(
  target: Buffer,
  messages: readonly MessageInput[],
  storeTimestamp: number,
  context: PrepareContext,
  batchProperties?: Readonly<Record<string, string>>,
): BatchEncodeResult {
  const first = messages[0];
  if (first === undefined) {
    return batchIllegal("a batch needs at least one message", -1);
  }
  const batchText = batchPropertiesString(batchProperties);
  if (typeof batchText !== "string") {
    return batchText;
  }
  const batchContext: PrepareContext = { ...context, batchPropertiesString: batchText };
  const prepared: PreparedMessage[] = [];
  let bodyBytes = 0;
  let recordBytes = 0;
  for (const [index, message] of messages.entries()) {
    const memberFailure = checkBatchMember(message, first);
    if (memberFailure !== undefined) {
      return batchIllegal(memberFailure, index);
    }
    const result = prepareMessage(message, storeTimestamp, batchContext);
    if ("status" in result) {
      return withIndex(result, index);
    }
    bodyBytes += result.body.length;
    recordBytes += result.totalSize;
    if (bodyBytes > context.limits.maxBodySize) {
      return batchIllegal(`batch bodies exceed maxMessageSize ${context.limits.maxBodySize}`, -1);
    }
    if (recordBytes > context.limits.maxRecordSize) {
      return batchIllegal(`batch records exceed ${context.limits.maxRecordSize} bytes`, -1);
    }
    prepared.push(result);
  }
  let position = 0;
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  for (const message of prepared) {
    const start = position;
    position = writeRecord(target, position, message, storeTimestamp, 0, 0, view);
    if (context.appendPropCRC === true) fillPropertiesCrc(target, start, position - start, crc32);
  }
  return { status: "PUT_OK", records: target.subarray(0, position), count: prepared.length };
}
