/**
 * Bounds-checked parsing of one record's fixed fields and field positions, shared by
 * {@link decodeMessage} and {@link checkMessageAndReturnSize}. Never throws: every read is
 * preceded by a length check, and garbage yields an `INVALID` result (RocketMQ semantics, §7.2).
 */
import { crc32 } from "node:zlib";
import { readInt64BE } from "./int64.js";
import {
  BLANK_MAGIC_CODE,
  BODYCRC_POSITION,
  BORNHOST_POSITION,
  BORNTIMESTAMP_POSITION,
  bodyLengthPosition,
  calMsgLength,
  FLAG_POSITION,
  MESSAGE_MAGIC_CODE,
  PHYSICALOFFSET_POSITION,
  QUEUEID_POSITION,
  QUEUEOFFSET_POSITION,
  recordMagicCode,
  recordTotalSize,
  SYSFLAG_BORNHOST_V6,
  SYSFLAG_POSITION,
  SYSFLAG_STOREHOST_V6,
} from "./message-format.js";
import {
  CRC32_RESERVED_LENGTH,
  computePropertiesCrc,
  hasPropertiesCrc,
  storedPropertiesCrc,
} from "./record-crc.js";
import type { DecodeFailureCode } from "./types.js";

/**
 * What a read checks of the whole-record CRC property `__CRC32#` (see record-crc.ts), with
 * `checkCRC` on (off: nothing):
 * - "ignore": nothing; the body CRC only.
 * - "if-present": the body CRC, and the record CRC where the record has one (decoding).
 * - "force": RocketMQ's forceVerifyPropCRC, for recovery: the record CRC where the record has one
 *   (it covers the body); otherwise the body CRC, and the record must end as a complete one does
 *   (non-empty properties end with `\u0002`; a topic's last byte is not 0), or it was torn.
 */
export type PropertiesCrcCheck = "ignore" | "if-present" | "force";

/** Where the variable parts of a validated record are (absolute positions). */
export interface RecordLayout {
  readonly offset: number;
  readonly totalSize: number;
  readonly sysFlag: number;
  readonly bodyPosition: number;
  readonly bodyLength: number;
  readonly topicPosition: number;
  readonly topicLength: number;
  readonly propertiesPosition: number;
  readonly propertiesLength: number;
}

/** The fields of a record and where its variable parts are (absolute buffer positions). */
export interface RecordFields extends RecordLayout {
  readonly bodyCRC: number;
  readonly queueId: number;
  readonly flag: number;
  readonly queueOffset: number;
  readonly physicalOffset: number;
  readonly bornTimestamp: number;
  readonly bornHostPosition: number;
  readonly bornIpLength: 4 | 16;
  readonly bornPort: number;
  readonly storeTimestamp: number;
  readonly storeHostPosition: number;
  readonly storeIpLength: 4 | 16;
  readonly storePort: number;
  readonly reconsumeTimes: number;
  readonly preparedTransactionOffset: number;
}

/** Outcome of {@link readRecord}. */
export type ReadRecordResult =
  | { readonly kind: "MESSAGE"; readonly fields: RecordFields }
  | { readonly kind: "BLANK"; readonly blankLength: number }
  | {
      readonly kind: "INVALID";
      readonly code: Exclude<DecodeFailureCode, "BLANK">;
      readonly reason: string;
      /** -1, or TOTALSIZE for SIZE_MISMATCH. */
      readonly size: number;
    };

function invalid(
  code: Exclude<DecodeFailureCode, "BLANK">,
  reason: string,
  size = -1,
): InvalidReadResult {
  return { kind: "INVALID", code, reason, size };
}

/** Reads the fixed fields of a validated record into one object literal (one hidden class). */
function readFields(buffer: Buffer, layout: RecordLayout): RecordFields {
  const { offset, sysFlag } = layout;
  const bornIpLength: 4 | 16 = (sysFlag & SYSFLAG_BORNHOST_V6) === 0 ? 4 : 16;
  const storeIpLength: 4 | 16 = (sysFlag & SYSFLAG_STOREHOST_V6) === 0 ? 4 : 16;
  const bornHostPosition = offset + BORNHOST_POSITION;
  const storeTimestampPosition = bornHostPosition + bornIpLength + 4;
  const storeHostPosition = storeTimestampPosition + 8;
  const reconsumePosition = storeHostPosition + storeIpLength + 4;
  return {
    offset,
    totalSize: layout.totalSize,
    bodyCRC: buffer.readInt32BE(offset + BODYCRC_POSITION),
    queueId: buffer.readInt32BE(offset + QUEUEID_POSITION),
    flag: buffer.readInt32BE(offset + FLAG_POSITION),
    queueOffset: readInt64BE(buffer, offset + QUEUEOFFSET_POSITION),
    physicalOffset: readInt64BE(buffer, offset + PHYSICALOFFSET_POSITION),
    sysFlag,
    bornTimestamp: readInt64BE(buffer, offset + BORNTIMESTAMP_POSITION),
    bornHostPosition,
    bornIpLength,
    bornPort: buffer.readInt32BE(bornHostPosition + bornIpLength),
    storeTimestamp: readInt64BE(buffer, storeTimestampPosition),
    storeHostPosition,
    storeIpLength,
    storePort: buffer.readInt32BE(storeHostPosition + storeIpLength),
    reconsumeTimes: buffer.readInt32BE(reconsumePosition),
    preparedTransactionOffset: readInt64BE(buffer, reconsumePosition + 4),
    bodyPosition: layout.bodyPosition,
    bodyLength: layout.bodyLength,
    topicPosition: layout.topicPosition,
    topicLength: layout.topicLength,
    propertiesPosition: layout.propertiesPosition,
    propertiesLength: layout.propertiesLength,
  };
}

/**
 * Parses the record at `offset`. Checks, in order: 8 readable bytes, magic (BLANK or MESSAGE),
 * half record (TOTALSIZE beyond the buffer), header, body, CRC (`checkCRC`; an empty body must
 * store 0), topic, properties, TOTALSIZE == calMsgLength.
 *
 * @param buffer - bytes to read.
 * @param offset - record start; a non-integer or out-of-range value reads as UNDERFLOW.
 * @param checkCRC - verify BODYCRC against the body.
 * @param propertiesCrc - what to check of the `__CRC32#` property (with checkCRC).
 */
export function readRecord(
  buffer: Buffer,
  offset: number,
  checkCRC: boolean,
  propertiesCrc: PropertiesCrcCheck = "ignore",
): ReadRecordResult {
  const layout = locateRecord(buffer, offset, checkCRC, propertiesCrc);
  return "kind" in layout ? layout : { kind: "MESSAGE", fields: readFields(buffer, layout) };
}

/**
 * The checks of {@link readRecord}, in the same order, without reading the fixed fields: the
 * record's layout for a valid message, else the BLANK or INVALID result.
 */
export function locateRecord(
  buffer: Buffer,
  offset: number,
  checkCRC: boolean,
  propertiesCrc: PropertiesCrcCheck = "ignore",
): RecordLayout | Exclude<ReadRecordResult, { readonly kind: "MESSAGE" }> {
  if (!Number.isInteger(offset) || offset < 0 || buffer.length - offset < 8) {
    return invalid("UNDERFLOW", `fewer than 8 bytes at ${offset}`);
  }
  const totalSize = recordTotalSize(buffer, offset);
  const magic = recordMagicCode(buffer, offset);
  if (magic === BLANK_MAGIC_CODE) {
    return { kind: "BLANK", blankLength: totalSize };
  }
  if (magic !== MESSAGE_MAGIC_CODE) {
    return invalid("BAD_MAGIC", `magic 0x${magic.toString(16).padStart(8, "0")} at ${offset}`);
  }
  const remaining = buffer.length - offset;
  if (totalSize > remaining || remaining < SYSFLAG_POSITION + 4) {
    return invalid(
      "UNDERFLOW",
      `half record at ${offset}: TOTALSIZE ${totalSize}, ${remaining} bytes left`,
    );
  }
  const sysFlag = buffer.readInt32BE(offset + SYSFLAG_POSITION);
  const bodyPosition = offset + bodyLengthPosition(sysFlag) + 4;
  if (bodyPosition > buffer.length) {
    return invalid("UNDERFLOW", `header at ${offset} runs past the buffer`);
  }
  const check = checkCRC ? propertiesCrc : "ignore";
  const withRecordCrc = check !== "ignore" && hasPropertiesCrc(buffer, offset, totalSize);
  // Forced, a record CRC covers the body: its CRC need not be computed twice (as RocketMQ).
  const layout = readLayout(
    buffer,
    offset,
    sysFlag,
    bodyPosition,
    checkCRC && !(withRecordCrc && check === "force"),
  );
  if ("kind" in layout || check === "ignore") return layout;
  if (withRecordCrc) return checkRecordCrc(buffer, layout);
  return check === "force" ? checkComplete(buffer, layout) : layout;
}

/** The layout, or why its CRC property does not hold the record's CRC. */
function checkRecordCrc(buffer: Buffer, layout: RecordLayout): RecordLayout | InvalidReadResult {
  const { offset, totalSize } = layout;
  if (layout.propertiesLength < CRC32_RESERVED_LENGTH)
    return invalid("BAD_FIELD", `a CRC property outside the properties at ${offset}`);
  const stored = storedPropertiesCrc(buffer, offset, totalSize);
  const computed = computePropertiesCrc(buffer, offset, totalSize);
  if (stored !== computed)
    return invalid("CRC_MISMATCH", `record CRC ${computed} != stored ${stored} at ${offset}`);
  return layout;
}

/**
 * The layout of a record without a CRC property, or why it ends as a torn record does: a write
 * torn at a sector boundary leaves zeros where its last bytes should be, and a complete record's
 * properties end with `\u0002` (its topic, when it has none, with a topic character).
 */
function checkComplete(buffer: Buffer, layout: RecordLayout): RecordLayout | InvalidReadResult {
  const end =
    layout.propertiesLength > 0
      ? layout.propertiesPosition + layout.propertiesLength
      : layout.topicPosition + layout.topicLength;
  const last = buffer[end - 1];
  const complete =
    layout.propertiesLength > 0 ? last === 0x02 : layout.topicLength > 0 && last !== 0;
  return complete
    ? layout
    : invalid("BAD_FIELD", `record at ${layout.offset} ends with byte ${last ?? -1}: torn`);
}

function readLayout(
  buffer: Buffer,
  offset: number,
  sysFlag: number,
  bodyPosition: number,
  checkCRC: boolean,
): RecordLayout | InvalidReadResult {
  const bodyLength = buffer.readInt32BE(bodyPosition - 4);
  if (bodyLength < 0) {
    return invalid("BAD_FIELD", `negative body length ${bodyLength} at ${offset}`);
  }
  const topicLengthPosition = bodyPosition + bodyLength;
  if (topicLengthPosition + 1 > buffer.length) {
    return invalid("UNDERFLOW", `body at ${offset} runs past the buffer`);
  }
  if (checkCRC) {
    const stored = buffer.readInt32BE(offset + BODYCRC_POSITION);
    const crc = crc32(buffer.subarray(bodyPosition, topicLengthPosition)) & 0x7fffffff;
    if (crc !== stored) {
      return invalid("CRC_MISMATCH", `body CRC ${crc} != stored ${stored} at ${offset}`);
    }
  }
  const topicLength = buffer.readInt8(topicLengthPosition);
  const topicPosition = topicLengthPosition + 1;
  if (topicLength < 0) {
    return invalid("BAD_FIELD", `negative topic length ${topicLength} at ${offset}`);
  }
  if (topicPosition + topicLength + 2 > buffer.length) {
    return invalid("UNDERFLOW", `topic at ${offset} runs past the buffer`);
  }
  const propertiesLength = buffer.readInt16BE(topicPosition + topicLength);
  const propertiesPosition = topicPosition + topicLength + 2;
  if (propertiesLength < 0) {
    return invalid("BAD_FIELD", `negative properties length ${propertiesLength} at ${offset}`);
  }
  if (propertiesPosition + propertiesLength > buffer.length) {
    return invalid("UNDERFLOW", `properties at ${offset} run past the buffer`);
  }
  const totalSize = recordTotalSize(buffer, offset);
  const expected = calMsgLength(sysFlag, bodyLength, topicLength, propertiesLength);
  if (totalSize !== expected) {
    return invalid(
      "SIZE_MISMATCH",
      `TOTALSIZE ${totalSize} != calMsgLength ${expected} at ${offset}`,
      totalSize,
    );
  }
  return {
    offset,
    totalSize,
    sysFlag,
    bodyPosition,
    bodyLength,
    topicPosition,
    topicLength,
    propertiesPosition,
    propertiesLength,
  };
}

/** An invalid record, as {@link readRecord} reports it. */
export type InvalidReadResult = Extract<ReadRecordResult, { readonly kind: "INVALID" }>;

/**
 * Validates the record at `offset` as recovery must (magic, bounds, CRCs when `checkCRC`, TOTALSIZE
 * == calMsgLength) without reading its fields or allocating for a valid one: returns TOTALSIZE for a
 * valid message, 0 for a blank record, or why it is invalid.
 */
export function validateRecord(
  buffer: Buffer,
  offset: number,
  checkCRC: boolean,
  propertiesCrc: PropertiesCrcCheck = "ignore",
): number | InvalidReadResult {
  const layout = locateRecord(buffer, offset, checkCRC, propertiesCrc);
  if (!("kind" in layout)) return layout.totalSize;
  return layout.kind === "BLANK" ? 0 : layout;
}
