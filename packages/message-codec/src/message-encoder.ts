/**
 * The reusable encoder (RocketMQ MessageExtEncoder): one output buffer of
 * `maxMessageSize + 64 KiB`, reused for every message, resized when `maxMessageSize` changes.
 * Not re-entrant: a result's buffer view is valid until the next encode on the same instance.
 */
import { constants as bufferConstants } from "node:buffer";
import { encodeBatchInto } from "./batch-encoder.js";
import { MessageCodecError } from "./message-codec-error.js";
import type { HostAddress } from "./host-address.js";
import { parseHostAddress } from "./host-address.js";
import { DEFAULT_MAX_MESSAGE_SIZE, ENCODER_BUFFER_HEADROOM } from "./message-format.js";
import type { PrepareContext, PreparedMessage } from "./prepare-message.js";
import { HostCache, prepareMessage } from "./prepare-message.js";
import { fillPropertiesCrc } from "./record-crc.js";
import { writeRecord } from "./record-writer.js";
import { crc32 } from "node:zlib";
import type { BatchEncodeResult, EncodeFailure, EncodeResult, MessageInput } from "./types.js";

/** Smallest `maxMessageSize` RocketMQ's updateMaxMessageSize accepts, bytes. */
export const MIN_MAX_MESSAGE_SIZE = 10;
const MAX_INT32 = 0x7fffffff;
const MAX_BUFFER_LENGTH = Math.min(bufferConstants.MAX_LENGTH, MAX_INT32);

/** Options of {@link MessageEncoder}. */
export interface MessageEncoderOptions {
  /** Largest body, bytes; default 4 MiB. The buffer is this + 64 KiB. */
  readonly maxMessageSize?: number;
  /** This broker's address `"ip:port"`, written as STOREHOSTADDRESS. */
  readonly storeHost: string;
  /**
   * End every record's properties with the whole-record CRC property `__CRC32#` (RocketMQ 5's
   * enabledAppendPropCRC). `encode` and `encodeBatch` fill it; after `prepare` + `writeRecord` the
   * writer fills it (fillPropertiesCrc) once the record's bytes are final. Default false.
   */
  readonly appendPropCRC?: boolean;
}

/** Buffer capacity for a body limit: `maxMessageSize + 64 KiB`, capped at the int32 range. */
function capacityFor(maxMessageSize: number): number {
  return Math.min(maxMessageSize + ENCODER_BUFFER_HEADROOM, MAX_BUFFER_LENGTH);
}

function checkMaxMessageSize(maxMessageSize: number): void {
  if (
    !Number.isInteger(maxMessageSize) ||
    maxMessageSize < MIN_MAX_MESSAGE_SIZE ||
    maxMessageSize > MAX_INT32
  ) {
    throw new MessageCodecError(
      "INVALID_ARGUMENT",
      `maxMessageSize must be an integer in [${MIN_MAX_MESSAGE_SIZE}, ${MAX_INT32}]: ${maxMessageSize}`,
    );
  }
}

/**
 * Encodes messages into RocketMQ V1 records in a reusable buffer.
 *
 * @example
 * ```ts
 * const encoder = new MessageEncoder({ storeHost: "127.0.0.1:10911" });
 * const result = encoder.encode({ topic: "T", body: Buffer.from("abc") }, Date.now());
 * if (result.status === "PUT_OK") file.write(result.record); // 95 bytes
 * ```
 */
export class MessageEncoder {
  #buffer: Buffer;
  #view: DataView;
  #maxMessageSize: number;
  readonly #storeHostText: string;
  readonly #storeHost: HostAddress | undefined;
  readonly #bornHosts = new HostCache();
  readonly #appendPropCRC: boolean;
  #context: PrepareContext;

  /**
   * @param options - body limit and store host. An unparseable store host is not thrown here:
   *   every encode then returns `MESSAGE_ILLEGAL`.
   * @throws MessageCodecError `INVALID_ARGUMENT` if `maxMessageSize` is not an integer in [10, 2^31-1].
   */
  constructor(options: MessageEncoderOptions) {
    const maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    checkMaxMessageSize(maxMessageSize);
    this.#maxMessageSize = maxMessageSize;
    this.#buffer = Buffer.allocUnsafeSlow(capacityFor(maxMessageSize));
    this.#view = new DataView(
      this.#buffer.buffer,
      this.#buffer.byteOffset,
      this.#buffer.byteLength,
    );
    this.#storeHostText = options.storeHost;
    this.#storeHost = parseHostAddress(options.storeHost);
    this.#appendPropCRC = options.appendPropCRC ?? false;
    this.#context = this.#createContext();
  }

  /** Largest body accepted, bytes. */
  get maxMessageSize(): number {
    return this.#maxMessageSize;
  }

  /** Bytes of the output buffer: the largest record or batch accepted. */
  get bufferCapacity(): number {
    return this.#buffer.length;
  }

  /** The configured store host text. */
  get storeHost(): string {
    return this.#storeHostText;
  }

  /**
   * Changes the body limit and resizes the buffer (RocketMQ updateMaxMessageSize, which makes the
   * limit dynamic). Values below 10 are ignored, as in RocketMQ. Records returned earlier become
   * invalid when the buffer is replaced.
   *
   * @param maxMessageSize - new body limit, bytes.
   * @returns true if the limit changed.
   * @throws MessageCodecError `INVALID_ARGUMENT` if the value is not an integer or exceeds 2^31-1.
   */
  updateMaxMessageSize(maxMessageSize: number): boolean {
    if (Number.isInteger(maxMessageSize) && maxMessageSize < MIN_MAX_MESSAGE_SIZE) {
      return false;
    }
    checkMaxMessageSize(maxMessageSize);
    if (maxMessageSize === this.#maxMessageSize) {
      return false;
    }
    this.#maxMessageSize = maxMessageSize;
    this.#buffer = Buffer.allocUnsafeSlow(capacityFor(maxMessageSize));
    this.#view = new DataView(
      this.#buffer.buffer,
      this.#buffer.byteOffset,
      this.#buffer.byteLength,
    );
    this.#context = this.#createContext();
    return true;
  }

  /**
   * Encodes one message; QUEUEOFFSET and PHYSICALOFFSET are 0 (see {@link patchRecord}).
   *
   * @param message - the message.
   * @param storeTimestamp - ms, written as STORETIMESTAMP (and the default born timestamp).
   * @returns `PUT_OK` with a view of the internal buffer valid until the next encode, or
   *   `MESSAGE_ILLEGAL` (bad topic, body > maxMessageSize, record > maxMessageSize + 64 KiB, bad
   *   host, field out of range, separator in a property) / `PROPERTIES_SIZE_EXCEEDED` (> 32767 B).
   */
  encode(message: MessageInput, storeTimestamp: number): EncodeResult {
    const prepared = prepareMessage(message, storeTimestamp, this.#context);
    if ("status" in prepared) {
      return prepared;
    }
    const end = writeRecord(this.#buffer, 0, prepared, storeTimestamp, 0, 0, this.#view);
    if (this.#appendPropCRC) fillPropertiesCrc(this.#buffer, 0, end, crc32);
    return { status: "PUT_OK", record: this.#buffer.subarray(0, end) };
  }

  /**
   * Validates a message and sizes its record without writing it (the commit log then writes it
   * straight into the file with {@link writeRecord}). Same checks and failures as {@link encode}.
   *
   * @param message - the message.
   * @param storeTimestamp - ms, for STORETIMESTAMP (and the default born timestamp).
   */
  prepare(message: MessageInput, storeTimestamp: number): PreparedMessage | EncodeFailure {
    return prepareMessage(message, storeTimestamp, this.#context);
  }

  /**
   * Encodes a batch as back-to-back records (RocketMQ MessageExtBatchEncoder). All messages must
   * share the first one's topic and queueId; the sum of the bodies must not exceed
   * maxMessageSize and the sum of the records must fit the buffer.
   *
   * @param messages - at least one message; transaction types other than NOT, a prepared
   *   transaction offset and a DELAY level > 0 are refused.
   * @param storeTimestamp - ms, for every record.
   * @param batchProperties - appended to every message's properties.
   * @returns `PUT_OK` with a view of the records valid until the next encode, or the first
   *   refusal (`MESSAGE_ILLEGAL` / `PROPERTIES_SIZE_EXCEEDED`) with the message index (-1: batch).
   */
  encodeBatch(
    messages: readonly MessageInput[],
    storeTimestamp: number,
    batchProperties?: Readonly<Record<string, string>>,
  ): BatchEncodeResult {
    return encodeBatchInto(this.#buffer, messages, storeTimestamp, this.#context, batchProperties);
  }

  #createContext(): PrepareContext {
    return {
      limits: { maxBodySize: this.#maxMessageSize, maxRecordSize: this.#buffer.length },
      storeHost: this.#storeHost,
      storeHostText: this.#storeHostText,
      bornHosts: this.#bornHosts,
      appendPropCRC: this.#appendPropCRC,
    };
  }
}
