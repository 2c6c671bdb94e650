/**
 * Writes a prepared message as a V1 record straight into a destination buffer: one pass, no
 * intermediate buffers; the body is the only bulk copy. The commit log writes straight into the
 * file's write buffer with the record's QUEUEOFFSET and PHYSICALOFFSET; an encoder leaves them 0
 * (patched at append).
 */
import assert from "node:assert/strict";
import type { HostAddress } from "./host-address.js";
import { writeInt32BE, writeInt64BE } from "./int64.js";
import {
  BODYCRC_POSITION,
  BORNHOST_POSITION,
  BORNTIMESTAMP_POSITION,
  FLAG_POSITION,
  MAGICCODE_POSITION,
  MESSAGE_MAGIC_CODE,
  PHYSICALOFFSET_POSITION,
  QUEUEID_POSITION,
  QUEUEOFFSET_POSITION,
  SYSFLAG_POSITION,
  TOTALSIZE_POSITION,
} from "./message-format.js";
import type { PreparedMessage } from "./prepare-message.js";

function writeHost(target: Buffer, position: number, host: HostAddress): number {
  const ip = host.ip;
  for (let i = 0; i < ip.length; i++) target[position + i] = ip[i] as number;
  writeInt32BE(target, position + ip.length, host.port);
  return position + ip.length + 4;
}

/** Writes an ASCII string (a checked topic) byte by byte: cheaper than `Buffer#write` for short names. */
function writeAscii(target: Buffer, position: number, text: string): number {
  for (let i = 0; i < text.length; i++) target[position + i] = text.charCodeAt(i);
  return position + text.length;
}

/**
 * Writes `message` at `offset`. The caller guarantees `message.totalSize` writable bytes.
 *
 * @param target - destination buffer.
 * @param offset - where the record starts, bytes.
 * @param message - from {@link prepareMessage}.
 * @param storeTimestamp - ms, for STORETIMESTAMP.
 * @param queueOffset - QUEUEOFFSET, a safe integer (default 0).
 * @param physicalOffset - PHYSICALOFFSET, a safe integer (default 0).
 * @returns the offset just past the record.
 */
export function writeRecord(
  target: Buffer,
  offset: number,
  message: PreparedMessage,
  storeTimestamp: number,
  queueOffset = 0,
  physicalOffset = 0,
): number {
  // Every field below is in range (prepareMessage checked them) and the record fits (asserted), so
  // the fields are written with plain byte stores rather than Buffer's checked writers.
  assert.ok(offset >= 0 && offset + message.totalSize <= target.length, "record does not fit the target");
  writeInt32BE(target, offset + TOTALSIZE_POSITION, message.totalSize);
  writeInt32BE(target, offset + MAGICCODE_POSITION, MESSAGE_MAGIC_CODE);
  writeInt32BE(target, offset + BODYCRC_POSITION, message.bodyCRC);
  writeInt32BE(target, offset + QUEUEID_POSITION, message.queueId);
  writeInt32BE(target, offset + FLAG_POSITION, message.flag);
  writeInt64BE(target, offset + QUEUEOFFSET_POSITION, queueOffset);
  writeInt64BE(target, offset + PHYSICALOFFSET_POSITION, physicalOffset);
  writeInt32BE(target, offset + SYSFLAG_POSITION, message.sysFlag);
  writeInt64BE(target, offset + BORNTIMESTAMP_POSITION, message.bornTimestamp);
  let position = writeHost(target, offset + BORNHOST_POSITION, message.bornHost);
  writeInt64BE(target, position, storeTimestamp);
  position = writeHost(target, position + 8, message.storeHost);
  writeInt32BE(target, position, message.reconsumeTimes);
  writeInt64BE(target, position + 4, message.preparedTransactionOffset);
  writeInt32BE(target, position + 12, message.body.length);
  position += 16;
  target.set(message.body, position);
  position += message.body.length;
  target[position] = message.topic.length;
  position = writeAscii(target, position + 1, message.topic);
  target[position] = message.propertiesLength >>> 8;
  target[position + 1] = message.propertiesLength;
  position += 2;
  if (message.propertiesLength > 0) position += target.write(message.propertiesString, position, "utf8");
  assert.equal(position - offset, message.totalSize, "record length differs from calMsgLength");
  return position;
}
