/**
 * Validation and sizing of a {@link MessageInput} before it is written: every check that can
 * refuse a message runs here, so the writer never fails half-way through a record.
 * Order (RocketMQ checkMessage + MessageExtEncoder.encode): topic, properties, body, hosts,
 * numeric fields, record size.
 */
import { crc32 } from "node:zlib";
import type { HostAddress } from "./host-address.js";
import { parseHostAddress } from "./host-address.js";
import { isInt32, isInt64 } from "./int64.js";
import {
  calMsgLength,
  MAX_PROPERTIES_LENGTH,
  MAX_TOPIC_LENGTH,
  SYSFLAG_BORNHOST_V6,
  SYSFLAG_STOREHOST_V6,
} from "./message-format.js";
import {
  KEY_SEPARATOR,
  NAME_VALUE_SEPARATOR,
  PROPERTY_CRC32,
  PROPERTY_KEYS,
  PROPERTY_SEPARATOR,
  PROPERTY_TAGS,
} from "./message-properties.js";
import { CRC32_PROPERTY_PLACEHOLDER } from "./record-crc.js";
import type { EncodeFailure, MessageInput } from "./types.js";

/** Topic names RocketMQ accepts (they also become directory names). */
export const TOPIC_PATTERN = /^[%|a-zA-Z0-9_-]+$/;

/** Size limits of one encode. */
export interface EncodeLimits {
  /** Largest body, bytes (`maxMessageSize`). */
  readonly maxBodySize: number;
  /** Largest record, bytes (`maxMessageSize + 64 KiB`, or the buffer left). */
  readonly maxRecordSize: number;
}

/** A validated message with every length computed; what {@link writeRecord} consumes. */
export interface PreparedMessage {
  readonly topic: string;
  readonly body: Uint8Array;
  /** crc32(body) & 0x7FFFFFFF; 0 when prepared without it (filled into the record later). */
  readonly bodyCRC: number;
  readonly propertiesString: string;
  readonly propertiesLength: number;
  readonly queueId: number;
  readonly flag: number;
  readonly sysFlag: number;
  readonly bornTimestamp: number;
  readonly bornHost: HostAddress;
  readonly storeHost: HostAddress;
  readonly reconsumeTimes: number;
  readonly preparedTransactionOffset: number;
  /** Record length, bytes. */
  readonly totalSize: number;
}

/** Remembers the last parsed host: producers repeat their address on every message. */
export class HostCache {
  #text: string | undefined;
  #host: HostAddress | undefined;

  /**
   * @param text - `"ip:port"`.
   * @returns the parsed host or `undefined` when invalid.
   */
  parse(text: string): HostAddress | undefined {
    if (text !== this.#text) {
      this.#host = parseHostAddress(text);
      this.#text = text;
    }
    return this.#host;
  }
}

/** Context shared by the messages of one encode call. */
export interface PrepareContext {
  readonly limits: EncodeLimits;
  /** The store host, or `undefined` when the configured text did not parse. */
  readonly storeHost: HostAddress | undefined;
  readonly storeHostText: string;
  readonly bornHosts: HostCache;
  /** Batch-level properties string appended to each message's own (batch encode only). */
  readonly batchPropertiesString?: string;
  /**
   * End the properties with the whole-record CRC property (RocketMQ 5's enabledAppendPropCRC), its
   * digits zero until fillPropertiesCrc fills them. Default false.
   */
  readonly appendPropCRC?: boolean;
}

function illegal(reason: string): EncodeFailure {
  return { status: "MESSAGE_ILLEGAL", reason };
}

/**
 * Checks a topic name: a non-empty string of at most 127 characters matching
 * {@link TOPIC_PATTERN} (ASCII only, so characters equal UTF-8 bytes).
 *
 * @param topic - the topic.
 * @returns `undefined` when valid, else the MESSAGE_ILLEGAL failure.
 */
export function checkTopic(topic: unknown): EncodeFailure | undefined {
  if (topic === lastValidTopic) {
    return undefined; // producers repeat a topic: skip the pattern match
  }
  if (typeof topic !== "string" || topic.length === 0) {
    return illegal("topic is empty");
  }
  if (topic.length > MAX_TOPIC_LENGTH) {
    return illegal(`topic is longer than ${MAX_TOPIC_LENGTH} bytes: ${topic.length}`);
  }
  if (!TOPIC_PATTERN.test(topic)) {
    return illegal(`topic has characters outside [%|a-zA-Z0-9_-]: ${JSON.stringify(topic)}`);
  }
  lastValidTopic = topic;
  return undefined;
}

/** The last topic {@link checkTopic} accepted. */
let lastValidTopic = "";

function hasSeparator(text: string): boolean {
  return text.includes(NAME_VALUE_SEPARATOR) || text.includes(PROPERTY_SEPARATOR);
}

function checkPropertyText(name: string, value: unknown): EncodeFailure | undefined {
  if (typeof value !== "string") {
    return illegal(`property ${JSON.stringify(name)} is not a string`);
  }
  if (name.length === 0 || hasSeparator(name) || hasSeparator(value)) {
    return illegal(`property ${JSON.stringify(name)} is empty or contains \\u0001 or \\u0002`);
  }
  return undefined;
}

function joinKeys(keys: MessageInput["keys"]): unknown {
  return Array.isArray(keys) && keys.every((key) => typeof key === "string")
    ? keys.join(KEY_SEPARATOR)
    : keys;
}

/**
 * The TAGS value {@link buildPropertiesString} writes for a (valid) message: the `tags` field when
 * non-empty, else the TAGS property. Undefined when there is none.
 */
export function storedTags(message: MessageInput): string | undefined {
  return message.tags !== undefined && message.tags !== ""
    ? message.tags
    : message.properties?.[PROPERTY_TAGS];
}

/**
 * The KEYS value {@link buildPropertiesString} writes for a (valid) message: the `keys` field (an
 * array joined by a space) when non-empty, else the KEYS property. Undefined when there is none.
 */
export function storedKeys(message: MessageInput): string | undefined {
  const keys = message.keys;
  if (typeof keys === "string") return keys !== "" ? keys : message.properties?.[PROPERTY_KEYS];
  if (keys !== undefined && keys.length > 0) {
    const joined = keys.join(KEY_SEPARATOR);
    if (joined !== "") return joined;
  }
  return message.properties?.[PROPERTY_KEYS];
}

/**
 * Builds the properties string of a message: TAGS and KEYS from `tags`/`keys` first, then
 * `properties` in insertion order (skipping TAGS/KEYS when the fields gave them).
 *
 * @param message - the input.
 * @returns the string, or the MESSAGE_ILLEGAL failure for a bad name or value.
 */
export function buildPropertiesString(message: MessageInput): string | EncodeFailure {
  if (
    message.tags === undefined &&
    message.keys === undefined &&
    message.properties === undefined
  ) {
    return "";
  }
  let text = "";
  const tags: unknown = message.tags;
  const keys = joinKeys(message.keys);
  const hasTags = tags !== undefined && tags !== "";
  const hasKeys = keys !== undefined && keys !== "";
  if (hasTags) {
    const failure = checkPropertyText(PROPERTY_TAGS, tags);
    if (failure !== undefined) {
      return failure;
    }
    text += PROPERTY_TAGS + NAME_VALUE_SEPARATOR + (tags as string) + PROPERTY_SEPARATOR;
  }
  if (hasKeys) {
    const failure = checkPropertyText(PROPERTY_KEYS, keys);
    if (failure !== undefined) {
      return failure;
    }
    text += PROPERTY_KEYS + NAME_VALUE_SEPARATOR + (keys as string) + PROPERTY_SEPARATOR;
  }
  return appendPropertyMap(text, message.properties ?? {}, hasTags, hasKeys);
}

/**
 * Appends `name\u0001value\u0002` for each entry of `properties` (insertion order), validating
 * names and values; `undefined` values are skipped, and so is `__CRC32#` (the store's own: RocketMQ
 * deletes it from a message it stores).
 *
 * @param text - the string so far.
 * @param properties - the entries to append.
 * @param skipTags - leave out TAGS (the `tags` field gave it).
 * @param skipKeys - leave out KEYS (the `keys` field gave it).
 * @returns the longer string, or the MESSAGE_ILLEGAL failure for a bad name or value.
 */
export function appendPropertyMap(
  text: string,
  properties: Readonly<Record<string, string>>,
  skipTags: boolean,
  skipKeys: boolean,
): string | EncodeFailure {
  let result = text;
  for (const name of Object.keys(properties)) {
    const value: unknown = properties[name];
    if (
      value === undefined ||
      (name === PROPERTY_TAGS && skipTags) ||
      (name === PROPERTY_KEYS && skipKeys) ||
      name === PROPERTY_CRC32
    ) {
      continue;
    }
    const failure = checkPropertyText(name, value);
    if (failure !== undefined) {
      return failure;
    }
    result += name + NAME_VALUE_SEPARATOR + (value as string) + PROPERTY_SEPARATOR;
  }
  return result;
}

/**
 * Ends a properties string with the CRC property's placeholder, after a `\u0002` when the string
 * does not end with one (RocketMQ's needAppendLastPropertySeparator).
 *
 * @param text - the message's properties string.
 */
export function withCrcProperty(text: string): string {
  if (text.length > 0 && !text.endsWith(PROPERTY_SEPARATOR))
    return text + PROPERTY_SEPARATOR + CRC32_PROPERTY_PLACEHOLDER;
  return text + CRC32_PROPERTY_PLACEHOLDER;
}

/**
 * Appends batch-level properties to a message's own, inserting a `\u0002` when the message's
 * string does not end with one (RocketMQ MessageExtBatchEncoder).
 *
 * @param own - the message's properties string.
 * @param batch - the batch's properties string.
 */
export function mergeBatchProperties(own: string, batch: string): string {
  if (own.length > 0 && batch.length > 0 && !own.endsWith(PROPERTY_SEPARATOR)) {
    return own + PROPERTY_SEPARATOR + batch;
  }
  return own + batch;
}

function notInt32(name: string, value: unknown): EncodeFailure {
  return illegal(`${name} is not an int32: ${String(value)}`);
}

function notInt64(name: string, value: unknown): EncodeFailure {
  return illegal(`${name} is not a safe integer: ${String(value)}`);
}

function checkNumbers(message: MessageInput, storeTimestamp: number): EncodeFailure | undefined {
  if (!isInt32(message.queueId ?? 0)) {
    return notInt32("queueId", message.queueId);
  }
  if (!isInt32(message.flag ?? 0)) {
    return notInt32("flag", message.flag);
  }
  if (!isInt32(message.sysFlag ?? 0)) {
    return notInt32("sysFlag", message.sysFlag);
  }
  if (!isInt32(message.reconsumeTimes ?? 0)) {
    return notInt32("reconsumeTimes", message.reconsumeTimes);
  }
  if (!isInt64(storeTimestamp)) {
    return notInt64("storeTimestamp", storeTimestamp);
  }
  if (!isInt64(message.bornTimestamp ?? storeTimestamp)) {
    return notInt64("bornTimestamp", message.bornTimestamp);
  }
  if (!isInt64(message.preparedTransactionOffset ?? 0)) {
    return notInt64("preparedTransactionOffset", message.preparedTransactionOffset);
  }
  return undefined;
}

/** The message's born host (the store's when it names none), or why it is refused. */
function resolveBornHost(
  message: MessageInput,
  storeHost: HostAddress,
  context: PrepareContext,
): HostAddress | EncodeFailure {
  if (message.bornHost === undefined) {
    return storeHost;
  }
  const bornHost = context.bornHosts.parse(message.bornHost);
  if (bornHost === undefined) {
    return illegal(`bornHost is not "ip:port": ${JSON.stringify(message.bornHost)}`);
  }
  return bornHost;
}

/**
 * Validates a message and computes its record layout.
 *
 * @param message - the input.
 * @param storeTimestamp - ms, written into STORETIMESTAMP (and the default born timestamp).
 * @param context - limits, hosts and batch properties.
 * @returns the prepared message, or why it is refused: `MESSAGE_ILLEGAL` (topic, body size,
 *   record size, host, field range, property text) or `PROPERTIES_SIZE_EXCEEDED` (> 32767 bytes).
 */
export function prepareMessage(
  message: MessageInput,
  storeTimestamp: number,
  context: PrepareContext,
): PreparedMessage | EncodeFailure {
  const topicFailure = checkTopic(message.topic);
  if (topicFailure !== undefined) {
    return topicFailure;
  }
  const built = buildPropertiesString(message);
  if (typeof built !== "string") {
    return built;
  }
  const merged = mergeBatchProperties(built, context.batchPropertiesString ?? "");
  const propertiesString = context.appendPropCRC === true ? withCrcProperty(merged) : merged;
  const propertiesLength =
    propertiesString.length === 0 ? 0 : Buffer.byteLength(propertiesString, "utf8");
  if (propertiesLength > MAX_PROPERTIES_LENGTH) {
    return {
      status: "PROPERTIES_SIZE_EXCEEDED",
      reason: `properties are ${propertiesLength} bytes, more than ${MAX_PROPERTIES_LENGTH}`,
    };
  }
  const body: unknown = message.body;
  if (!(body instanceof Uint8Array)) {
    return illegal("body is not a Buffer");
  }
  if (body.length > context.limits.maxBodySize) {
    return illegal(
      `body is ${body.length} bytes, more than maxMessageSize ${context.limits.maxBodySize}`,
    );
  }
  const storeHost = context.storeHost;
  if (storeHost === undefined) {
    return illegal(`storeHost is not "ip:port": ${JSON.stringify(context.storeHostText)}`);
  }
  const bornHost = resolveBornHost(message, storeHost, context);
  if ("status" in bornHost) {
    return bornHost;
  }
  const numbersFailure = checkNumbers(message, storeTimestamp);
  if (numbersFailure !== undefined) {
    return numbersFailure;
  }
  const sysFlag =
    ((message.sysFlag ?? 0) & ~(SYSFLAG_BORNHOST_V6 | SYSFLAG_STOREHOST_V6)) |
    (bornHost.ip.length === 16 ? SYSFLAG_BORNHOST_V6 : 0) |
    (storeHost.ip.length === 16 ? SYSFLAG_STOREHOST_V6 : 0);
  const totalSize = calMsgLength(sysFlag, body.length, message.topic.length, propertiesLength);
  if (totalSize > context.limits.maxRecordSize) {
    return illegal(`record is ${totalSize} bytes, more than ${context.limits.maxRecordSize}`);
  }
  return {
    topic: message.topic,
    body,
    bodyCRC: crc32(body) & 0x7fffffff,
    propertiesString,
    propertiesLength,
    queueId: message.queueId ?? 0,
    flag: message.flag ?? 0,
    sysFlag,
    bornTimestamp: message.bornTimestamp ?? storeTimestamp,
    bornHost,
    storeHost,
    reconsumeTimes: message.reconsumeTimes ?? 0,
    preparedTransactionOffset: message.preparedTransactionOffset ?? 0,
    totalSize,
  };
}
