import { ROCKETMQ_COMMIT_LOG_FILE_SIZE, messageStoreConfigSchema } from "@store/commitlog";
import { z } from "zod";
import { BrokerError } from "./broker-error.js";

const INT32_MAX = 2_147_483_647;
const int = (min: number, max: number) => z.number().int().min(min).max(max);
const DELAY_UNITS_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const DELAY_LEVEL = /^(\d{1,9})(ms|s|m|h|d)$/;

/**
 * Parses RocketMQ's `messageDelayLevel` ("1s 5s 10s 30s 1m ... 2h": space-separated, units ms, s, m,
 * h, d) into delays in ms; level n is entry n-1. Null when a level does not parse.
 */
export function parseDelayLevels(text: string): number[] | null {
  const levels = text.trim().split(/\s+/);
  const delays: number[] = [];
  for (const level of levels) {
    const match = DELAY_LEVEL.exec(level);
    if (match === null) return null;
    delays.push(Number(match[1]) * (DELAY_UNITS_MS[match[2] as string] as number));
  }
  return delays.length > 0 &&
    delays.length <= 64 &&
    delays.every((delay) => delay > 0 && delay <= INT32_MAX)
    ? delays
    : null;
}

/** The broker's own settings, RocketMQ property names and defaults (BrokerConfig.java), units in the text. */
const brokerFields = {
  brokerClusterName: z
    .string()
    .regex(/^[%|a-zA-Z0-9_-]{1,127}$/)
    .default("DefaultCluster")
    .describe("cluster this broker belongs to (name-server routes and cluster info)"),
  brokerName: z
    .string()
    .regex(/^[%|a-zA-Z0-9_-]{1,127}$/)
    .default("broker-a")
    .describe("broker name; brokers of one name are a master (brokerId 0) and its slaves"),
  brokerId: int(0, 1024)
    .default(0)
    .describe("0 is the master; clients send and pull to brokerId 0"),
  brokerIP1: z
    .string()
    .regex(/^[0-9.]{7,15}$/, "expected an IPv4 address")
    .default("127.0.0.1")
    .describe("IPv4 address advertised to clients (routes, store host, message ids)"),
  listenPort: int(0, 65535)
    .default(10911)
    .describe("remoting port for clients; 0 picks a free one"),
  namesrvAddr: z
    .string()
    .regex(/^[^;:\s]+:\d{1,5}(;[^;:\s]+:\d{1,5})*$/, "expected host:port[;host:port...]")
    .optional()
    .describe(
      "name servers to register with (host:port;...): at start, every registerNameServerPeriod and after a topic change",
    ),
  defaultTopicQueueNums: int(1, 1024)
    .default(4)
    .describe("queues of a topic created on first use (read and write)"),
  autoCreateTopicEnable: z
    .boolean()
    .default(true)
    .describe("create unknown topics on first send or pull; false answers TOPIC_NOT_EXIST"),
  waitTimeMillsInSendQueue: int(1, INT32_MAX)
    .default(200)
    .describe(
      "ms; a send that would wait longer behind earlier puts is answered SYSTEM_BUSY [TIMEOUT_CLEAN_QUEUE]",
    ),
  osPageCacheBusyTimeOutMills: int(1, INT32_MAX)
    .default(1000)
    .describe(
      "ms; a put in flight for longer means the store is stalled: sends are answered SYSTEM_BUSY [PC_SYNCHRONIZED]",
    ),
  sendThreadPoolQueueCapacity: int(1, 1_000_000)
    .default(10_000)
    .describe("puts in flight at most; beyond it sends are answered SYSTEM_BUSY [OVERLOAD]"),
  longPollingEnable: z
    .boolean()
    .default(true)
    .describe(
      "hold a PULL that finds nothing for its suspendTimeoutMillis; false holds it shortPollingTimeMills",
    ),
  shortPollingTimeMills: int(0, INT32_MAX)
    .default(1000)
    .describe("ms a PULL is held when longPollingEnable is false"),
  maxHeldPullRequests: int(1, 10_000_000)
    .default(100_000)
    .describe("held PULLs at most; beyond it a PULL is answered SYSTEM_BUSY"),
  maxReconsumeTimes: int(0, 1000)
    .default(16)
    .describe(
      "deliveries before CONSUMER_SEND_MSG_BACK moves a message to %DLQ%<group> (a request's maxReconsumeTimes wins)",
    ),
  messageDelayLevel: z
    .string()
    .refine(
      (text) => parseDelayLevels(text) !== null,
      'expected space-separated delays such as "1s 5s 1m 2h" (units ms, s, m, h, d), at most 64',
    )
    .default("1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h")
    .describe(
      "delay of each DELAY level (level n is the n-th entry); retries use level 3 + reconsumeTimes",
    ),
  flushConsumerOffsetInterval: int(100, INT32_MAX)
    .default(5000)
    .describe("ms between writes of config/consumerOffset.json (also at shutdown)"),
  flushDelayOffsetInterval: int(100, INT32_MAX)
    .default(10_000)
    .describe("ms between writes of config/delayOffset.json (also at shutdown)"),
  serverChannelMaxIdleTimeSeconds: int(1, 86_400)
    .default(120)
    .describe("s; a connection with no traffic this long is closed"),
  clientChannelMaxIdleTime: int(1000, INT32_MAX)
    .default(120_000)
    .describe("ms; a producer or consumer not heard from (heartbeat) this long is dropped"),
  rebalanceLockMaxLiveTime: int(1000, INT32_MAX)
    .default(60_000)
    .describe("ms; a queue lock (LOCK_BATCH_MQ) not renewed this long expires"),
  registerNameServerPeriod: int(1000, INT32_MAX)
    .default(30_000)
    .describe(
      "ms between registrations with the name server (routes expire after 120 s without one)",
    ),
  aclEnable: z
    .boolean()
    .default(false)
    .describe(
      "check RocketMQ ACL 1.0 signatures and permissions on every request (accounts from aclFilePath); refusals answer NO_PERMISSION",
    ),
  aclFilePath: z
    .string()
    .min(1)
    .optional()
    .describe(
      "plain_acl.yml (YAML, or JSON if it ends in .json) read at start when aclEnable; default <storePathRootDir>/config/plain_acl.yml",
    ),
  registerBrokerTimeoutMills: int(100, INT32_MAX)
    .default(24_000)
    .describe(
      "ms a REGISTER_BROKER waits for a name server's answer before it counts as failed (and is retried)",
    ),
  storeHost: z
    .string()
    .regex(
      /^(\[[0-9a-fA-F.:]+\]|[0-9a-fA-F.:]+):\d{1,5}$/,
      "expected ip:port (IPv6 as [addr]:port)",
    )
    .optional()
    .describe(
      "ip:port written into every record and message id; default brokerIP1:<bound listenPort>",
    ),
};

/** Descriptions of the store keys (validation and defaults come from @store/commitlog). */
const storeDescriptions: Record<string, string> = {
  storePathRootDir:
    "root directory: commitlog/, consumequeue/, index/, config/, checkpoint, abort, lock",
  flushDiskType:
    "SYNC_FLUSH answers a send after fdatasync; ASYNC_FLUSH after the write to the page cache",
  flushIntervalCommitLog: "ms; ASYNC_FLUSH pause between flush rounds",
  flushCommitLogTimed: "ASYNC_FLUSH: sleep between rounds (true) or wake on puts (false)",
  flushCommitLogLeastPages: "4 KiB pages dirty before an ASYNC_FLUSH round flushes",
  flushCommitLogThoroughInterval:
    "ms; a round flushes everything this long after the last full flush",
  commitIntervalCommitLog: "ms; transientStorePoolEnable: pause between commit rounds",
  commitCommitLogLeastPages: "4 KiB pages pending before a commit round commits (pool)",
  commitCommitLogThoroughInterval:
    "ms; a round commits everything this long after the last commit (pool)",
  syncFlushTimeout: "ms; SYNC_FLUSH put waits this long for fdatasync, then FLUSH_DISK_TIMEOUT",
  transientStorePoolEnable: "appends go to pooled buffers first (ASYNC_FLUSH only)",
  groupCommitIntervalMs: "ms; SYNC_FLUSH group commit's longest idle wait",
  serviceJoinTimeMs: "ms; shutdown waits this long for each flush service",
  mappedFileSizeCommitLog: "bytes per commit-log segment file",
  mappedFileSizeConsumeQueue: "bytes per consume-queue file (multiple of 20)",
  maxMessageSize: "bytes; largest message body accepted",
  checkCRCOnRecover:
    "verify CRCs during recovery (body CRC; the __CRC32# property with forceVerifyPropCRC)",
  enabledAppendPropCRC:
    "end every record's properties with RocketMQ 5's whole-record CRC property __CRC32#",
  forceVerifyPropCRC:
    "recovery checks a record by its __CRC32# property; a record without one must end complete",
  transientStorePoolSize: "pool buffers (each a commit-log segment in size)",
  fastFailIfNoBufferInStorePool: "fail a roll-over at once when the pool has no free buffer",
  preallocation:
    "zero-fill or sparse new segments; default zero-fill under SYNC_FLUSH, sparse under ASYNC_FLUSH",
  warmMapedFileEnable: "read segments made ahead into the page cache",
  flushIntervalConsumeQueue: "ms between consume-queue flushes",
  flushConsumeQueueLeastPages: "dirty consume-queue pages before a periodic flush",
  flushConsumeQueueThoroughInterval: "ms; consume queues fully flushed at least this often",
  fileReservedTime: "hours commit-log files are kept",
  deleteWhen: "hours of the day (;-separated) when expired files are deleted",
  diskMaxUsedSpaceRatio: "percent of disk use past which expired files are deleted at any hour",
  cleanResourceInterval: "ms between expired-file checks",
  deleteCommitLogFilesInterval: "ms between two file deletions",
  destroyMapedFileIntervalForcibly: "ms after which a file still read is deleted by force",
  messageIndexEnable:
    "keep the message index (index/) of every KEYS key and UNIQ_KEY, for QUERY_MESSAGE",
  maxHashSlotNum: "hash slots per index file (4 bytes each, in memory for the file being written)",
  maxIndexNum: "keys per index file (20 bytes each) before another file is started",
  maxMsgsNumBatch: "messages a QUERY_MESSAGE answers at most",
  defaultQueryMaxNum: "maxNum of a QUERY_MESSAGE by unique key (_UNIQUE_KEY_QUERY)",
};

type StoreShape = Omit<typeof messageStoreConfigSchema.shape, "storeHost">;

/** The store's fields with descriptions added (`.describe()` keeps each field's type). */
function describedStoreShape(): StoreShape {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, schema] of Object.entries(
    messageStoreConfigSchema.shape as Record<string, z.ZodType>,
  )) {
    if (key === "storeHost") continue;
    shape[key] = schema.describe(storeDescriptions[key] ?? "");
  }
  // The store's own default suits an embedded store; a broker keeps RocketMQ's 1 GiB segments.
  const segment = messageStoreConfigSchema.shape.mappedFileSizeCommitLog;
  shape.mappedFileSizeCommitLog = segment
    .removeDefault()
    .default(ROCKETMQ_COMMIT_LOG_FILE_SIZE)
    .describe(storeDescriptions.mappedFileSizeCommitLog ?? "");
  return shape as unknown as StoreShape;
}

/**
 * One flat RocketMQ-style config (the keys of broker.conf) for the broker and its store: the broker's
 * keys plus every key of @store/commitlog's `messageStoreConfigSchema`. Unknown keys are refused.
 * Each field carries a `.describe()` text with its unit (see {@link brokerConfigKeys}).
 */
export const brokerConfigSchema = z.object({ ...describedStoreShape(), ...brokerFields }).strict();

/** The config a `BrokerController` accepts: broker.conf keys, strings or typed values. */
export type BrokerConfigInput = z.input<typeof brokerConfigSchema>;
/** A validated broker config with every default filled in (see `parseBrokerConfig`). */
export type BrokerConfig = z.output<typeof brokerConfigSchema> & {
  /** `messageDelayLevel` parsed: delay per level, ms (level n at index n-1). */
  readonly delayLevelTableMs: readonly number[];
};

/** One line of `--help`: a key, its default (undefined when none) and what it means. */
export interface BrokerConfigKey {
  readonly key: string;
  readonly defaultValue: unknown;
  readonly description: string;
}

/** Every config key with its default and description (units included), sorted by key. */
export function brokerConfigKeys(): BrokerConfigKey[] {
  const defaults = brokerConfigSchema.parse({}) as Record<string, unknown>;
  return Object.entries(brokerConfigSchema.shape as Record<string, z.ZodType>)
    .map(([key, schema]) => ({
      key,
      defaultValue: defaults[key],
      description: schema.description ?? "",
    }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

/** The innermost zod type name of a field (through default / optional wrappers). */
function baseType(schema: z.ZodType): string {
  let def = (schema as unknown as { def: { type: string; innerType?: z.ZodType } }).def;
  while ((def.type === "default" || def.type === "optional") && def.innerType !== undefined) {
    def = (def.innerType as unknown as { def: { type: string; innerType?: z.ZodType } }).def;
  }
  return def.type;
}

/**
 * Turns broker.conf-style strings into the types the schema wants: "10911" → 10911 for number keys,
 * "true"/"false" → booleans for boolean keys. Anything else is left for validation to refuse.
 */
function coerceProperties(input: Record<string, unknown>): Record<string, unknown> {
  const shape = brokerConfigSchema.shape as Record<string, z.ZodType>;
  const output: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const schema = shape[key];
    if (typeof value !== "string" || schema === undefined) output[key] = value;
    else if (baseType(schema) === "number" && /^\s*-?\d+(\.\d+)?\s*$/.test(value))
      output[key] = Number(value);
    else if (
      baseType(schema) === "boolean" &&
      (value.trim() === "true" || value.trim() === "false")
    )
      output[key] = value.trim() === "true";
    else output[key] = value.trim();
  }
  return output;
}

/**
 * Validates a broker config (values typed, or strings as in broker.conf) and fills in the defaults.
 * @throws BrokerError INVALID_CONFIG naming each bad key, what was expected and what was given.
 */
export function parseBrokerConfig(input: unknown = {}): BrokerConfig {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new BrokerError("INVALID_CONFIG", "broker config must be an object of key → value");
  }
  const given = coerceProperties(input as Record<string, unknown>);
  const result = brokerConfigSchema.safeParse(given);
  if (result.success) {
    return {
      ...result.data,
      delayLevelTableMs: parseDelayLevels(result.data.messageDelayLevel) as number[],
    };
  }
  const problems = result.error.issues.map((issue) => {
    if (issue.code === "unrecognized_keys") return `unknown key(s) ${issue.keys.join(", ")}`;
    const key = issue.path.map(String).join(".") || "(config)";
    const description = (brokerConfigSchema.shape as Record<string, z.ZodType>)[key]?.description;
    return `${key}: ${issue.message}, got ${JSON.stringify(given[key])}${description ? ` (${description})` : ""}`;
  });
  throw new BrokerError("INVALID_CONFIG", `invalid broker config: ${problems.join("; ")}`, {
    cause: result.error,
  });
}
