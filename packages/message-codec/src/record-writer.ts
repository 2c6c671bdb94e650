/**
 * Writes a prepared message as a V1 record straight into a destination buffer: one pass, no
 * intermediate buffers; the body is the only bulk copy. The commit log writes straight into the
 * file's write buffer with the record's QUEUEOFFSET and PHYSICALOFFSET; an encoder leaves them 0
 * (patched at append).
 */
import { AssertionError } from "node:assert";
import type { HostAddress } from "./host-address.js";
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

const TWO_POW_32 = 4294967296;
/** From this many bytes a body copied into shared memory goes through one `Buffer#fill` memcpy. */
const FILL_COPY_MIN_BYTES = 256;

/**
 * Copies the body to `position`. Into shared memory (a pool buffer) V8's `TypedArray#set` copies a
 * misaligned range a byte at a time; `Buffer#fill` with a buffer value is one memcpy whatever the
 * alignment, at a fixed cost per call, so it is used from {@link FILL_COPY_MIN_BYTES}.
 */
function copyBody(target: Buffer, body: Uint8Array, position: number, shared: boolean): number {
  if (shared && body.length >= FILL_COPY_MIN_BYTES)
    target.fill(body, position, position + body.length);
  else target.set(body, position);
  return position + body.length;
}

/** A safe integer as a signed 64-bit big-endian value (two's complement for negatives). */
function setInt64(view: DataView, at: number, value: number): void {
  const high = Math.floor(value / TWO_POW_32);
  view.setInt32(at, high);
  view.setUint32(at + 4, value - high * TWO_POW_32);
}

function writeHost(
  target: Uint8Array,
  view: DataView,
  position: number,
  host: HostAddress,
): number {
  const ip = host.ip;
  for (let i = 0; i < ip.length; i++) target[position + i] = ip[i] as number;
  view.setInt32(position + ip.length, host.port);
  return position + ip.length + 4;
}

/** Writes an ASCII string (a checked topic) byte by byte: cheaper than `Buffer#write` for short names. */
function writeAscii(target: Uint8Array, position: number, text: string): number {
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
 * @param view - a DataView of exactly `target`: callers that write many records into one buffer
 *   keep one (its stores compile to single big-endian stores, cheaper than byte-by-byte stores).
 *   Default: a new one.
 * @param shared - whether `target` is shared memory (a pool buffer): see copyBody. Callers that
 *   keep a view know it. Default: read from `target`.
 * @returns the offset just past the record.
 */
export function writeRecord(
  target: Buffer,
  offset: number,
  message: PreparedMessage,
  storeTimestamp: number,
  queueOffset = 0,
  physicalOffset = 0,
  view: DataView = new DataView(target.buffer, target.byteOffset, target.byteLength),
  shared: boolean = target.buffer instanceof SharedArrayBuffer,
): number {
  // Every field below is in range (prepareMessage checked them) and the record fits (checked here).
  if (!(offset >= 0 && offset + message.totalSize <= target.length)) {
    throw new AssertionError({
      message: "record does not fit the target",
      actual: offset + message.totalSize,
      expected: target.length,
      operator: "<=",
    });
  }
  view.setInt32(offset + TOTALSIZE_POSITION, message.totalSize);
  view.setInt32(offset + MAGICCODE_POSITION, MESSAGE_MAGIC_CODE | 0);
  view.setInt32(offset + BODYCRC_POSITION, message.bodyCRC);
  view.setInt32(offset + QUEUEID_POSITION, message.queueId);
  view.setInt32(offset + FLAG_POSITION, message.flag);
  setInt64(view, offset + QUEUEOFFSET_POSITION, queueOffset);
  setInt64(view, offset + PHYSICALOFFSET_POSITION, physicalOffset);
  view.setInt32(offset + SYSFLAG_POSITION, message.sysFlag);
  setInt64(view, offset + BORNTIMESTAMP_POSITION, message.bornTimestamp);
  let position = writeHost(target, view, offset + BORNHOST_POSITION, message.bornHost);
  setInt64(view, position, storeTimestamp);
  position = writeHost(target, view, position + 8, message.storeHost);
  view.setInt32(position, message.reconsumeTimes);
  setInt64(view, position + 4, message.preparedTransactionOffset);
  view.setInt32(position + 12, message.body.length);
  position += 16;
  position = copyBody(target, message.body, position, shared);
  target[position] = message.topic.length;
  position = writeAscii(target, position + 1, message.topic);
  view.setInt16(position, message.propertiesLength);
  position += 2;
  if (message.propertiesLength > 0)
    position += target.write(message.propertiesString, position, "utf8");
  if (position - offset !== message.totalSize) {
    throw new AssertionError({
      message: "record length differs from calMsgLength",
      actual: position - offset,
      expected: message.totalSize,
      operator: "===",
    });
  }
  return position;
}
