import { createHash } from "node:crypto";
import { inflateSync } from "node:zlib";
import type { PoppedMessage } from "@store/broker";
import {
  PROPERTY_DLQ_ORIGIN_MESSAGE_ID,
  PROPERTY_DLQ_ORIGIN_TOPIC,
  PROPERTY_TIMER_DELIVER_MS,
} from "@store/broker";
import { SYSFLAG_COMPRESSED } from "@store/message-codec";
import type { Message } from "./proto-types.js";
import { durationOf, timestampOf } from "./proto-types.js";

/** Born host (the producer's hostname) as the Java proxy stores it. */
export const PROPERTY_BORN_HOST = "__BORNHOST";
/** FIFO message group (RocketMQ's sharding key). */
export const PROPERTY_SHARDING_KEY = "__SHARDINGKEY";
/** Trace context of a message. */
export const PROPERTY_TRACE_CONTEXT = "TRACE_CONTEXT";

/**
 * RocketMQ's system property names (MessageConst.STRING_HASH_SET, plus the sharding key and trace
 * context, which the Java proxy forgets): a producer may not set them as user properties, and they
 * are not handed to consumers as user properties.
 */
export const SYSTEM_PROPERTY_KEYS: ReadonlySet<string> = new Set([
  "TRACE_ON",
  "MSG_REGION",
  "KEYS",
  "TAGS",
  "WAIT",
  "DELAY",
  "RETRY_TOPIC",
  "REAL_TOPIC",
  "REAL_QID",
  "TRAN_MSG",
  "PGROUP",
  "MIN_OFFSET",
  "MAX_OFFSET",
  "BUYER_ID",
  "ORIGIN_MESSAGE_ID",
  "TRANSFER_FLAG",
  "CORRECTION_FLAG",
  "MQ2_FLAG",
  "RECONSUME_TIME",
  "UNIQ_KEY",
  "MAX_RECONSUME_TIMES",
  "CONSUME_START_TIME",
  "POP_CK",
  "POP_CK_OFFSET",
  "1ST_POP_TIME",
  "TRAN_PREPARED_QUEUE_OFFSET",
  "DUP_INFO",
  "EXTEND_UNIQ_INFO",
  "INSTANCE_ID",
  "CORRELATION_ID",
  "REPLY_TO_CLIENT",
  "TTL",
  "ARRIVE_TIME",
  "PUSH_REPLY_TIME",
  "CLUSTER",
  "MSG_TYPE",
  "INNER_MULTI_QUEUE_OFFSET",
  "TIMER_DELAY_MS",
  "TIMER_DELAY_SEC",
  "TIMER_DELIVER_MS",
  "TIMER_ENQUEUE_MS",
  "TIMER_DEQUEUE_MS",
  "TIMER_ROLL_TIMES",
  "TIMER_OUT_MS",
  "TIMER_DEL_UNIQKEY",
  "TIMER_DELAY_LEVEL",
  "__BORNHOST",
  "BORN_TIMESTAMP",
  "DLQ_ORIGIN_TOPIC",
  "DLQ_ORIGIN_MESSAGE_ID",
  "__CRC32#",
  "__SHARDINGKEY",
  "TRACE_CONTEXT",
  "__STARTDELIVERTIME",
  "CHECK_IMMUNITY_TIME_IN_SECONDS",
  "__transactionId__",
  "TRANSACTION_CHECK_TIMES",
  "INNER_NUM",
  "INNER_BASE",
]);

/** MD5 of a body as uppercase hex: the client flags a lowercase digest as corrupted (research §3.4). */
export function md5Uppercase(body: Uint8Array): string {
  return createHash("md5").update(body).digest("hex").toUpperCase();
}

function messageType(properties: Readonly<Record<string, string>>): string {
  if (properties.TRAN_MSG === "true") return "TRANSACTION";
  if (properties.DELAY !== undefined || properties[PROPERTY_TIMER_DELIVER_MS] !== undefined)
    return "DELAY";
  if (properties[PROPERTY_SHARDING_KEY] !== undefined) return "FIFO";
  return "NORMAL";
}

/** Largest body a compressed message may inflate to, bytes (bounds the memory one delivery takes). */
export const MAX_INFLATED_BODY_BYTES = 64 * 1024 * 1024;

/**
 * The body as a 5.x client can read it. A 4.x remoting producer compresses large bodies with zlib
 * (sysFlag COMPRESSED), which the Node client's GZIP decoding cannot read: those are inflated here and
 * sent as IDENTITY. A compressed body that is gzip (the proxy keeps a GZIP body as sent) stays GZIP.
 */
export function deliverableBody(
  body: Buffer,
  sysFlag: number,
): { body: Buffer; encoding: "GZIP" | "IDENTITY" } {
  if ((sysFlag & SYSFLAG_COMPRESSED) === 0) return { body, encoding: "IDENTITY" };
  if (body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b) return { body, encoding: "GZIP" };
  try {
    return {
      body: inflateSync(body, { maxOutputLength: MAX_INFLATED_BODY_BYTES }),
      encoding: "IDENTITY",
    };
  } catch {
    return { body, encoding: "GZIP" }; // not zlib either: hand it over as stored, the client reports it
  }
}

/**
 * A popped message as the protocol's `Message` (the Java proxy's GrpcConverter.buildMessage): the
 * consumer's topic, user properties without the system ones, tag, keys, the client's message id
 * (UNIQ_KEY, else the offset id), an uppercase MD5 digest, the delivery attempt and receipt handle.
 */
export function toProtoMessage(popped: PoppedMessage): Message {
  const stored = popped.message;
  const properties = stored.properties;
  const userProperties: Record<string, string> = {};
  for (const [name, value] of Object.entries(properties))
    if (!SYSTEM_PROPERTY_KEYS.has(name)) userProperties[name] = value;
  const deliverAt = Number(properties[PROPERTY_TIMER_DELIVER_MS]);
  const deadLetterTopic = properties[PROPERTY_DLQ_ORIGIN_TOPIC];
  const { body, encoding } = deliverableBody(stored.body, stored.sysFlag);
  return {
    topic: { name: popped.topic, resource_namespace: "" },
    user_properties: userProperties,
    system_properties: {
      tag: stored.tags,
      keys:
        stored.keys === undefined || stored.keys === ""
          ? []
          : stored.keys.split(" ").filter((key) => key !== ""),
      message_id: properties.UNIQ_KEY ?? stored.msgId,
      body_digest: { type: "MD5", checksum: md5Uppercase(body) },
      body_encoding: encoding,
      message_type: messageType(properties),
      born_timestamp: timestampOf(stored.bornTimestamp),
      born_host: properties[PROPERTY_BORN_HOST] ?? stored.bornHost,
      store_timestamp: timestampOf(stored.storeTimestamp),
      store_host: stored.storeHost,
      delivery_timestamp:
        Number.isFinite(deliverAt) && deliverAt > 0 ? timestampOf(deliverAt) : undefined,
      receipt_handle: popped.receiptHandle,
      queue_id: stored.queueId,
      queue_offset: stored.queueOffset,
      invisible_duration: durationOf(popped.invisibleTimeMs),
      delivery_attempt: popped.deliveryAttempt,
      message_group: properties[PROPERTY_SHARDING_KEY],
      trace_context: properties[PROPERTY_TRACE_CONTEXT],
      dead_letter_queue:
        deadLetterTopic === undefined
          ? undefined
          : {
              topic: deadLetterTopic,
              message_id: properties[PROPERTY_DLQ_ORIGIN_MESSAGE_ID] ?? "",
            },
    },
    body,
  };
}
