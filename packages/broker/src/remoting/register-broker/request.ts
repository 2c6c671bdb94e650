/*
 * REGISTER_BROKER (103), broker → name server (RegisterBrokerRequestHeader):
 *
 *   extFields = { brokerName, brokerAddr ("ip:port"), clusterName, haServerAddr, brokerId,
 *                 heartbeatTimeoutMillis?, compressed (false: JSON body), bodyCrc32 (0 = unchecked;
 *                 else crc32(body) & 0x7FFFFFFF) }
 *   body      = RegisterBrokerBody JSON:
 *               { "topicConfigSerializeWrapper": { "topicConfigTable": { "<topic>": TopicConfig, ... },
 *                                                  "dataVersion": { "timestamp", "counter" } },
 *                 "filterServerList": [] }
 *   response  = code 0, extFields { haServerAddr, masterAddr } (empty strings: no HA),
 *               body = {"table":{}} (KVTable of order-topic settings)
 */
import { crc32 } from "node:zlib";
import { optionalBoolean, optionalInt, requiredInt, requiredString } from "../header-fields.js";
import { HeaderFieldError } from "../remoting-error.js";
import { RemotingCommand } from "../remoting-command.js";

export interface RegisterBrokerRequestHeader {
  readonly brokerName: string;
  readonly brokerAddr: string;
  readonly clusterName: string;
  readonly haServerAddr: string;
  readonly brokerId: number;
  readonly heartbeatTimeoutMillis: number | undefined;
}

/** A registered topic's queues, as the name server keeps them. */
export interface RegisteredTopic {
  readonly readQueueNums: number;
  readonly writeQueueNums: number;
  readonly perm: number;
  readonly topicSysFlag: number;
}

export interface RegisterBrokerBody {
  readonly topics: Map<string, RegisteredTopic>;
  readonly dataVersion: { readonly timestamp: number; readonly counter: number };
}

const MAX_TOPICS = 1_000_000;

/** @throws HeaderFieldError naming the bad field. */
export function decodeRegisterBrokerRequest(command: RemotingCommand): { header: RegisterBrokerRequestHeader; body: RegisterBrokerBody } {
  const fields = command.extFields;
  const timeout = optionalInt(fields, "heartbeatTimeoutMillis", -1, { min: -1 });
  const header = {
    brokerName: requiredString(fields, "brokerName"),
    brokerAddr: requiredString(fields, "brokerAddr"),
    clusterName: requiredString(fields, "clusterName"),
    haServerAddr: fields.haServerAddr ?? "",
    brokerId: requiredInt(fields, "brokerId", { min: 0 }),
    heartbeatTimeoutMillis: timeout < 0 ? undefined : timeout,
  };
  if (optionalBoolean(fields, "compressed", false)) {
    throw new HeaderFieldError("compressed", "compressed: a compressed RegisterBrokerBody is not supported; set compressedRegister=false on the broker");
  }
  const expectedCrc = optionalInt(fields, "bodyCrc32", 0);
  const body = command.body ?? Buffer.alloc(0);
  if (expectedCrc !== 0 && (crc32(body) & 0x7fffffff) !== expectedCrc) throw new HeaderFieldError("bodyCrc32", "bodyCrc32: crc32 not match");
  return { header, body: decodeBody(body) };
}

function decodeBody(body: Buffer): RegisterBrokerBody {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
  } catch {
    throw new HeaderFieldError("body", "body: expected RegisterBrokerBody JSON");
  }
  const wrapper = (json?.topicConfigSerializeWrapper ?? {}) as Record<string, unknown>;
  const table = (wrapper.topicConfigTable ?? {}) as Record<string, unknown>;
  const entries = Object.entries(table);
  if (entries.length > MAX_TOPICS) throw new HeaderFieldError("body", `body: more than ${MAX_TOPICS} topics`);
  const topics = new Map<string, RegisteredTopic>();
  for (const [name, value] of entries) {
    const config = (value ?? {}) as Record<string, unknown>;
    const number = (field: unknown) => (typeof field === "number" && Number.isInteger(field) && field >= 0 ? field : null);
    const read = number(config.readQueueNums);
    const write = number(config.writeQueueNums);
    const perm = number(config.perm);
    if (read === null || write === null || perm === null) throw new HeaderFieldError("body", `body: topic ${JSON.stringify(name.slice(0, 127))} lacks readQueueNums, writeQueueNums or perm`);
    topics.set(name, { readQueueNums: read, writeQueueNums: write, perm, topicSysFlag: number(config.topicSysFlag) ?? 0 });
  }
  const version = (wrapper.dataVersion ?? {}) as Record<string, unknown>;
  return { topics, dataVersion: { timestamp: Number(version.timestamp ?? 0), counter: Number(version.counter ?? 0) } };
}

/** Encodes a registration (what a broker sends). */
export function encodeRegisterBrokerBody(topicConfigTable: Record<string, unknown>, dataVersion: { timestamp: number; counter: number }): Buffer {
  return Buffer.from(JSON.stringify({ topicConfigSerializeWrapper: { topicConfigTable, dataVersion }, filterServerList: [] }));
}

export function registerBrokerResponse(request: RemotingCommand, masterAddr: string): RemotingCommand {
  return RemotingCommand.response(request, 0, null, { haServerAddr: "", masterAddr }, Buffer.from(JSON.stringify({ table: {} })));
}
