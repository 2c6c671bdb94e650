/**
 * The in-place edits the commit log makes at append time (RocketMQ DefaultAppendMessageCallback):
 * stamping QUEUEOFFSET, PHYSICALOFFSET and STORETIMESTAMP into an encoded record, and the 8-byte
 * blank record that closes a file.
 */
import { crc32 } from "node:zlib";
import { MessageCodecError } from "./message-codec-error.js";
import { writeInt64BE } from "./int64.js";
import {
  BLANK_MAGIC_CODE,
  BLANK_RECORD_LENGTH,
  END_FILE_MIN_BLANK_LENGTH,
  MAGICCODE_POSITION,
  PHYSICALOFFSET_POSITION,
  QUEUEOFFSET_POSITION,
  recordTotalSize,
  storeTimestampPosition,
  SYSFLAG_POSITION,
  TOTALSIZE_POSITION,
} from "./message-format.js";
import { fillPropertiesCrc } from "./record-crc.js";

function checkSafeInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value)) {
    throw new MessageCodecError("INVALID_ARGUMENT", `${name} is not a safe integer: ${value}`);
  }
}

/**
 * Writes QUEUEOFFSET (20), PHYSICALOFFSET (28) and STORETIMESTAMP (56, or 68 when SYSFLAG says the
 * born host is IPv6) into an encoded record, and refills its whole-record CRC property (which covers
 * them) when it has one.
 *
 * @param record - the record, starting at index 0 (e.g. an encoder result or a file view).
 * @param queueOffset - consume-queue index.
 * @param physicalOffset - commit-log offset of the record, bytes.
 * @param storeTimestamp - ms.
 * @throws MessageCodecError `INVALID_RECORD` if `record` is too short to hold the three fields,
 *   `INVALID_ARGUMENT` if a value is not a safe integer.
 */
export function patchRecord(
  record: Buffer,
  queueOffset: number,
  physicalOffset: number,
  storeTimestamp: number,
): void {
  if (record.length < SYSFLAG_POSITION + 4) {
    throw new MessageCodecError(
      "INVALID_RECORD",
      `record is ${record.length} bytes, too short to patch`,
    );
  }
  const timestampPosition = storeTimestampPosition(record.readInt32BE(SYSFLAG_POSITION));
  if (record.length < timestampPosition + 8) {
    throw new MessageCodecError(
      "INVALID_RECORD",
      `record is ${record.length} bytes, too short to patch`,
    );
  }
  checkSafeInteger("queueOffset", queueOffset);
  checkSafeInteger("physicalOffset", physicalOffset);
  checkSafeInteger("storeTimestamp", storeTimestamp);
  writeInt64BE(record, QUEUEOFFSET_POSITION, queueOffset);
  writeInt64BE(record, PHYSICALOFFSET_POSITION, physicalOffset);
  writeInt64BE(record, timestampPosition, storeTimestamp);
  const size = recordTotalSize(record);
  if (size <= record.length) fillPropertiesCrc(record, 0, size, crc32);
}

/**
 * Writes the end-of-file blank record `[int32 maxBlank][int32 0xCBD43194]`. Only these 8 bytes are
 * written; the declared length makes a scanner jump to the end of the file.
 *
 * @param target - destination buffer.
 * @param offset - where the blank record starts, bytes.
 * @param maxBlank - bytes left in the file from `offset`, at least 8.
 * @returns {@link BLANK_RECORD_LENGTH} (8), the bytes written.
 * @throws MessageCodecError `INVALID_ARGUMENT` if `maxBlank` is not an int32 >= 8, `INVALID_RECORD` if
 *   `target` has no 8 bytes at `offset`.
 */
export function writeBlankRecord(target: Buffer, offset: number, maxBlank: number): number {
  if (
    !Number.isInteger(maxBlank) ||
    maxBlank < END_FILE_MIN_BLANK_LENGTH ||
    maxBlank > 0x7fffffff
  ) {
    throw new MessageCodecError("INVALID_ARGUMENT", `maxBlank must be an int32 >= 8: ${maxBlank}`);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset + BLANK_RECORD_LENGTH > target.length) {
    throw new MessageCodecError("INVALID_RECORD", `no room for the blank record at ${offset}`);
  }
  target.writeInt32BE(maxBlank, offset + TOTALSIZE_POSITION);
  target.writeUInt32BE(BLANK_MAGIC_CODE, offset + MAGICCODE_POSITION);
  return BLANK_RECORD_LENGTH;
}
