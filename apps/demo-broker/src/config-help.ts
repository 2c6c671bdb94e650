import type { z } from "zod";
import { DEFAULT_TEXTS, describeWithoutUnit, KEY_UNITS } from "./config-docs.js";
import { USAGE } from "./config-loader.js";
import type { KeyGroup } from "./config-schema.js";
import { demoConfigSchema, keyGroup } from "./config-schema.js";

/** One row of the key table: what `--help` prints and the README's table holds. */
export interface KeyRow {
  readonly group: KeyGroup;
  readonly key: string;
  readonly defaultValue: string;
  /** Whether `defaultValue` is the literal value (else a description such as "brokerIP1:listenPort"). */
  readonly literal: boolean;
  readonly unit: string;
  readonly description: string;
}

const GROUP_TITLES: Readonly<Record<KeyGroup, string>> = {
  app: "Process (ports, store directory)",
  broker: "Broker (RocketMQ BrokerConfig names)",
  store: "Store and flush strategy (RocketMQ MessageStoreConfig names)",
};

/** The first keys of each group, in this order; the rest follow by name. */
const LEADING_KEYS = [
  "storePathRootDir",
  "listenPort",
  "namesrvPort",
  "httpPort",
  "grpcPort",
  "enableGrpc",
  "flushDiskType",
  "transientStorePoolEnable",
  "brokerName",
  "brokerClusterName",
];

function order(key: string): string {
  const at = LEADING_KEYS.indexOf(key);
  return at >= 0 ? String(at).padStart(3, "0") : `~${key}`;
}

/** Every key of the schema (@store/broker's keys plus the app's) with its default, unit and meaning, by group. */
export function keyRows(): KeyRow[] {
  const shape = demoConfigSchema.shape as unknown as Record<string, z.ZodType>;
  const keys = Object.keys(shape).sort((a, b) => order(a).localeCompare(order(b)));
  return keys.map((key) => {
    const field = shape[key] as z.ZodType;
    const unit = KEY_UNITS[key] ?? "";
    const text = DEFAULT_TEXTS[key];
    const hasDefault = field.def.type === "default";
    const value = hasDefault
      ? (field.def as unknown as { defaultValue: unknown }).defaultValue
      : undefined;
    const defaultValue =
      text ?? (!hasDefault ? "none" : typeof value === "string" ? value : JSON.stringify(value));
    const description = describeWithoutUnit(field.description ?? "", unit);
    return {
      group: keyGroup(key),
      key,
      defaultValue,
      literal: text === undefined && hasDefault,
      unit,
      description,
    };
  });
}

/** `demo-broker --help`: usage, then every key with default, unit and meaning, by group. */
export function renderHelp(): string {
  const rows = keyRows();
  const keyWidth = Math.max(...rows.map((row) => row.key.length));
  const defaultWidth = Math.min(24, Math.max(...rows.map((row) => row.defaultValue.length)));
  const lines = [
    USAGE,
    "",
    "Starts the broker in the foreground. -c reads a RocketMQ broker.conf (key=value, # comments) or a",
    "JSON object; --key=value overrides it. A RocketMQ key this broker does not implement is accepted",
    "with a warning; any other unknown key is refused. Ports set to 0 pick a free port.",
  ];
  for (const group of Object.keys(GROUP_TITLES) as KeyGroup[]) {
    lines.push("", `${GROUP_TITLES[group]}:`);
    for (const row of rows.filter((r) => r.group === group)) {
      const text = `${row.description}${row.unit === "" ? "" : ` [${row.unit}]`}`;
      const key = `  ${row.key.padEnd(keyWidth)}  `;
      if (row.defaultValue.length <= defaultWidth)
        lines.push(`${key}${row.defaultValue.padEnd(defaultWidth)}  ${text}`);
      else
        lines.push(
          `${key}${row.defaultValue}`,
          `${" ".repeat(key.length + defaultWidth + 2)}${text}`,
        );
    }
  }
  return lines.join("\n");
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|");
}

/** The README's key table (Markdown), generated from the same rows as `--help`. */
export function renderKeysMarkdown(): string {
  const lines: string[] = [];
  for (const group of Object.keys(GROUP_TITLES) as KeyGroup[]) {
    lines.push(
      `**${GROUP_TITLES[group]}**`,
      "",
      "| key | default | unit | meaning |",
      "|---|---|---|---|",
    );
    for (const row of keyRows().filter((r) => r.group === group)) {
      const value = row.literal
        ? `\`${row.defaultValue === "" ? '""' : row.defaultValue}\``
        : row.defaultValue;
      lines.push(
        `| \`${row.key}\` | ${cell(value)} | ${cell(row.unit)} | ${cell(row.description)} |`,
      );
    }
    lines.push("");
  }
  return lines.join("\n");
}
