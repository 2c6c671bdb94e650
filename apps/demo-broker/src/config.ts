import { readFileSync } from "node:fs";
import { join } from "node:path";
import { messageStoreConfigSchema } from "@store/commitlog";
import { z } from "zod";

/**
 * The demo broker's settings: the store's (RocketMQ property names) plus the broker's own. The
 * embedded defaults keep a first run small: the store lives in `./.demo-store` with 64 MiB segments.
 */
export const demoConfigSchema = messageStoreConfigSchema.extend({
  storePathRootDir: z.string().min(1).default(join(process.cwd(), ".demo-store")),
  mappedFileSizeCommitLog: z.number().int().min(4096).max(2 ** 31).default(64 * 1024 * 1024),
  brokerName: z.string().min(1).default("broker-a"),
  listenPort: z.number().int().min(0).max(65535).default(10911),
  namesrvPort: z.number().int().min(0).max(65535).default(9876),
  httpPort: z.number().int().min(0).max(65535).default(8080),
  /** How many messages the demo run appends and reads back. */
  demoMessages: z.number().int().min(1).max(10_000_000).default(1000),
});

export type DemoConfig = z.output<typeof demoConfigSchema>;

/** A bad command line or config file; the message names the key and the expected form. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}


/** Turns a text value into the type the key's schema accepts (number, boolean or string). */
function coerce(key: string, raw: string): unknown {
  const field = (demoConfigSchema.shape as Record<string, z.ZodType | undefined>)[key];
  if (field === undefined) return raw;
  const candidates: unknown[] = [raw];
  if (/^-?\d+(\.\d+)?$/.test(raw.trim())) candidates.unshift(Number(raw));
  if (raw === "true" || raw === "false") candidates.unshift(raw === "true");
  return candidates.find((candidate) => field.safeParse(candidate).success) ?? raw;
}

/** Reads `key=value` lines (RocketMQ broker.conf; `#` comments) or a JSON object. */
export function parseConfigText(text: string, fileName: string): Record<string, unknown> {
  if (fileName.endsWith(".json")) {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`${fileName}: expected a JSON object`);
    }
    return parsed as Record<string, unknown>;
  }
  const entries: Record<string, unknown> = {};
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const at = trimmed.indexOf("=");
    if (at <= 0) throw new ConfigError(`${fileName}:${index + 1}: expected key=value, got "${trimmed}"`);
    const key = trimmed.slice(0, at).trim();
    entries[key] = coerce(key, trimmed.slice(at + 1).trim());
  }
  return entries;
}

/**
 * `demo-broker [-c broker.conf|broker.json] [--<configKey>=<value> ...]`: a file first, then the
 * command-line overrides, validated together.
 * @throws ConfigError naming each bad key and its expected form.
 */
export function parseCommandLine(argv: readonly string[], readFile: (path: string) => string = (p) => readFileSync(p, "utf8")): DemoConfig {
  let values: Record<string, unknown> = {};
  const overrides: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") continue; // the conventional end-of-options marker some runners pass through
    if (arg === "-c" || arg === "--config") {
      const file = argv[++i];
      if (file === undefined) throw new ConfigError(`${arg} needs a file name`);
      values = parseConfigText(readFile(file), file);
    } else if (arg.startsWith("--") && arg.includes("=")) {
      const key = arg.slice(2, arg.indexOf("="));
      overrides[key] = coerce(key, arg.slice(arg.indexOf("=") + 1));
    } else {
      throw new ConfigError(`unexpected argument "${arg}"; usage: demo-broker [-c broker.conf|broker.json] [--<configKey>=<value> ...]`);
    }
  }
  const result = demoConfigSchema.safeParse({ ...values, ...overrides });
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues
      .map((issue) => (issue.code === "unrecognized_keys" ? `unknown config key(s): ${issue.keys.join(", ")}` : `${issue.path.join(".")}: ${issue.message}`))
      .join("; "),
  );
}

