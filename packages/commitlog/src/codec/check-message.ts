/**
 * Recovery's record check (RocketMQ CommitLog.checkMessageAndReturnSize, research §7.2, plus the
 * 5.x half-record check): validates one record and returns what the consume-queue dispatch needs.
 * `{ success: true, size: 0 }` is the end-of-file blank; `success: false` ends recovery there.
 */
import { readProperties } from "./message-decoder.js";
import {
  PROPERTY_DELAY_TIME_LEVEL,
  PROPERTY_KEYS,
  PROPERTY_TAGS,
  PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
  tagsString2tagsCode,
} from "./message-properties.js";
import type { RecordFields } from "./record-reader.js";
import { readRecord } from "./record-reader.js";
import type { CheckMessageResult, DispatchRequest } from "./types.js";
import type { MessageProperties } from "./message-properties.js";

/** The system topic that parks delayed messages until their deliver time. */
export const SCHEDULE_TOPIC = "SCHEDULE_TOPIC_XXXX";

/**
 * RocketMQ's default `messageDelayLevel` ("1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h
 * 2h"), ms; level n is entry n-1.
 */
export const DEFAULT_DELAY_LEVEL_TABLE_MS: readonly number[] = [
  1_000, 5_000, 10_000, 30_000, 60_000, 120_000, 180_000, 240_000, 300_000, 360_000, 420_000,
  480_000, 540_000, 600_000, 1_200_000, 1_800_000, 3_600_000, 7_200_000,
];

/** Options of {@link checkMessageAndReturnSize}. */
export interface CheckMessageOptions {
  /** Delay per level, ms (level n at index n-1); default {@link DEFAULT_DELAY_LEVEL_TABLE_MS}. */
  readonly delayLevelTableMs?: readonly number[];
}

const DECIMAL = /^[+-]?\d{1,10}$/;

function computeTagsCode(
  topic: string,
  properties: MessageProperties,
  storeTimestamp: number,
  delayLevelTableMs: readonly number[],
): number {
  const tagsCode = tagsString2tagsCode(properties[PROPERTY_TAGS]);
  const delay = properties[PROPERTY_DELAY_TIME_LEVEL];
  if (topic !== SCHEDULE_TOPIC || delay === undefined || !DECIMAL.test(delay)) {
    return tagsCode;
  }
  const level = Math.min(Number(delay), delayLevelTableMs.length);
  if (level <= 0) {
    return tagsCode;
  }
  return storeTimestamp + (delayLevelTableMs[level - 1] ?? 1000);
}

function toDispatchRequest(
  buffer: Buffer,
  fields: RecordFields,
  delayLevelTableMs: readonly number[],
): DispatchRequest {
  const properties = readProperties(buffer, fields);
  const topic = buffer.toString("utf8", fields.topicPosition, fields.topicPosition + fields.topicLength);
  return {
    kind: "MESSAGE",
    success: true,
    size: fields.totalSize,
    topic,
    queueId: fields.queueId,
    physicalOffset: fields.physicalOffset,
    tagsCode: computeTagsCode(topic, properties, fields.storeTimestamp, delayLevelTableMs),
    storeTimestamp: fields.storeTimestamp,
    queueOffset: fields.queueOffset,
    keys: properties[PROPERTY_KEYS] ?? "",
    uniqKey: properties[PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX],
    sysFlag: fields.sysFlag,
    preparedTransactionOffset: fields.preparedTransactionOffset,
    bornTimestamp: fields.bornTimestamp,
    properties,
  };
}

/**
 * Checks the record at `offset` the way recovery does. Never throws.
 *
 * @param buffer - a file view or any bytes.
 * @param offset - record start, bytes; default 0.
 * @param checkCRC - verify BODYCRC (default true; skipped when `readBody` is false).
 * @param readBody - read the body (default true).
 * @param options - the delay-level table for SCHEDULE_TOPIC_XXXX tagsCodes.
 * @returns a {@link DispatchRequest} (`success: true`, `size` = TOTALSIZE) for a valid message;
 *   `{ kind: "BLANK", success: true, size: 0 }` for the end-of-file blank;
 *   `{ kind: "INVALID", success: false, size: -1 }` for underflow, a half record, bad magic, a CRC
 *   mismatch or a negative length; `{ success: false, size: TOTALSIZE }` when TOTALSIZE differs
 *   from calMsgLength.
 */
export function checkMessageAndReturnSize(
  buffer: Buffer,
  offset = 0,
  checkCRC = true,
  readBody = true,
  options: CheckMessageOptions = {},
): CheckMessageResult {
  const result = readRecord(buffer, offset, checkCRC && readBody);
  switch (result.kind) {
    case "BLANK":
      return { kind: "BLANK", success: true, size: 0, blankLength: result.blankLength };
    case "INVALID":
      return { kind: "INVALID", success: false, size: result.size, code: result.code, reason: result.reason };
    case "MESSAGE":
      return toDispatchRequest(buffer, result.fields, options.delayLevelTableMs ?? DEFAULT_DELAY_LEVEL_TABLE_MS);
  }
}
