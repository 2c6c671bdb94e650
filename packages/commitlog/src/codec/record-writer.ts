/**
 * Writes a prepared message as a V1 record straight into a destination buffer: one pass, no
 * intermediate buffers; the body is the only bulk copy. QUEUEOFFSET and PHYSICALOFFSET are 0
 * (the commit log patches them at append).
 */
import assert from "node:assert/strict";
import type { HostAddress } from "./host-address.js";
import { writeInt64BE } from "./int64.js";
import {
  BODYCRC_POSITION,
  BORNHOST_POSITION,
  BORNTIMESTAMP_POSITION,
  FLAG_POSITION,
  MAGICCODE_POSITION,
  MESSAGE_MAGIC_CODE,
  QUEUEID_POSITION,
  QUEUEOFFSET_POSITION,
  SYSFLAG_POSITION,
  TOTALSIZE_POSITION,
} from "./message-format.js";
import type { PreparedMessage } from "./prepare-message.js";

function writeHost(target: Buffer, position: number, host: HostAddress): number {
  target.set(host.ip, position);
  target.writeInt32BE(host.port, position + host.ip.length);
  return position + host.ip.length + 4;
}

/**
 * Writes `message` at `offset`. The caller guarantees `message.totalSize` writable bytes.
 *
 * @param target - destination buffer.
 * @param offset - where the record starts, bytes.
 * @param message - from {@link prepareMessage}.
 * @param storeTimestamp - ms, for STORETIMESTAMP.
 * @returns the offset just past the record.
 */
export function writeRecord(
  target: Buffer,
  offset: number,
  message: PreparedMessage,
  storeTimestamp: number,
): number {
  assert.ok(offset + message.totalSize <= target.length, "record does not fit the target");
  target.writeInt32BE(message.totalSize, offset + TOTALSIZE_POSITION);
  target.writeUInt32BE(MESSAGE_MAGIC_CODE, offset + MAGICCODE_POSITION);
  target.writeInt32BE(message.bodyCRC, offset + BODYCRC_POSITION);
  target.writeInt32BE(message.queueId, offset + QUEUEID_POSITION);
  target.writeInt32BE(message.flag, offset + FLAG_POSITION);
  target.fill(0, offset + QUEUEOFFSET_POSITION, offset + SYSFLAG_POSITION);
  target.writeInt32BE(message.sysFlag, offset + SYSFLAG_POSITION);
  writeInt64BE(target, offset + BORNTIMESTAMP_POSITION, message.bornTimestamp);
  let position = writeHost(target, offset + BORNHOST_POSITION, message.bornHost);
  writeInt64BE(target, position, storeTimestamp);
  position = writeHost(target, position + 8, message.storeHost);
  target.writeInt32BE(message.reconsumeTimes, position);
  writeInt64BE(target, position + 4, message.preparedTransactionOffset);
  target.writeInt32BE(message.body.length, position + 12);
  position += 16;
  target.set(message.body, position);
  position += message.body.length;
  target[position] = message.topic.length;
  position += 1 + target.write(message.topic, position + 1, "latin1");
  target.writeInt16BE(message.propertiesLength, position);
  position += 2 + target.write(message.propertiesString, position + 2, "utf8");
  assert.equal(position - offset, message.totalSize, "record length differs from calMsgLength");
  return position;
}
