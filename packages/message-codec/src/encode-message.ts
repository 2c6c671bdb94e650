/**
 * One-shot encoding into an exactly sized, owned Buffer: for tests, tools and pull bodies.
 * The append path uses {@link MessageEncoder}, which reuses one buffer.
 */
import { parseHostAddress } from "./host-address.js";
import { DEFAULT_MAX_MESSAGE_SIZE, ENCODER_BUFFER_HEADROOM } from "./message-format.js";
import { HostCache, prepareMessage } from "./prepare-message.js";
import { patchRecord } from "./record-patch.js";
import { crc32 } from "node:zlib";
import { fillPropertiesCrc } from "./record-crc.js";
import { writeRecord } from "./record-writer.js";
import type { EncodeResult, MessageInput } from "./types.js";

/** Options of {@link encodeMessage}. */
export interface EncodeMessageOptions {
  /** Store address `"ip:port"`. */
  readonly storeHost: string;
  /** ms, written as STORETIMESTAMP. */
  readonly storeTimestamp: number;
  /** Largest body, bytes; default 4 MiB (records up to this + 64 KiB). */
  readonly maxMessageSize?: number;
  /** QUEUEOFFSET to write; default 0. */
  readonly queueOffset?: number;
  /** PHYSICALOFFSET to write, bytes; default 0. */
  readonly physicalOffset?: number;
  /** End the properties with the whole-record CRC property `__CRC32#`, filled; default false. */
  readonly appendPropCRC?: boolean;
}

/**
 * Encodes one message into a new Buffer of exactly `totalSize` bytes that the caller owns.
 *
 * @param message - the message.
 * @param options - store host, timestamps, limits and the offsets to stamp.
 * @returns `PUT_OK` with the record, or `MESSAGE_ILLEGAL` / `PROPERTIES_SIZE_EXCEEDED` (same rules
 *   as {@link MessageEncoder.encode}).
 * @throws MessageCodecError `INVALID_ARGUMENT` if `queueOffset` or `physicalOffset` is not a safe integer.
 */
export function encodeMessage(message: MessageInput, options: EncodeMessageOptions): EncodeResult {
  const maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  const prepared = prepareMessage(message, options.storeTimestamp, {
    limits: {
      maxBodySize: maxMessageSize,
      maxRecordSize: maxMessageSize + ENCODER_BUFFER_HEADROOM,
    },
    storeHost: parseHostAddress(options.storeHost),
    storeHostText: options.storeHost,
    bornHosts: new HostCache(),
    appendPropCRC: options.appendPropCRC ?? false,
  });
  if ("status" in prepared) {
    return prepared;
  }
  const record = Buffer.allocUnsafe(prepared.totalSize);
  writeRecord(record, 0, prepared, options.storeTimestamp);
  if (options.queueOffset !== undefined || options.physicalOffset !== undefined) {
    patchRecord(
      record,
      options.queueOffset ?? 0,
      options.physicalOffset ?? 0,
      options.storeTimestamp,
    );
  } else if (options.appendPropCRC === true) {
    fillPropertiesCrc(record, 0, prepared.totalSize, crc32);
  }
  return { status: "PUT_OK", record };
}
