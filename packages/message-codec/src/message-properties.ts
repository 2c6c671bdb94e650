/**
 * The properties string of a record: `name \u0001 value \u0002`, repeated, trailing `\u0002`
 * included (RocketMQ `MessageDecoder.messageProperties2String`). Separators are not escaped, which
 * is why the encoder refuses names and values that contain them.
 */

/** Separates a property name from its value. */
export const NAME_VALUE_SEPARATOR = "\u0001";
/** Ends every name/value pair, the last one included. */
export const PROPERTY_SEPARATOR = "\u0002";
/** Joins several keys in the KEYS property. */
export const KEY_SEPARATOR = " ";

/** Message tag (one tag; tagsCode is its Java hashCode). */
export const PROPERTY_TAGS = "TAGS";
/** Message keys, joined by {@link KEY_SEPARATOR}. */
export const PROPERTY_KEYS = "KEYS";
/** "false" when the producer does not wait for the store to acknowledge. */
export const PROPERTY_WAIT_STORE_MSG_OK = "WAIT";
/** Delay level (1-based index into the broker's delay table); "0" or absent means none. */
export const PROPERTY_DELAY_TIME_LEVEL = "DELAY";
/** Client-generated unique message id (Java clients; ali-ons sets none). */
export const PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX = "UNIQ_KEY";
/** Original topic of a message re-sent to a `%RETRY%` topic. */
export const PROPERTY_RETRY_TOPIC = "RETRY_TOPIC";
/** Offset msgId of the original message of a retry copy. */
export const PROPERTY_ORIGIN_MESSAGE_ID = "ORIGIN_MESSAGE_ID";
/** Reconsume count carried as a property on retry copies. */
export const PROPERTY_RECONSUME_TIME = "RECONSUME_TIME";
/** Max reconsume times of the consumer group (default 16). */
export const PROPERTY_MAX_RECONSUME_TIMES = "MAX_RECONSUME_TIMES";
/** "true" on a transactional half message. */
export const PROPERTY_TRANSACTION_PREPARED = "TRAN_MSG";
/** Real topic of a delayed or half message parked in a system topic. */
export const PROPERTY_REAL_TOPIC = "REAL_TOPIC";
/** Real queue id of a delayed or half message parked in a system topic. */
export const PROPERTY_REAL_QUEUE_ID = "REAL_QID";
/** Producer group of a transactional message. */
export const PROPERTY_PRODUCER_GROUP = "PGROUP";
/** Added by clients from the pull header (not stored). */
export const PROPERTY_MIN_OFFSET = "MIN_OFFSET";
/** Added by clients from the pull header (not stored). */
export const PROPERTY_MAX_OFFSET = "MAX_OFFSET";
/** Consume start time, ms (set by consumers). */
export const PROPERTY_CONSUME_START_TIMESTAMP = "CONSUME_START_TIME";
/** Queue offset of the half message a commit/rollback refers to. */
export const PROPERTY_TRANSACTION_PREPARED_QUEUE_OFFSET = "TRAN_PREPARED_QUEUE_OFFSET";
/** Aliyun timed delivery, ms since epoch (ali-ons); open-source 4.x ignores it. */
export const PROPERTY_START_DELIVER_TIME = "__STARTDELIVERTIME";
/**
 * RocketMQ 5's whole-record CRC (enabledAppendPropCRC): the store's own, always the last property;
 * never taken from a producer, and left out of decoded properties (see record-crc.ts).
 */
export const PROPERTY_CRC32 = "__CRC32#";

/** Properties as stored: name to value. Decoded maps have a null prototype. */
export type MessageProperties = Record<string, string>;

/**
 * Serializes properties as `name\u0001value\u0002...` in iteration order; `undefined` values are
 * skipped (Java skips nulls). Names and values are written as given: the caller keeps separators out.
 *
 * @param properties - a record or a map.
 * @returns the properties string ("" when there is nothing to write).
 */
export function messagePropertiesToString(
  properties: Readonly<Record<string, string | undefined>> | ReadonlyMap<string, string>,
): string {
  let text = "";
  const entries: Iterable<readonly [string, string | undefined]> = isMap(properties)
    ? properties.entries()
    : Object.entries(properties);
  for (const [name, value] of entries) {
    if (value === undefined) {
      continue;
    }
    text += name + NAME_VALUE_SEPARATOR + value + PROPERTY_SEPARATOR;
  }
  return text;
}

/**
 * Parses a properties string. A pair is the text between two `\u0002`; its name runs to the first
 * `\u0001` and must not be empty, its value is the rest (it may be empty). Pairs without `\u0001`
 * and pairs with an empty name are ignored; a repeated name keeps the last value. Never throws.
 *
 * @param text - the properties string.
 * @returns a null-prototype record, so a name such as `__proto__` is an ordinary key.
 */
export function stringToMessageProperties(text: string): MessageProperties {
  const properties: MessageProperties = Object.create(null) as MessageProperties;
  let start = 0;
  // Each separator is searched for once and reused while it lies ahead: linear even for garbage.
  let separator = -1;
  while (start < text.length) {
    let end = text.indexOf(PROPERTY_SEPARATOR, start);
    if (end < 0) {
      end = text.length;
    }
    if (separator < start) {
      separator = text.indexOf(NAME_VALUE_SEPARATOR, start);
      if (separator < 0) {
        separator = text.length;
      }
    }
    if (separator > start && separator < end) {
      properties[text.slice(start, separator)] = text.slice(separator + 1, end);
    }
    start = end + 1;
  }
  return properties;
}

function isMap(
  value: Readonly<Record<string, string | undefined>> | ReadonlyMap<string, string>,
): value is ReadonlyMap<string, string> {
  return value instanceof Map;
}

/**
 * Java `String.hashCode()`: `h = 31 * h + c` in int32 arithmetic over UTF-16 code units.
 * @param text - any string.
 * @returns a signed 32-bit integer.
 */
export function javaStringHashCode(text: string): number {
  let hash = 0;
  for (let index = 0; index < text.length; index += 1) {
    hash = (Math.imul(hash, 31) + text.charCodeAt(index)) | 0;
  }
  return hash;
}

/**
 * The consume-queue tagsCode of a TAGS value: its Java hashCode widened to a long, 0 when there
 * are no tags (RocketMQ `MessageExtBrokerInner.tagsString2tagsCode`).
 *
 * @param tags - the TAGS property, or undefined.
 * @returns a signed 32-bit integer (stored as int64 in a consume-queue unit).
 */
export function tagsString2tagsCode(tags: string | undefined): number {
  if (tags === undefined || tags.length === 0) {
    return 0;
  }
  return javaStringHashCode(tags);
}
