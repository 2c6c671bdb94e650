/**
 * RocketMQ 5's whole-record CRC (`enabledAppendPropCRC`, CommitLog.CRC32_RESERVED_LEN): the last
 * property of a record is `__CRC32#` + `\u0001` + 10 ASCII digits + `\u0002` (20 bytes), the digits
 * holding `crc32(record[0, totalSize - 20)) & 0x7FFFFFFF` least significant digit first, zero-padded
 * (MessageDecoder.createCrc32). It covers every byte before those 20: the header with the queue
 * offset, physical offset, store time and body CRC, the body, the topic and the other properties.
 * So it can be filled only once the record's final bytes are in place.
 */
import { crc32 } from "node:zlib";
import { NAME_VALUE_SEPARATOR, PROPERTY_CRC32, PROPERTY_SEPARATOR } from "./message-properties.js";

/** Bytes the CRC property takes at the end of the properties. */
export const CRC32_RESERVED_LENGTH = 20;
/** Digits of the CRC value. */
const CRC_DIGITS = 10;
/** The property as written before its CRC is filled (digits "0000000000"). */
export const CRC32_PROPERTY_PLACEHOLDER = `${PROPERTY_CRC32}${NAME_VALUE_SEPARATOR}${"0".repeat(CRC_DIGITS)}${PROPERTY_SEPARATOR}`;
/** `__CRC32#\u0001`: how the property begins. */
const CRC_PREFIX = Buffer.from(`${PROPERTY_CRC32}${NAME_VALUE_SEPARATOR}`, "latin1");
/** The smallest record: the 91-byte header plus a 1-byte topic (a record shorter holds no property). */
const SMALLEST_RECORD = 92;

/**
 * Fills the CRC property of the record at `at` (`size` bytes) when it ends with one; returns whether
 * it did.
 *
 * @param buffer - the bytes holding the record.
 * @param at - where the record starts.
 * @param size - its TOTALSIZE.
 * @param crc - `zlib.crc32`.
 */
export function fillPropertiesCrc(
  buffer: Uint8Array,
  at: number,
  size: number,
  crc: (data: Uint8Array) => number,
): boolean {
  const slot = at + size - 20;
  // "__CRC32#" then \u0001 at its end; \u0002 closes the record.
  const prefix = [0x5f, 0x5f, 0x43, 0x52, 0x43, 0x33, 0x32, 0x23, 0x01];
  if (size < 112 || buffer[at + size - 1] !== 0x02) return false;
  for (let i = 0; i < prefix.length; i++) if (buffer[slot + i] !== prefix[i]) return false;
  let value = crc(buffer.subarray(at, slot)) & 0x7fffffff;
  for (let i = 0; i < 10; i++) {
    buffer[slot + 9 + i] = 0x30 + (value % 10);
    value = Math.floor(value / 10);
  }
  return true;
}

/** Whether the record at `at` ends with the CRC property's name and separators (its digits unchecked). */
export function hasPropertiesCrc(buffer: Buffer, at: number, size: number): boolean {
  if (size < SMALLEST_RECORD + CRC32_RESERVED_LENGTH || buffer[at + size - 1] !== 0x02)
    return false;
  const slot = at + size - CRC32_RESERVED_LENGTH;
  return buffer.compare(CRC_PREFIX, 0, CRC_PREFIX.length, slot, slot + CRC_PREFIX.length) === 0;
}

/**
 * The CRC the property of the record at `at` holds, or -1 when its digits are not 10 ASCII digits.
 * Call only when {@link hasPropertiesCrc}.
 */
export function storedPropertiesCrc(buffer: Buffer, at: number, size: number): number {
  const digits = at + size - 1 - CRC_DIGITS;
  let value = 0;
  for (let i = CRC_DIGITS - 1; i >= 0; i--) {
    const digit = (buffer[digits + i] ?? 0) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** `crc32(record[0, size - 20)) & 0x7FFFFFFF`: what the record's CRC property must hold. */
export function computePropertiesCrc(buffer: Buffer, at: number, size: number): number {
  return crc32(buffer.subarray(at, at + size - CRC32_RESERVED_LENGTH)) & 0x7fffffff;
}
