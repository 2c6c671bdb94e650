import { isAbsolute, resolve } from "node:path";
import type { BrokerConfigInput } from "@store/broker";
import { brokerConfigSchema } from "@store/broker";
import { messageStoreConfigSchema } from "@store/commitlog";
import { z } from "zod";

const MiB = 1024 * 1024;
const port = () => z.number().int().min(0).max(65535);

/** The app's own keys: what the process serves besides the broker. 0 picks a free port. */
const appKeysShape = {
  namesrvPort: port()
    .default(9876)
    .describe("the embedded name server (4.x clients' nameSrv); 0 picks a free one"),
  httpPort: port()
    .default(8080)
    .describe("status page, /metrics, /healthz, /api/status; 0 picks a free one"),
  grpcPort: port()
    .default(8081)
    .describe(
      "RocketMQ 5 gRPC clients (rocketmq-client-nodejs) when enableGrpc; 0 picks a free one",
    ),
  enableGrpc: z.boolean().default(true).describe("serve RocketMQ 5 gRPC clients on grpcPort"),
};

/** Keys that are the app's, not the broker's. */
export const APP_KEYS: readonly string[] = Object.keys(appKeysShape);

/**
 * Every key the demo broker takes, RocketMQ's property names: @store/broker's `brokerConfigSchema`
 * (the broker's keys and @store/commitlog's store keys) plus the app's ports, strict (an unknown key
 * is an error). The embedded defaults keep a first run small: the store in `./data`, 64 MiB segments.
 */
export const demoConfigSchema = brokerConfigSchema
  .extend({
    storePathRootDir: z
      .string()
      .min(1)
      .default("./data")
      .describe(
        "store directory (commitlog/, consumequeue/, config/, checkpoint, abort, lock); relative to the working directory",
      ),
    mappedFileSizeCommitLog: z
      .number()
      .int()
      .min(4096)
      .max(2 ** 31)
      .default(64 * MiB)
      .describe("bytes per commit-log segment file (RocketMQ's default is 1 GiB)"),
    ...appKeysShape,
  })
  .strict();

export type DemoConfig = z.output<typeof demoConfigSchema>;

/** Which part of the process a key configures, for `--help`. */
export type KeyGroup = "app" | "broker" | "store";

/** The group of a key: the app's ports and store path, the store's keys, or the broker's. */
export function keyGroup(key: string): KeyGroup {
  if (key === "storePathRootDir" || key === "listenPort" || APP_KEYS.includes(key)) return "app";
  return key in messageStoreConfigSchema.shape ? "store" : "broker";
}

/** The keys of `demoConfigSchema`. */
export function configKeys(): string[] {
  return Object.keys(demoConfigSchema.shape);
}

/** Fills what depends on the working directory: the absolute store path. */
export function finishConfig(parsed: DemoConfig, cwd: string): DemoConfig {
  const storePathRootDir = isAbsolute(parsed.storePathRootDir)
    ? parsed.storePathRootDir
    : resolve(cwd, parsed.storePathRootDir);
  return { ...parsed, storePathRootDir };
}

/** The broker's part of a config, as `BrokerController` takes it (its schema is strict). */
export function brokerConfigOf(config: DemoConfig): BrokerConfigInput {
  const entries = Object.keys(brokerConfigSchema.shape)
    .map((key) => [key, (config as Record<string, unknown>)[key]] as const)
    .filter(([, value]) => value !== undefined);
  return Object.fromEntries(entries);
}
