/*
 * The index file format (RocketMQ's IndexFile and IndexHeader), big-endian:
 *
 *   header   40 bytes   beginTimestamp(8) endTimestamp(8) beginPhyOffset(8) endPhyOffset(8)
 *                       hashSlotCount(4) indexCount(4)
 *   slots    hashSlotNum × 4 bytes: the number of the newest entry whose key hashes to the slot
 *            (0: none)
 *   entries  indexNum × 20 bytes: keyHash(4) phyOffset(8) timeDiff(4) prevIndex(4)
 *
 * Entry 0 is never used: indexCount starts at 1 and is one past the last entry. keyHash is
 * |Java String.hashCode("<topic>#<key>")| (0 for Integer.MIN_VALUE), its slot keyHash % hashSlotNum;
 * timeDiff is the record's store time minus beginTimestamp, in whole seconds; prevIndex chains the
 * entries of one slot, newest first. Only this file and index-file.ts touch these bytes.
 *
 * One field differs from RocketMQ: endPhyOffset is where the last record the index covers ends
 * (its offset + size), not where it starts: records below it, with or without keys, are indexed.
 */
import { readInt64BE, writeInt32BE, writeInt64BE } from "@store/message-codec";

/** Bytes of an index file's header. */
export const INDEX_HEADER_SIZE = 40;
/** Bytes per hash slot of an index file. */
export const HASH_SLOT_SIZE = 4;
/** Bytes per entry of an index file. */
export const INDEX_ENTRY_SIZE = 20;
/** RocketMQ's `invalidIndex`: a slot or prevIndex of 0 points nowhere. */
export const INVALID_INDEX = 0;

/** The header's fields. */
export interface IndexHeader {
  /** Store time of the first entry's record, ms (0 before any). */
  beginTimestamp: number;
  /** Store time of the last record covered, ms. */
  endTimestamp: number;
  /** Commit-log offset of the first entry's record. */
  beginPhyOffset: number;
  /** Where the last record covered ends, commit-log offset (see the file comment). */
  endPhyOffset: number;
  /** Slots in use. */
  hashSlotCount: number;
  /** One past the last entry (1 when there is none). */
  indexCount: number;
}

/** Slots and entries of a file (maxHashSlotNum and maxIndexNum). */
export interface IndexGeometry {
  readonly hashSlotNum: number;
  readonly indexNum: number;
}

export function emptyHeader(): IndexHeader {
  return {
    beginTimestamp: 0,
    endTimestamp: 0,
    beginPhyOffset: 0,
    endPhyOffset: 0,
    hashSlotCount: 0,
    indexCount: 1,
  };
}

export function encodeHeader(header: IndexHeader, target: Buffer): void {
  writeInt64BE(target, 0, header.beginTimestamp);
  writeInt64BE(target, 8, header.endTimestamp);
  writeInt64BE(target, 16, header.beginPhyOffset);
  writeInt64BE(target, 24, header.endPhyOffset);
  writeInt32BE(target, 32, header.hashSlotCount);
  writeInt32BE(target, 36, header.indexCount);
}

/** The header in `source` (zeros when it is shorter: a file never flushed); indexCount at least 1. */
export function decodeHeader(source: Buffer): IndexHeader {
  if (source.length < INDEX_HEADER_SIZE) return emptyHeader();
  return {
    beginTimestamp: readInt64BE(source, 0),
    endTimestamp: readInt64BE(source, 8),
    beginPhyOffset: readInt64BE(source, 16),
    endPhyOffset: readInt64BE(source, 24),
    hashSlotCount: source.readInt32BE(32),
    indexCount: Math.max(1, source.readInt32BE(36)),
  };
}

/** Byte position of slot `slot`. */
export function slotPosition(slot: number): number {
  return INDEX_HEADER_SIZE + slot * HASH_SLOT_SIZE;
}

/** Byte position of entry `index`. */
export function entryPosition(geometry: IndexGeometry, index: number): number {
  return INDEX_HEADER_SIZE + geometry.hashSlotNum * HASH_SLOT_SIZE + index * INDEX_ENTRY_SIZE;
}

export function writeEntry(
  target: Buffer,
  at: number,
  keyHash: number,
  phyOffset: number,
  timeDiff: number,
  prevIndex: number,
): void {
  writeInt32BE(target, at, keyHash);
  writeInt64BE(target, at + 4, phyOffset);
  writeInt32BE(target, at + 12, timeDiff);
  writeInt32BE(target, at + 16, prevIndex);
}

/** One entry as read back. */
export interface IndexEntry {
  keyHash: number;
  phyOffset: number;
  /** Seconds after the file's beginTimestamp. */
  timeDiff: number;
  prevIndex: number;
}

export function readEntry(source: Buffer, at: number, into: IndexEntry): IndexEntry {
  into.keyHash = source.readInt32BE(at);
  into.phyOffset = readInt64BE(source, at + 4);
  into.timeDiff = source.readInt32BE(at + 12);
  into.prevIndex = source.readInt32BE(at + 16);
  return into;
}

/** Java hashCode of `<topic>#` (the prefix every key of the topic shares). */
export function topicKeyPrefixHash(topic: string): number {
  let hash = 0;
  for (let i = 0; i < topic.length; i++) hash = (Math.imul(hash, 31) + topic.charCodeAt(i)) | 0;
  return (Math.imul(hash, 31) + 0x23) | 0; // '#'
}

/**
 * RocketMQ's indexKeyHashMethod of `<topic>#<text[from, to)>`, from the topic prefix's hash (no
 * string is built): |hashCode|, 0 for Integer.MIN_VALUE.
 */
export function indexKeyHash(prefixHash: number, text: string, from = 0, to = text.length): number {
  let hash = prefixHash;
  for (let i = from; i < to; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash === -2147483648 ? 0 : Math.abs(hash);
}

/** Seconds from `beginTimestamp` to `storeTimestamp`, clamped to [0, int32 max] (0 without a begin). */
export function timeDiffSeconds(beginTimestamp: number, storeTimestamp: number): number {
  if (beginTimestamp <= 0) return 0;
  const diff = Math.trunc((storeTimestamp - beginTimestamp) / 1000);
  return Math.min(Math.max(diff, 0), 0x7fffffff);
}

const pad = (value: number, width: number): string => String(value).padStart(width, "0");

/** RocketMQ's timeMillisToHumanString: local time as yyyyMMddHHmmssSSS (17 digits), an index file's name. */
export function indexFileName(timeMs: number): string {
  const date = new Date(timeMs);
  return (
    pad(date.getFullYear(), 4) +
    pad(date.getMonth() + 1, 2) +
    pad(date.getDate(), 2) +
    pad(date.getHours(), 2) +
    pad(date.getMinutes(), 2) +
    pad(date.getSeconds(), 2) +
    pad(date.getMilliseconds(), 3)
  );
}

/** Whether `name` is an index file's name. */
export function isIndexFileName(name: string): boolean {
  return /^\d{17}$/.test(name);
}
