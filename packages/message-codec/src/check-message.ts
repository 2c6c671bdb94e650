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
import { locateRecord, readRecord } from "./record-reader.js";
import { readInt64BE } from "./int64.js";
import {
  PHYSICALOFFSET_POSITION,
  QUEUEID_POSITION,
  QUEUEOFFSET_POSITION,
  storeTimestampPosition,
} from "./message-format.js";
import type {
  BlankRecord,
  CheckMessageResult,
  DispatchRequest,
  DispatchUnit,
  InvalidRecord,
} from "./types.js";
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
  /**
   * With checkCRC: RocketMQ 5's forceVerifyPropCRC as recovery applies it (see PropertiesCrcCheck
   * "force"): a record's `__CRC32#` property must hold its CRC; a record without one must end as
   * a complete record does. Default false: the body CRC only.
   */
  readonly forceVerifyPropCRC?: boolean;
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
  const topic = buffer.toString(
    "utf8",
    fields.topicPosition,
    fields.topicPosition + fields.topicLength,
  );
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
 *   mismatch, a negative length or (forced) a torn end; `{ success: false, size: TOTALSIZE }` when TOTALSIZE differs
 *   from calMsgLength.
 */
export function checkMessageAndReturnSize(
  buffer: Buffer,
  offset = 0,
  checkCRC = true,
  readBody = true,
  options: CheckMessageOptions = {},
): CheckMessageResult {
  const result = readRecord(
    buffer,
    offset,
    checkCRC && readBody,
    options.forceVerifyPropCRC === true ? "force" : "ignore",
  );
  switch (result.kind) {
    case "BLANK":
      return { kind: "BLANK", success: true, size: 0, blankLength: result.blankLength };
    case "INVALID":
      return {
        kind: "INVALID",
        success: false,
        size: result.size,
        code: result.code,
        reason: result.reason,
      };
    case "MESSAGE":
      return toDispatchRequest(
        buffer,
        result.fields,
        options.delayLevelTableMs ?? DEFAULT_DELAY_LEVEL_TABLE_MS,
      );
  }
}

const TAGS_PREFIX = Buffer.from(`${PROPERTY_TAGS}\u0001`, "latin1");
const KEYS_PREFIX = Buffer.from(`${PROPERTY_KEYS}\u0001`, "latin1");
const UNIQ_KEY_PREFIX = Buffer.from(`${PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX}\u0001`, "latin1");
const PROPERTY_END = 0x02;

/** What the dispatch reads of the properties without building a map (the last of a repeated name wins). */
interface DispatchProperties {
  tags: string | undefined;
  keys: string | undefined;
  uniqKey: string | undefined;
}

function startsWith(buffer: Buffer, at: number, end: number, prefix: Buffer): boolean {
  return (
    at + prefix.length <= end &&
    buffer.compare(prefix, 0, prefix.length, at, at + prefix.length) === 0
  );
}

/** Reused by every scan (they are synchronous): the dispatch allocates no object for it. */
const found: DispatchProperties = { tags: undefined, keys: undefined, uniqKey: undefined };

/** TAGS (and with `withKeys`, KEYS and UNIQ_KEY), scanning the properties bytes once. */
function scanDispatchProperties(
  buffer: Buffer,
  start: number,
  end: number,
  withKeys: boolean,
): DispatchProperties {
  found.tags = found.keys = found.uniqKey = undefined;
  for (let at = start; at < end;) {
    let next = buffer.indexOf(PROPERTY_END, at);
    if (next < 0 || next > end) next = end;
    if (startsWith(buffer, at, next, TAGS_PREFIX))
      found.tags = buffer.toString("utf8", at + TAGS_PREFIX.length, next);
    else if (withKeys && startsWith(buffer, at, next, KEYS_PREFIX))
      found.keys = buffer.toString("utf8", at + KEYS_PREFIX.length, next);
    else if (withKeys && startsWith(buffer, at, next, UNIQ_KEY_PREFIX))
      found.uniqKey = buffer.toString("utf8", at + UNIQ_KEY_PREFIX.length, next);
    at = next + 1;
  }
  return found;
}

/**
 * The dispatch's cheap path: validates the record's structure like {@link checkMessageAndReturnSize}
 * (without the CRC) and reads only what a consume-queue unit needs, without a properties map; with
 * `withKeys`, also the KEYS and UNIQ_KEY properties the message index needs.
 * Delayed messages (SCHEDULE_TOPIC_XXXX) take the full path for their deliver-time tagsCode.
 */
export function readDispatchUnit(
  buffer: Buffer,
  offset: number,
  withKeys = false,
): DispatchUnit | BlankRecord | InvalidRecord {
  const layout = locateRecord(buffer, offset, false);
  if ("kind" in layout) {
    if (layout.kind === "BLANK")
      return { kind: "BLANK", success: true, size: 0, blankLength: layout.blankLength };
    return {
      kind: "INVALID",
      success: false,
      size: layout.size,
      code: layout.code,
      reason: layout.reason,
    };
  }
  const { sysFlag, topicPosition, topicLength, propertiesPosition } = layout;
  const topic = buffer.toString("utf8", topicPosition, topicPosition + topicLength);
  if (topic === SCHEDULE_TOPIC) {
    const full = checkMessageAndReturnSize(buffer, offset, false, false);
    if (full.kind !== "MESSAGE") return full;
    const keys = withKeys && full.keys !== "" ? full.keys : undefined;
    const uniqKey = withKeys ? full.uniqKey : undefined;
    return {
      kind: "MESSAGE",
      size: full.size,
      topic,
      queueId: full.queueId,
      physicalOffset: full.physicalOffset,
      tagsCode: full.tagsCode,
      storeTimestamp: full.storeTimestamp,
      queueOffset: full.queueOffset,
      sysFlag,
      keys,
      uniqKey,
    };
  }
  const properties = scanDispatchProperties(
    buffer,
    propertiesPosition,
    propertiesPosition + layout.propertiesLength,
    withKeys,
  );
  return {
    kind: "MESSAGE",
    size: layout.totalSize,
    topic,
    queueId: buffer.readInt32BE(offset + QUEUEID_POSITION),
    physicalOffset: readInt64BE(buffer, offset + PHYSICALOFFSET_POSITION),
    tagsCode: tagsString2tagsCode(properties.tags),
    storeTimestamp: readInt64BE(buffer, offset + storeTimestampPosition(sysFlag)),
    queueOffset: readInt64BE(buffer, offset + QUEUEOFFSET_POSITION),
    sysFlag,
    keys: properties.keys,
    uniqKey: properties.uniqKey,
  };
}
