/**
 * The RocketMQ V1 commit-log record layout (research §6.5), big-endian:
 *
 * ```
 * offset  size  field
 *      0     4  TOTALSIZE                 whole record, bytes
 *      4     4  MAGICCODE                 0xDAA320A7
 *      8     4  BODYCRC                   crc32(body) & 0x7FFFFFFF
 *     12     4  QUEUEID
 *     16     4  FLAG                      user flag
 *     20     8  QUEUEOFFSET               consume-queue index (patched at append)
 *     28     8  PHYSICALOFFSET            commit-log offset of this record (patched at append)
 *     36     4  SYSFLAG
 *     40     8  BORNTIMESTAMP             ms
 *     48  8|20  BORNHOST                  IPv4 (4) or IPv6 (16) address + int32 port
 *  56|68     8  STORETIMESTAMP            ms (patched at append)
 *    ...  8|20  STOREHOSTADDRESS          address + int32 port
 *    ...     4  RECONSUMETIMES
 *    ...     8  PREPARED TRANSACTION OFFSET
 *    ...  4+b   BODYLEN, BODY
 *    ...  1+t   TOPICLEN (signed byte), TOPIC (UTF-8)
 *    ...  2+p   PROPERTIESLEN (signed short), PROPERTIES (UTF-8 `k\u0001v\u0002...`)
 * ```
 *
 * Every offset of the layout is named here; other code reads fields through these names or the
 * readers below, never through literal offsets.
 */
import { readInt64BE } from "./int64.js";

/** Magic code of a V1 message record, as an unsigned 32-bit value (reads as -626843481 signed). */
export const MESSAGE_MAGIC_CODE = 0xdaa320a7;
/** Magic code of the blank record that fills the tail of a commit-log file (unsigned 32-bit). */
export const BLANK_MAGIC_CODE = 0xcbd43194;
/** Bytes a record must leave free after itself in a file: room for the 8-byte blank record. */
export const END_FILE_MIN_BLANK_LENGTH = 8;
/** Bytes physically written for a blank record: int32 maxBlank + int32 {@link BLANK_MAGIC_CODE}. */
export const BLANK_RECORD_LENGTH = 8;

/** Byte offset of TOTALSIZE (int32). */
export const TOTALSIZE_POSITION = 0;
/** Byte offset of MAGICCODE (int32). */
export const MAGICCODE_POSITION = 4;
/** Byte offset of BODYCRC (int32). */
export const BODYCRC_POSITION = 8;
/** Byte offset of QUEUEID (int32). */
export const QUEUEID_POSITION = 12;
/** Byte offset of FLAG (int32). */
export const FLAG_POSITION = 16;
/** Byte offset of QUEUEOFFSET (int64). */
export const QUEUEOFFSET_POSITION = 20;
/** Byte offset of PHYSICALOFFSET (int64). */
export const PHYSICALOFFSET_POSITION = 28;
/** Byte offset of SYSFLAG (int32). */
export const SYSFLAG_POSITION = 36;
/** Byte offset of BORNTIMESTAMP (int64). */
export const BORNTIMESTAMP_POSITION = 40;
/** Byte offset of BORNHOST (address + int32 port). */
export const BORNHOST_POSITION = 48;
/** Byte offset of STORETIMESTAMP (int64) when the born host is IPv4. */
export const STORETIMESTAMP_POSITION = 56;
/** Byte offset of STORETIMESTAMP (int64) when the born host is IPv6 ({@link SYSFLAG_BORNHOST_V6}). */
export const STORETIMESTAMP_POSITION_BORN_V6 = 68;

/** Body is zlib-compressed (the store never inflates it). */
export const SYSFLAG_COMPRESSED = 0x1;
/** Tags hold several values (tagsCode is still the hash of the whole TAGS string). */
export const SYSFLAG_MULTI_TAGS = 0x2;
/** Mask of the transaction type bits. */
export const SYSFLAG_TRANSACTION_TYPE_MASK = 0xc;
/** Transaction type: not a transactional message. */
export const SYSFLAG_TRANSACTION_NOT_TYPE = 0x0;
/** Transaction type: half (prepared) message; stored with queueOffset 0. */
export const SYSFLAG_TRANSACTION_PREPARED_TYPE = 0x4;
/** Transaction type: commit. */
export const SYSFLAG_TRANSACTION_COMMIT_TYPE = 0x8;
/** Transaction type: rollback; stored with queueOffset 0. */
export const SYSFLAG_TRANSACTION_ROLLBACK_TYPE = 0xc;
/** BORNHOST is 16 address bytes + port (20 bytes) instead of 4 + port (8 bytes). */
export const SYSFLAG_BORNHOST_V6 = 0x10;
/** STOREHOSTADDRESS is 16 address bytes + port (20 bytes) instead of 4 + port (8 bytes). */
export const SYSFLAG_STOREHOST_V6 = 0x20;

/** Fixed part of a record with two IPv4 hosts, bytes (everything but body, topic, properties). */
export const MESSAGE_FIXED_LENGTH = 91;
/** Extra bytes per IPv6 host (16-byte address instead of 4). */
export const IPV6_EXTRA_LENGTH = 12;
/** Longest topic a V1 record can hold, UTF-8 bytes (the length is a signed byte). */
export const MAX_TOPIC_LENGTH = 127;
/** Longest properties string a record can hold, UTF-8 bytes (the length is a signed short). */
export const MAX_PROPERTIES_LENGTH = 32767;
/** Default `maxMessageSize` (body limit), bytes: 4 MiB as in RocketMQ. */
export const DEFAULT_MAX_MESSAGE_SIZE = 4 * 1024 * 1024;
/** Headroom of the encoder buffer over `maxMessageSize`, bytes: 64 KiB as in RocketMQ. */
export const ENCODER_BUFFER_HEADROOM = 64 * 1024;

/**
 * Bytes of the born-host field for a sysFlag: 8 (IPv4) or 20 (IPv6).
 * @param sysFlag - the record's SYSFLAG.
 */
export function bornHostLength(sysFlag: number): number {
  return (sysFlag & SYSFLAG_BORNHOST_V6) === 0 ? 8 : 20;
}

/**
 * Bytes of the store-host field for a sysFlag: 8 (IPv4) or 20 (IPv6).
 * @param sysFlag - the record's SYSFLAG.
 */
export function storeHostLength(sysFlag: number): number {
  return (sysFlag & SYSFLAG_STOREHOST_V6) === 0 ? 8 : 20;
}

/**
 * Byte offset of STORETIMESTAMP in a record: 56, or 68 when the born host is IPv6.
 * @param sysFlag - the record's SYSFLAG.
 */
export function storeTimestampPosition(sysFlag: number): number {
  return BORNHOST_POSITION + bornHostLength(sysFlag);
}

/**
 * Byte offset of BODYLEN in a record: 84 with two IPv4 hosts, +12 per IPv6 host.
 * @param sysFlag - the record's SYSFLAG.
 */
export function bodyLengthPosition(sysFlag: number): number {
  return storeTimestampPosition(sysFlag) + 8 + storeHostLength(sysFlag) + 4 + 8;
}

/**
 * The transaction type bits of a sysFlag (`sysFlag & 0xC`): one of the `SYSFLAG_TRANSACTION_*`.
 * @param sysFlag - the record's SYSFLAG.
 */
export function transactionType(sysFlag: number): number {
  return sysFlag & SYSFLAG_TRANSACTION_TYPE_MASK;
}

/**
 * Total length of a V1 record, bytes: `91 + body + topic + properties`, plus 12 per IPv6 host.
 * Same formula as RocketMQ's `CommitLog.calMsgLength`.
 *
 * @param sysFlag - decides the host widths ({@link SYSFLAG_BORNHOST_V6}, {@link SYSFLAG_STOREHOST_V6}).
 * @param bodyLength - body, bytes.
 * @param topicLength - topic, UTF-8 bytes.
 * @param propertiesLength - properties string, UTF-8 bytes.
 * @returns the record length in bytes.
 */
export function calMsgLength(
  sysFlag: number,
  bodyLength: number,
  topicLength: number,
  propertiesLength: number,
): number {
  return (
    MESSAGE_FIXED_LENGTH -
    16 +
    bornHostLength(sysFlag) +
    storeHostLength(sysFlag) +
    bodyLength +
    topicLength +
    propertiesLength
  );
}

/**
 * TOTALSIZE of the record at `at` (for a blank record: the blank's length), int32.
 * @param buffer - bytes holding at least the record's first 4 bytes from `at`.
 * @param at - record start, bytes; default 0.
 */
export function recordTotalSize(buffer: Buffer, at = 0): number {
  return buffer.readInt32BE(at + TOTALSIZE_POSITION);
}

/**
 * MAGICCODE of the record at `at`, unsigned: {@link MESSAGE_MAGIC_CODE}, {@link BLANK_MAGIC_CODE} or garbage.
 * @param buffer - bytes holding at least the record's first 8 bytes from `at`.
 * @param at - record start, bytes; default 0.
 */
export function recordMagicCode(buffer: Buffer, at = 0): number {
  return buffer.readUInt32BE(at + MAGICCODE_POSITION);
}

/**
 * STORETIMESTAMP of the message record at `at`, ms (its position depends on the born host's width).
 * @param buffer - bytes holding the record's header from `at`.
 * @param at - record start, bytes; default 0.
 */
export function recordStoreTimestamp(buffer: Buffer, at = 0): number {
  return readInt64BE(
    buffer,
    at + storeTimestampPosition(buffer.readInt32BE(at + SYSFLAG_POSITION)),
  );
}
