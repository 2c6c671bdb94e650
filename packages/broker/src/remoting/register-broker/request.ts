/*
 * REGISTER_BROKER (103), broker → name server (RegisterBrokerRequestHeader, RegisterBrokerBody):
 *
 *   extFields = { brokerName, brokerAddr ("ip:port"), clusterName, haServerAddr ("" without HA),
 *                 brokerId (0 = master), heartbeatTimeoutMillis? (ms; absent = the name server's 120 s),
 *                 enableActingMaster? ("false"), compressed ("false": JSON body; "true": see
 *                 compressed-body.ts), bodyCrc32 (0 = unchecked; else crc32(body) & 0x7FFFFFFF) }
 *   body      = RegisterBrokerBody JSON (what fastjson writes; unknown fields ignored):
 *               { "filterServerList": [],
 *                 "topicConfigSerializeWrapper": {
 *                   "dataVersion": { "counter", "stateVersion", "timestamp" },
 *                   "topicConfigTable": { "<topic>": { "topicName", "readQueueNums", "writeQueueNums",
 *                       "perm", "topicFilterType", "topicSysFlag", "order", "attributes": {} }, ... } } }
 *   response  = code 0, extFields { haServerAddr, masterAddr } (empty strings: no HA),
 *               body = {"table":{}} (KVTable of order-topic settings);
 *               1 SYSTEM_ERROR "crc32 not match" / a remark naming the bad field
 */
import { crc32 } from "node:zlib";
import { optionalBoolean, optionalInt, requiredInt, requiredString } from "../header-fields.js";
import { HeaderFieldError } from "../remoting-error.js";
import { RemotingCommand } from "../remoting-command.js";
import { RequestCode } from "../request-code.js";
import { inflateRegisterBody, MAX_REGISTERED_TOPICS } from "./compressed-body.js";

/** REGISTER_BROKER's header fields. */
export interface RegisterBrokerRequestHeader {
  readonly brokerName: string;
  readonly brokerAddr: string;
  readonly clusterName: string;
  readonly haServerAddr: string;
  readonly brokerId: number;
  /** How long the name server keeps the broker without a registration, ms; undefined: its default. */
  readonly heartbeatTimeoutMillis: number | undefined;
}

/** A registered topic's queues, as the name server keeps them. */
export interface RegisteredTopic {
  readonly readQueueNums: number;
  readonly writeQueueNums: number;
  readonly perm: number;
  readonly topicSysFlag: number;
}

/** REGISTER_BROKER's JSON body: the broker's topic configs and data version. */
export interface RegisterBrokerBody {
  readonly topics: Map<string, RegisteredTopic>;
  readonly dataVersion: { readonly timestamp: number; readonly counter: number };
}

/** A topic as a broker registers it (TopicConfig.java's fields). */
export interface TopicConfigToRegister extends RegisteredTopic {
  readonly topicName: string;
  readonly topicFilterType: string;
  readonly order: boolean;
}

/** @throws HeaderFieldError naming the bad field (or "body"). */
export function decodeRegisterBrokerRequest(command: RemotingCommand): {
  header: RegisterBrokerRequestHeader;
  body: RegisterBrokerBody;
} {
  const fields = command.extFields;
  const timeout = optionalInt(fields, "heartbeatTimeoutMillis", -1, { min: -1 });
  const header = {
    brokerName: requiredString(fields, "brokerName"),
    brokerAddr: requiredString(fields, "brokerAddr"),
    clusterName: requiredString(fields, "clusterName"),
    haServerAddr: fields.haServerAddr ?? "",
    brokerId: requiredInt(fields, "brokerId", { min: 0 }),
    heartbeatTimeoutMillis: timeout <= 0 ? undefined : timeout,
  };
  const compressed = optionalBoolean(fields, "compressed", false);
  const expectedCrc = optionalInt(fields, "bodyCrc32", 0);
  const body = command.body ?? Buffer.alloc(0);
  if (expectedCrc !== 0 && (crc32(body) & 0x7fffffff) !== expectedCrc)
    throw new HeaderFieldError("bodyCrc32", "bodyCrc32: crc32 not match");
  if (body.length === 0)
    return { header, body: { topics: new Map(), dataVersion: { timestamp: 0, counter: 0 } } };
  if (!compressed) return { header, body: decodeJsonBody(parseFastjson(body.toString("utf8"))) };
  const inflated = inflateRegisterBody(body);
  if (typeof inflated === "string")
    return { header, body: decodeJsonBody(parseFastjson(inflated)) };
  const topics = new Map<string, RegisteredTopic>();
  for (const topic of inflated.topics)
    topics.set(topic.name, checkedTopic(topic.name, { ...topic, topicSysFlag: 0 }));
  return { header, body: { topics, dataVersion: dataVersionOf(inflated.dataVersion) } };
}

/**
 * JSON as fastjson writes it: standard, except that a map with integer keys (a static topic's
 * hostedQueues) is written with bare keys (`{0:[...]}`); those are quoted before a second parse.
 */
function parseFastjson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    try {
      return JSON.parse(text.replace(/([{,]\s*)(-?\d+)\s*:/g, '$1"$2":')) as unknown;
    } catch {
      throw new HeaderFieldError("body", "body: expected RegisterBrokerBody JSON");
    }
  }
}

function decodeJsonBody(value: unknown): RegisterBrokerBody {
  const json = objectOf(value);
  const wrapper = objectOf(json.topicConfigSerializeWrapper);
  const entries = Object.entries(objectOf(wrapper.topicConfigTable));
  if (entries.length > MAX_REGISTERED_TOPICS)
    throw new HeaderFieldError("body", `body: more than ${MAX_REGISTERED_TOPICS} topics`);
  const topics = new Map<string, RegisteredTopic>();
  for (const [name, config] of entries) {
    const fields = objectOf(config);
    const topic = {
      readQueueNums: fields.readQueueNums,
      writeQueueNums: fields.writeQueueNums,
      perm: fields.perm,
      topicSysFlag: fields.topicSysFlag ?? 0,
    };
    topics.set(name, checkedTopic(name, topic));
  }
  return { topics, dataVersion: dataVersionOf(wrapper.dataVersion) };
}

function checkedTopic(
  name: string,
  topic: Record<keyof RegisteredTopic, unknown>,
): RegisteredTopic {
  const count = (field: unknown) =>
    typeof field === "number" && Number.isInteger(field) && field >= 0 && field <= 65_535
      ? field
      : null;
  const read = count(topic.readQueueNums);
  const write = count(topic.writeQueueNums);
  const perm = count(topic.perm);
  if (read === null || write === null || perm === null) {
    throw new HeaderFieldError(
      "body",
      `body: topic ${JSON.stringify(name.slice(0, 127))} lacks readQueueNums, writeQueueNums or perm`,
    );
  }
  const flag = topic.topicSysFlag;
  return {
    readQueueNums: read,
    writeQueueNums: write,
    perm,
    topicSysFlag: typeof flag === "number" && Number.isInteger(flag) ? flag : 0,
  };
}

function dataVersionOf(value: unknown): RegisterBrokerBody["dataVersion"] {
  const version = objectOf(value);
  const number = (field: unknown) =>
    typeof field === "number" && Number.isFinite(field) ? field : 0;
  return { timestamp: number(version.timestamp), counter: number(version.counter) };
}

function objectOf(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** The JSON body a broker sends (RegisterBrokerBody.encode(false), field order as fastjson writes it). */
export function encodeRegisterBrokerBody(
  topicConfigTable: Record<string, unknown>,
  dataVersion: { timestamp: number; counter: number },
): Buffer {
  const wrapper = {
    dataVersion: {
      counter: dataVersion.counter,
      stateVersion: 0,
      timestamp: dataVersion.timestamp,
    },
    topicConfigTable,
  };
  return Buffer.from(
    JSON.stringify({ filterServerList: [], topicConfigSerializeWrapper: wrapper }),
  );
}

/**
 * The REGISTER_BROKER request a RocketMQ broker sends (BrokerOuterAPI.registerBrokerAll): Java's
 * header fields as strings, a JSON body and its CRC. Opaque 0: the client numbers it.
 */
export function encodeRegisterBrokerRequest(
  header: Omit<RegisterBrokerRequestHeader, "heartbeatTimeoutMillis">,
  topics: Iterable<TopicConfigToRegister>,
  dataVersion: { timestamp: number; counter: number },
): RemotingCommand {
  const table: Record<string, unknown> = {};
  for (const topic of topics) {
    const { topicName, readQueueNums, writeQueueNums, perm, topicFilterType, topicSysFlag, order } =
      topic;
    table[topicName] = {
      attributes: {},
      order,
      perm,
      readQueueNums,
      topicFilterType,
      topicName,
      topicSysFlag,
      writeQueueNums,
    };
  }
  const body = encodeRegisterBrokerBody(table, dataVersion);
  return RemotingCommand.request(
    RequestCode.REGISTER_BROKER,
    0,
    {
      brokerName: header.brokerName,
      brokerAddr: header.brokerAddr,
      clusterName: header.clusterName,
      haServerAddr: header.haServerAddr,
      brokerId: String(header.brokerId),
      enableActingMaster: "false",
      compressed: "false",
      bodyCrc32: String(crc32(body) & 0x7fffffff),
    },
    body,
  );
}

export function registerBrokerResponse(
  request: RemotingCommand,
  masterAddr: string,
): RemotingCommand {
  return RemotingCommand.response(
    request,
    0,
    null,
    { haServerAddr: "", masterAddr },
    Buffer.from(JSON.stringify({ table: {} })),
  );
}
