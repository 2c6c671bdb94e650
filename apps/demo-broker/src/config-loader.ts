import { readFileSync } from "node:fs";
import type { z } from "zod";
import { ConfigError } from "./config-error.js";
import type { DemoConfig } from "./config-schema.js";
import { demoConfigSchema, finishConfig } from "./config-schema.js";
import { nearestKey } from "./key-suggestion.js";
import {
  ROCKETMQ_BROKER_CONFIG_PROPERTIES,
  ROCKETMQ_MESSAGE_STORE_CONFIG_PROPERTIES,
  ROCKETMQ_NETTY_SERVER_CONFIG_PROPERTIES,
} from "./rocketmq-property-names.js";

export const USAGE =
  "usage: demo-broker [-c broker.conf|broker.json] [--<configKey>=<value> ...] | --help\n       demo-broker bench [--namesrvAddr=host:port | --brokerAddr=host:port] [--messages=N] [--size=S] [--producers=C] [--verify] [--json] | bench --help";

/** What the command line asks for. */
export type CommandLine =
  | { readonly kind: "help" }
  | {
      readonly kind: "run";
      readonly config: DemoConfig;
      /** One line per RocketMQ key given that this broker does not implement (accepted, ignored). */
      readonly warnings: readonly string[];
    };

/** One value with where it came from (`broker.conf:3`, `--listenPort`), for error messages. */
interface Setting {
  readonly value: unknown;
  readonly source: string;
  /** Typed as text (broker.conf, command line): shown as typed, not as a JSON value. */
  readonly text?: boolean;
}

const shape = demoConfigSchema.shape as unknown as Record<string, z.ZodType>;

/** RocketMQ's broker property names (BrokerConfig, MessageStoreConfig, NettyServerConfig, 4.9.x and 5.x). */
const ROCKETMQ_KEYS: ReadonlySet<string> = new Set([
  ...ROCKETMQ_BROKER_CONFIG_PROPERTIES,
  ...ROCKETMQ_MESSAGE_STORE_CONFIG_PROPERTIES,
  ...ROCKETMQ_NETTY_SERVER_CONFIG_PROPERTIES,
]);

/** The schema inside defaults and optionals. */
export function baseSchema(field: z.ZodType): z.ZodType {
  let inner = field;
  while (inner.def.type === "default" || inner.def.type === "optional") {
    inner = (inner.def as unknown as { innerType: z.ZodType }).innerType;
  }
  return inner;
}

/** Turns a text value into the key's type: numbers and booleans from their usual spelling. */
function coerce(key: string, raw: unknown): unknown {
  const field = shape[key];
  if (field === undefined || typeof raw !== "string") return raw;
  const text = raw.trim();
  const type = baseSchema(field).def.type;
  if (type === "number" && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (type === "boolean" && /^(true|false)$/i.test(text)) return text.toLowerCase() === "true";
  return text;
}

/** Reads `key=value` lines (RocketMQ broker.conf; `#` and `!` comments) or, for `*.json`, a JSON object. */
export function parseConfigText(text: string, fileName: string): Map<string, Setting> {
  const settings = new Map<string, Setting>();
  if (fileName.endsWith(".json")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(`${fileName}: not valid JSON: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`${fileName}: expected a JSON object of config keys`);
    }
    for (const [key, value] of Object.entries(parsed))
      settings.set(key, { value, source: fileName });
    return settings;
  }
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith("!")) continue;
    const at = trimmed.indexOf("=");
    if (at <= 0)
      throw new ConfigError(`${fileName}:${index + 1}: expected key=value, got "${trimmed}"`);
    const source = `${fileName}:${index + 1}`;
    settings.set(trimmed.slice(0, at).trim(), {
      value: trimmed.slice(at + 1).trim(),
      source,
      text: true,
    });
  }
  return settings;
}

function readConfigFile(path: string, readFile: (path: string) => string): string {
  try {
    return readFile(path);
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * `demo-broker [-c broker.conf|broker.json] [--<configKey>=<value> ...]`: the file first, then the
 * command-line overrides, validated together against `demoConfigSchema`. A RocketMQ key this broker
 * does not implement is accepted with a warning; any other unknown key is refused.
 * @throws ConfigError naming each bad key, the value given and the expected form.
 */
export function parseCommandLine(
  argv: readonly string[],
  options: { readFile?: (path: string) => string; cwd?: string } = {},
): CommandLine {
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, "utf8"));
  let settings = new Map<string, Setting>();
  const overrides = new Map<string, Setting>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") continue; // the end-of-options marker some script runners pass through
    if (arg === "-h" || arg === "--help") return { kind: "help" };
    if (arg === "-c" || arg === "--config" || arg.startsWith("--config=")) {
      const file = arg.startsWith("--config=") ? arg.slice("--config=".length) : argv[++i];
      if (file === undefined || file === "")
        throw new ConfigError(`${arg} needs a file name; ${USAGE}`);
      settings = new Map([...settings, ...parseConfigText(readConfigFile(file, readFile), file)]);
    } else if (arg.startsWith("--") && arg.indexOf("=") > 2) {
      const at = arg.indexOf("=");
      overrides.set(arg.slice(2, at), {
        value: arg.slice(at + 1),
        source: "command line",
        text: true,
      });
    } else {
      throw new ConfigError(`unexpected argument "${arg}"; ${USAGE}`);
    }
  }
  return validate(new Map([...settings, ...overrides]), options.cwd ?? process.cwd());
}

function validate(settings: Map<string, Setting>, cwd: string): CommandLine {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const [key, setting] of settings) {
    if (key in shape) values[key] = coerce(key, setting.value);
    else if (ROCKETMQ_KEYS.has(key))
      warnings.push(`${setting.source}: ${key} is a RocketMQ broker key this broker ignores`);
    else problems.push(unknownKeyProblem(key, setting.source));
  }
  const result = demoConfigSchema.safeParse(values);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = String(issue.path[0] ?? "");
      const setting = settings.get(key);
      const field = shape[key];
      if (setting === undefined || field === undefined)
        problems.push(`${key || "(config)"}: ${issue.message}`);
      else {
        const value = setting.text === true ? String(setting.value) : show(setting.value);
        problems.push(
          `${setting.source}: ${key}=${value} is invalid; expected ${expectedForm(field, issue)}`,
        );
      }
    }
  }
  if (problems.length > 0) throw new ConfigError([...new Set(problems)].join("\n"));
  return {
    kind: "run",
    config: finishConfig(result.data as z.output<typeof demoConfigSchema>, cwd),
    warnings,
  };
}

function unknownKeyProblem(key: string, source: string): string {
  const suggestion = nearestKey(key, [...Object.keys(shape), ...ROCKETMQ_KEYS]);
  const hint =
    suggestion === null ? "see demo-broker --help for the keys" : `did you mean ${suggestion}?`;
  return `${source}: unknown config key ${key}; ${hint}`;
}

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null)
    return String(value);
  return `a JSON ${Array.isArray(value) ? "array" : typeof value}`;
}

/** What a key accepts, in words: "an integer in [1, 2147483647]", "SYNC_FLUSH or ASYNC_FLUSH", ... */
export function expectedForm(field: z.ZodType, issue?: z.core.$ZodIssue): string {
  const base = baseSchema(field);
  switch (base.def.type) {
    case "enum":
      return (base as z.ZodEnum).options.map(String).join(" or ");
    case "boolean":
      return "true or false";
    case "number": {
      const number = base as z.ZodNumber;
      const kind = number.format === "safeint" ? "an integer" : "a number";
      return `${kind} in [${number.minValue ?? "-inf"}, ${number.maxValue ?? "inf"}]`;
    }
    case "string": {
      const string = base as z.ZodString;
      if (string.format === "ipv4") return "an IPv4 address";
      // a refinement or regex with its own wording ("expected ip:port ...") says it best
      const worded =
        issue !== undefined &&
        issue.code !== "invalid_type" &&
        issue.message.startsWith("expected ");
      if (worded) return issue.message.slice("expected ".length);
      if (string.format === "regex") {
        const checks =
          (string.def as unknown as { checks?: { _zod: { def: { pattern?: RegExp } } }[] })
            .checks ?? [];
        const pattern = checks
          .map((check) => check._zod.def.pattern)
          .find((found) => found !== undefined);
        return pattern === undefined
          ? "text in the documented form (see --help)"
          : `text matching ${pattern.source}`;
      }
      const most = string.maxLength === null ? "" : ` of at most ${string.maxLength} characters`;
      return `${string.minLength !== null && string.minLength > 0 ? "non-empty text" : "text"}${most}`;
    }
    default:
      return issue?.message ?? base.def.type;
  }
}
