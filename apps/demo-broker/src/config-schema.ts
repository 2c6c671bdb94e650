import { isAbsolute, resolve } from "node:path";
import type { MessageStoreConfigInput } from "@store/commitlog";
import { messageStoreConfigSchema } from "@store/commitlog";
import { z } from "zod";
import { BROKER_KEY_DOCS, brokerKeysShape } from "./broker-config-keys.js";
import type { KeyDoc } from "./config-docs.js";
import { STORE_KEY_DOCS } from "./config-docs.js";

const MiB = 1024 * 1024;
const port = () => z.number().int().min(0).max(65535);

/** The app's own keys: ports of what the process serves. 0 picks a free port. */
const APP_KEYS = {
  listenPort: { schema: port().default(10911), unit: "port", description: "RocketMQ remoting (4.x clients)" },
  namesrvPort: { schema: port().default(9876), unit: "port", description: "the embedded name server" },
  httpPort: { schema: port().default(8080), unit: "port", description: "status page, /metrics, /healthz, /api/status" },
  grpcPort: { schema: port().default(8081), unit: "port", description: "RocketMQ 5 gRPC clients (when enableGrpc)" },
  enableGrpc: { schema: z.boolean().default(true), unit: "", description: "serve RocketMQ 5 gRPC clients on grpcPort" },
} as const satisfies Record<string, KeyDoc & { schema: z.ZodType }>;

const appKeysShape = {
  listenPort: APP_KEYS.listenPort.schema,
  namesrvPort: APP_KEYS.namesrvPort.schema,
  httpPort: APP_KEYS.httpPort.schema,
  grpcPort: APP_KEYS.grpcPort.schema,
  enableGrpc: APP_KEYS.enableGrpc.schema,
};

/**
 * Every key the demo broker takes, RocketMQ's property names: the store's schema (@store/commitlog),
 * the app's ports and the broker's keys, strict (an unknown key is an error). The embedded defaults
 * keep a first run small: the store in `./data` with 64 MiB segments.
 */
export const demoConfigSchema = messageStoreConfigSchema
  .extend({
    storePathRootDir: z.string().min(1).default("./data"),
    mappedFileSizeCommitLog: z.number().int().min(4096).max(2 ** 31).default(64 * MiB),
    // Derived from brokerIP1:listenPort when not given (as RocketMQ does).
    storeHost: messageStoreConfigSchema.shape.storeHost.unwrap().optional(),
    ...appKeysShape,
    ...brokerKeysShape,
  })
  .strict();

export type DemoConfig = z.output<typeof demoConfigSchema> & { readonly storeHost: string };

/** Which part of the process a key configures, for `--help`. */
export type KeyGroup = "app" | "broker" | "store";

/** The docs of every key of `demoConfigSchema`, by group, in the order `--help` lists them. */
export const KEY_DOCS: Readonly<Record<KeyGroup, Readonly<Record<string, KeyDoc>>>> = {
  app: {
    storePathRootDir: STORE_KEY_DOCS.storePathRootDir as KeyDoc,
    ...APP_KEYS,
  },
  broker: BROKER_KEY_DOCS,
  store: Object.fromEntries(Object.entries(STORE_KEY_DOCS).filter(([key]) => key !== "storePathRootDir")),
};

/** The keys of `demoConfigSchema`. */
export function configKeys(): string[] {
  return Object.keys(demoConfigSchema.shape);
}

/** Fills what depends on other keys: the absolute store path and storeHost (brokerIP1:listenPort). */
export function finishConfig(parsed: z.output<typeof demoConfigSchema>, cwd: string): DemoConfig {
  const storePathRootDir = isAbsolute(parsed.storePathRootDir) ? parsed.storePathRootDir : resolve(cwd, parsed.storePathRootDir);
  return { ...parsed, storePathRootDir, storeHost: parsed.storeHost ?? `${parsed.brokerIP1}:${parsed.listenPort}` };
}

/** The store's part of a config, as `MessageStore.open` takes it (its schema is strict). */
export function storeConfigOf(config: DemoConfig): MessageStoreConfigInput {
  const entries = Object.keys(messageStoreConfigSchema.shape)
    .map((key) => [key, (config as Record<string, unknown>)[key]] as const)
    .filter(([, value]) => value !== undefined);
  return Object.fromEntries(entries);
}
