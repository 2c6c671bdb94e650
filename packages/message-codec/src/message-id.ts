/**
 * The offset msgId: `hex_upper(storeIp(4|16) ++ int32 storePort ++ int64 physicalOffset)`, 32 hex
 * characters for an IPv4 store host and 56 for IPv6 (research §6.7). Clients compute it from
 * STOREHOST and PHYSICALOFFSET and echo it back, so it must match RocketMQ exactly.
 */
import { MessageCodecError } from "./message-codec-error.js";
import { formatHostAddress, formatIp, parseHostAddress } from "./host-address.js";
import { readInt64BE, writeInt64BE } from "./int64.js";

/** Length of an IPv4 msgId, hex characters. */
export const MESSAGE_ID_LENGTH_IPV4 = 32;
/** Length of an IPv6 msgId, hex characters. */
export const MESSAGE_ID_LENGTH_IPV6 = 56;

/** What a msgId names: the store host and the record's commit-log offset. */
export interface MessageIdParts {
  /** The store IP: dotted decimal or RFC 5952 IPv6 text. */
  readonly address: string;
  /** The store port. */
  readonly port: number;
  /** `address:port`, IPv6 in brackets. */
  readonly storeHost: string;
  /** Physical (commit-log) offset of the record, bytes. */
  readonly offset: number;
}

const HEX = /^[0-9a-fA-F]*$/;

/**
 * Creates the msgId of the record stored at `physicalOffset` by `storeHost`.
 * Example: `createMessageId("127.0.0.1:8123", 1024)` is `"7F00000100001FBB0000000000000400"`.
 *
 * @param storeHost - `"ip:port"` (see {@link parseHostAddress} for the accepted forms).
 * @param physicalOffset - commit-log offset, bytes; a safe integer.
 * @returns 32 (IPv4) or 56 (IPv6) uppercase hex characters.
 * @throws MessageCodecError `INVALID_ADDRESS` if the host does not parse, `INVALID_ARGUMENT` if the offset
 *   is not a safe integer.
 */
export function createMessageId(storeHost: string, physicalOffset: number): string {
  const host = parseHostAddress(storeHost);
  if (host === undefined) {
    throw new MessageCodecError(
      "INVALID_ADDRESS",
      `not a host "ip:port": ${JSON.stringify(storeHost)}`,
    );
  }
  if (!Number.isSafeInteger(physicalOffset)) {
    throw new MessageCodecError(
      "INVALID_ARGUMENT",
      `physicalOffset is not a safe integer: ${physicalOffset}`,
    );
  }
  const bytes = Buffer.allocUnsafe(host.ip.length + 12);
  bytes.set(host.ip, 0);
  bytes.writeInt32BE(host.port, host.ip.length);
  writeInt64BE(bytes, host.ip.length + 4, physicalOffset);
  return bytes.toString("hex").toUpperCase();
}

/**
 * The msgId of a record straight from its bytes: the store host field and PHYSICALOFFSET, copied
 * as stored (exact even for offsets beyond 2^53). The caller guarantees the ranges are readable.
 *
 * @param record - buffer holding the record.
 * @param storeHostPosition - absolute position of the store IP.
 * @param ipLength - 4 or 16.
 * @param physicalOffsetPosition - absolute position of PHYSICALOFFSET.
 */
export function messageIdFromRecord(
  record: Buffer,
  storeHostPosition: number,
  ipLength: 4 | 16,
  physicalOffsetPosition: number,
): string {
  const host = record.toString("hex", storeHostPosition, storeHostPosition + ipLength + 4);
  const offset = record.toString("hex", physicalOffsetPosition, physicalOffsetPosition + 8);
  return (host + offset).toUpperCase();
}

/**
 * Decodes a msgId (either case) into the store host and the physical offset.
 *
 * @param id - 32 or 56 hex characters.
 * @returns the parts.
 * @throws MessageCodecError `INVALID_MESSAGE_ID` if the id has another length, a non-hex character, a
 *   port outside 0..65535, or an offset that is not a safe integer.
 */
export function decodeMessageId(id: string): MessageIdParts {
  if (typeof id !== "string" || !HEX.test(id)) {
    throw new MessageCodecError("INVALID_MESSAGE_ID", `msgId is not hex: ${JSON.stringify(id)}`);
  }
  if (id.length !== MESSAGE_ID_LENGTH_IPV4 && id.length !== MESSAGE_ID_LENGTH_IPV6) {
    throw new MessageCodecError(
      "INVALID_MESSAGE_ID",
      `msgId must have ${MESSAGE_ID_LENGTH_IPV4} or ${MESSAGE_ID_LENGTH_IPV6} hex characters, got ${id.length}`,
    );
  }
  const bytes = Buffer.from(id, "hex");
  const ipLength = bytes.length === 16 ? 4 : 16;
  const port = bytes.readInt32BE(ipLength);
  const offset = readInt64BE(bytes, ipLength + 4);
  if (port < 0 || port > 65535) {
    throw new MessageCodecError("INVALID_MESSAGE_ID", `msgId port out of range: ${port}`);
  }
  if (!Number.isSafeInteger(offset)) {
    throw new MessageCodecError("INVALID_MESSAGE_ID", `msgId offset is beyond 2^53: ${id}`);
  }
  const address = formatIp(bytes, 0, ipLength);
  return { address, port, storeHost: formatHostAddress(address, ipLength, port), offset };
}
