import type { TimerPutResult } from "@store/broker";
import type { PutMessageResult, PutMessageStatus } from "@store/commitlog";
import { javaStringHashCode, SYSFLAG_COMPRESSED } from "@store/message-codec";
import type { MessageInput } from "@store/message-codec";
import { deflateSync, gunzipSync } from "node:zlib";
import type { Logger } from "pino";
import {
  MAX_INFLATED_BODY_BYTES,
  PROPERTY_BORN_HOST,
  PROPERTY_SHARDING_KEY,
  PROPERTY_TRACE_CONTEXT,
  SYSTEM_PROPERTY_KEYS,
} from "./grpc-converter.js";
import { topicName } from "./names.js";
import type { Message, SendMessageRequest, SendResultEntry, Status } from "./proto-types.js";
import { timestampMs } from "./proto-types.js";
import type { ProxyBroker } from "./proxy-broker.js";
import type { CodeName } from "./status.js";
import { Code, commonStatus, OK_STATUS, status, StatusException } from "./status.js";

export interface SendLimits {
  /** Largest body, bytes (the `max_body_size` producers are told). */
  readonly maxBodySize: number;
  /** Furthest delivery time ahead of now, ms. */
  readonly maxDelayMs: number;
  /** Largest total size of a message's user properties (names and values), bytes. */
  readonly maxUserPropertySize: number;
  /** Messages in one SendMessage request at most. */
  readonly maxMessagesPerRequest: number;
}

/**
 * A GZIP body (Java 5 clients compress large bodies so) re-encoded as zlib, the compression 4.x
 * remoting consumers (and the COMPRESSED flag) expect. @throws StatusException for a body that is not gzip.
 */
function zlibOfGzip(body: Buffer): Buffer {
  try {
    return deflateSync(gunzipSync(body, { maxOutputLength: MAX_INFLATED_BODY_BYTES }));
  } catch (error) {
    throw new StatusException(
      Code.BAD_REQUEST,
      `body_encoding is GZIP but the body is not valid gzip: ${String(error)}`,
    );
  }
}

/** `[\u0000-\u001f]`: separators and control characters, which the stored properties cannot carry. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f]/;

const PUT_STATUS_CODES: Record<PutMessageStatus, CodeName> = {
  PUT_OK: Code.OK,
  FLUSH_DISK_TIMEOUT: Code.MASTER_PERSISTENCE_TIMEOUT,
  FLUSH_SLAVE_TIMEOUT: Code.SLAVE_PERSISTENCE_TIMEOUT,
  SLAVE_NOT_AVAILABLE: Code.HA_NOT_AVAILABLE,
  SERVICE_NOT_AVAILABLE: Code.INTERNAL_SERVER_ERROR,
  CREATE_MAPEDFILE_FAILED: Code.INTERNAL_SERVER_ERROR,
  MESSAGE_ILLEGAL: Code.BAD_REQUEST,
  PROPERTIES_SIZE_EXCEEDED: Code.MESSAGE_PROPERTIES_TOO_LARGE,
  OS_PAGECACHE_BUSY: Code.TOO_MANY_REQUESTS,
  UNKNOWN_ERROR: Code.INTERNAL_SERVER_ERROR,
};

/** `ip:port` of a grpc-js peer string (`127.0.0.1:34090`, `ipv4:…`, `[::1]:…`), or undefined. */
export function peerAddress(peer: string): string | undefined {
  const text = peer.replace(/^ipv[46]:/, "");
  if (/^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/.test(text)) return text;
  if (/^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(text)) return text;
  return undefined;
}

/**
 * SendMessage (the Java proxy's SendMessageActivity): validates each message, maps it onto a stored
 * message (research §5), picks the real queue (clients always name queue 0: round-robin over the
 * write queues, or the message group's hash for FIFO), and stores it through the broker's send path, or
 * through the timer when its `delivery_timestamp` lies ahead.
 */
export class SendMessageActivity {
  readonly #broker: ProxyBroker;
  readonly #limits: SendLimits;
  readonly #logger: Logger;
  readonly #nextQueue = new Map<string, number>();

  constructor(broker: ProxyBroker, limits: SendLimits, logger: Logger) {
    this.#broker = broker;
    this.#limits = limits;
    this.#logger = logger;
  }

  async sendMessage(
    request: SendMessageRequest,
    peer: string,
  ): Promise<{ status: Status; entries: SendResultEntry[] }> {
    const messages = request.messages ?? [];
    if (messages.length === 0)
      return { status: status(Code.BAD_REQUEST, "no message to send"), entries: [] };
    if (messages.length > this.#limits.maxMessagesPerRequest) {
      return {
        status: status(
          Code.BAD_REQUEST,
          `more than ${this.#limits.maxMessagesPerRequest} messages in one request`,
        ),
        entries: [],
      };
    }
    const entries: SendResultEntry[] = [];
    for (const message of messages) entries.push(await this.#sendOne(message, peer));
    return { status: commonStatus(entries.map((entry) => entry.status)), entries };
  }

  async #sendOne(message: Message, peer: string): Promise<SendResultEntry> {
    const messageId = message.system_properties?.message_id ?? "";
    try {
      const { input, deliverAt } = await this.#toStoredMessage(message, peer);
      const result: TimerPutResult | PutMessageResult =
        deliverAt === undefined
          ? await this.#broker.sendMessage(input)
          : await this.#broker.timerMessageService.putTimerMessage(input, deliverAt);
      return this.#entry(result, messageId);
    } catch (error) {
      if (error instanceof StatusException)
        return { status: error.status, message_id: messageId, transaction_id: "", offset: 0 };
      this.#logger.error({ err: error }, "send failed");
      return {
        status: status(Code.INTERNAL_SERVER_ERROR, `send failed: ${String(error)}`),
        message_id: messageId,
        transaction_id: "",
        offset: 0,
      };
    }
  }

  #entry(result: TimerPutResult | PutMessageResult, messageId: string): SendResultEntry {
    if (result.status === "TIMER_FULL")
      return {
        status: status(Code.TOO_MANY_REQUESTS, result.reason),
        message_id: messageId,
        transaction_id: "",
        offset: 0,
      };
    const code = PUT_STATUS_CODES[result.status];
    const entryStatus =
      code === Code.OK
        ? OK_STATUS
        : status(code, `${result.status}${result.reason ? `: ${result.reason}` : ""}`);
    return {
      status: entryStatus,
      message_id: messageId,
      transaction_id: "",
      offset: result.appendResult?.logicsOffset ?? 0,
    };
  }

  /** @throws StatusException for a message that cannot be stored as it is. */
  async #toStoredMessage(
    message: Message,
    peer: string,
  ): Promise<{ input: MessageInput; deliverAt: number | undefined }> {
    const topic = topicName(message.topic);
    const system = message.system_properties ?? {};
    const body = message.body ?? Buffer.alloc(0);
    if (system.message_id === undefined || system.message_id === "")
      throw new StatusException(Code.ILLEGAL_MESSAGE_ID, "message_id is required");
    if (CONTROL_CHARACTERS.test(system.message_id))
      throw new StatusException(Code.ILLEGAL_MESSAGE_ID, "message_id has control characters");
    if (body.length === 0)
      throw new StatusException(Code.MESSAGE_BODY_EMPTY, "the message body is empty");
    if (body.length > this.#limits.maxBodySize) {
      throw new StatusException(
        Code.MESSAGE_BODY_TOO_LARGE,
        `body of ${body.length} bytes exceeds ${this.#limits.maxBodySize}`,
      );
    }
    if (system.message_type === "TRANSACTION")
      throw new StatusException(
        Code.NOT_IMPLEMENTED,
        "transactional messages are not supported by this broker",
      );
    const queues = await this.#broker.getTopicQueues(topic);
    if (queues === null)
      throw new StatusException(Code.TOPIC_NOT_FOUND, `topic ${topic} does not exist`);
    if (queues.writeQueueNums <= 0)
      throw new StatusException(Code.FORBIDDEN, `topic ${topic} is not writable`);
    const properties = this.#properties(message);
    const group = system.message_group;
    const queueId =
      group !== undefined && group !== ""
        ? Math.abs(javaStringHashCode(group) % queues.writeQueueNums)
        : this.#roundRobin(topic, queues.writeQueueNums);
    const input: MessageInput = {
      topic,
      queueId,
      body: system.body_encoding === "GZIP" ? zlibOfGzip(body) : body,
      tags: system.tag,
      keys: system.keys,
      properties,
      bornTimestamp:
        system.born_timestamp === undefined ? undefined : timestampMs(system.born_timestamp),
      bornHost: peerAddress(peer),
      sysFlag: system.body_encoding === "GZIP" ? SYSFLAG_COMPRESSED : 0,
      reconsumeTimes: 0,
    };
    return { input, deliverAt: this.#deliverAt(message) };
  }

  #properties(message: Message): Record<string, string> {
    const system = message.system_properties ?? {};
    const tag = system.tag;
    if (
      tag !== undefined &&
      (tag.trim() === "" || tag.includes("|") || CONTROL_CHARACTERS.test(tag))
    ) {
      throw new StatusException(
        Code.ILLEGAL_MESSAGE_TAG,
        `illegal tag "${tag}": blank, or with '|' or control characters`,
      );
    }
    for (const key of system.keys ?? []) {
      if (key.trim() === "" || key.includes(" ") || CONTROL_CHARACTERS.test(key)) {
        throw new StatusException(
          Code.ILLEGAL_MESSAGE_KEY,
          `illegal key "${key}": blank, or with spaces or control characters`,
        );
      }
    }
    const properties: Record<string, string> = {};
    let size = 0;
    for (const [name, value] of Object.entries(message.user_properties ?? {})) {
      if (
        name === "" ||
        SYSTEM_PROPERTY_KEYS.has(name) ||
        CONTROL_CHARACTERS.test(name) ||
        CONTROL_CHARACTERS.test(value)
      ) {
        throw new StatusException(
          Code.ILLEGAL_MESSAGE_PROPERTY_KEY,
          `illegal user property "${name}": empty, reserved, or with control characters`,
        );
      }
      size += Buffer.byteLength(name) + Buffer.byteLength(value);
      properties[name] = value;
    }
    if (size > this.#limits.maxUserPropertySize) {
      throw new StatusException(
        Code.MESSAGE_PROPERTIES_TOO_LARGE,
        `user properties of ${size} bytes exceed ${this.#limits.maxUserPropertySize}`,
      );
    }
    properties.UNIQ_KEY = system.message_id as string;
    if (system.born_host) properties[PROPERTY_BORN_HOST] = system.born_host;
    if (system.message_group) properties[PROPERTY_SHARDING_KEY] = system.message_group;
    if (system.trace_context) properties[PROPERTY_TRACE_CONTEXT] = system.trace_context;
    if (system.delivery_attempt !== undefined && system.delivery_attempt > 0)
      properties.RECONSUME_TIME = String(system.delivery_attempt);
    return properties;
  }

  #deliverAt(message: Message): number | undefined {
    const timestamp = message.system_properties?.delivery_timestamp;
    if (timestamp === undefined) return undefined;
    const deliverAt = timestampMs(timestamp);
    if (!Number.isSafeInteger(deliverAt) || deliverAt < 0)
      throw new StatusException(
        Code.ILLEGAL_DELIVERY_TIME,
        "delivery_timestamp is not a valid time",
      );
    if (deliverAt - Date.now() > this.#limits.maxDelayMs) {
      throw new StatusException(
        Code.ILLEGAL_DELIVERY_TIME,
        `delivery_timestamp more than ${this.#limits.maxDelayMs} ms ahead`,
      );
    }
    return deliverAt;
  }

  #roundRobin(topic: string, writeQueueNums: number): number {
    const next = this.#nextQueue.get(topic) ?? 0;
    this.#nextQueue.set(topic, (next + 1) % writeQueueNums);
    return next % writeQueueNums;
  }
}
