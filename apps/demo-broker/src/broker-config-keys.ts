import { networkInterfaces } from "node:os";
import { z } from "zod";
import type { KeyDoc } from "./config-docs.js";

// ---------------------------------------------------------------------------------------------------
// PLACEHOLDER until @store/broker exports its own config schema (`brokerConfigSchema`): the broker's
// keys, with RocketMQ's names and defaults, so a broker.conf carrying them starts and `--help` lists
// them. When the broker lands, replace BROKER_KEYS' schemas with that export in config-schema.ts and
// keep only the docs here.
// ---------------------------------------------------------------------------------------------------

const MAX_TIMER_MS = 2_147_483_647;
const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** This host's first non-loopback IPv4 address (RocketMQ's NetworkUtil.getLocalAddress), else 127.0.0.1. */
export function localAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    const found = addresses?.find((address) => address.family === "IPv4" && !address.internal);
    if (found !== undefined) return found.address;
  }
  return "127.0.0.1";
}

const hostPort = /^[A-Za-z0-9.-]+:\d{1,5}$/;

/** One broker key: its schema (default included) and how `--help` shows it. */
interface BrokerKey<S extends z.ZodType = z.ZodType> extends KeyDoc {
  readonly schema: S;
}

function key<S extends z.ZodType>(schema: S, unit: string, description: string, defaultText?: string): BrokerKey<S> {
  return defaultText === undefined ? { schema, unit, description } : { schema, unit, description, defaultText };
}

const name = () => z.string().min(1).max(127);
const flag = (fallback: boolean) => z.boolean().default(fallback);
const DELAY_LEVELS = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";
const nameServers = z
  .string()
  .refine((value) => value.split(";").every((part) => hostPort.test(part)), "expected host:port[;host:port...]")
  .optional();

/** The broker's keys (placeholder, see above). */
export const BROKER_KEYS = {
  brokerName: key(name().default("broker-a"), "", "this broker's name; the metrics' node_id"),
  brokerClusterName: key(name().default("DefaultCluster"), "", "cluster name; the metrics' cluster"),
  brokerId: key(int(0, 1 << 30).default(0), "", "0 for a master (the only role this broker runs)"),
  brokerIP1: key(z.ipv4().default(localAddress), "IPv4", "address the name server hands to clients", "this host's first IPv4"),
  namesrvAddr: key(nameServers, "host:port;...", "also register with these name servers", "none (the embedded one only)"),
  aclEnable: key(flag(false), "", "check RocketMQ ACL 1.0 signatures on every request"),
  defaultTopicQueueNums: key(int(1, 1024).default(8), "queues", "queues of an auto-created topic"),
  autoCreateTopicEnable: key(flag(true), "", "create a topic on its first send"),
  autoCreateSubscriptionGroup: key(flag(true), "", "create a consumer group on first use"),
  waitTimeMillsInSendQueue: key(int(1, MAX_TIMER_MS).default(200), "ms", "a send queued longer is answered SYSTEM_BUSY"),
  maxReconsumeTimes: key(int(0, 1000).default(16), "deliveries", "retries before a message goes to %DLQ%"),
  messageDelayLevel: key(
    z.string().regex(/^\d+[smhd]( \d+[smhd])*$/, "expected space-separated durations such as 1s 5s 1m 2h").default(DELAY_LEVELS),
    "durations",
    "delay of each delay level (levels 1..18)",
  ),
  flushConsumerOffsetInterval: key(int(100, MAX_TIMER_MS).default(5000), "ms", "consumer offsets persisted this often"),
  longPollingEnable: key(flag(true), "", "hold pulls until messages arrive"),
  shortPollingTimeMills: key(int(0, MAX_TIMER_MS).default(1000), "ms", "hold time of a pull when long polling is off"),
  serverChannelMaxIdleTimeSeconds: key(int(1, 86_400).default(120), "s", "an idle client connection is closed after this"),
};

type BrokerKeys = typeof BROKER_KEYS;

/** The zod shape of the broker's keys. */
export const brokerKeysShape = Object.fromEntries(Object.entries(BROKER_KEYS).map(([key, spec]) => [key, spec.schema])) as {
  [K in keyof BrokerKeys]: BrokerKeys[K]["schema"];
};

/** The broker keys' docs. */
export const BROKER_KEY_DOCS: Readonly<Record<string, KeyDoc>> = BROKER_KEYS;
