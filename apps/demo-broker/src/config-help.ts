import type { z } from "zod";
import type { KeyDoc } from "./config-docs.js";
import { USAGE, baseSchema } from "./config-loader.js";
import type { KeyGroup } from "./config-schema.js";
import { KEY_DOCS, demoConfigSchema } from "./config-schema.js";

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

function defaultOf(field: z.ZodType, doc: KeyDoc): string {
  if (doc.defaultText !== undefined) return doc.defaultText;
  if (field.def.type !== "default") return "none";
  const value = (field.def as unknown as { defaultValue: unknown }).defaultValue;
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Every key of the schema with its default, unit and description, grouped; undocumented keys last. */
export function keyRows(): KeyRow[] {
  const shape = demoConfigSchema.shape as unknown as Record<string, z.ZodType>;
  const rows: KeyRow[] = [];
  const listed = new Set<string>();
  for (const group of Object.keys(KEY_DOCS) as KeyGroup[]) {
    for (const [key, doc] of Object.entries(KEY_DOCS[group])) {
      const field = shape[key];
      if (field === undefined) continue;
      listed.add(key);
      const literal = doc.defaultText === undefined && field.def.type === "default";
      rows.push({ group, key, defaultValue: defaultOf(field, doc), literal, unit: doc.unit, description: doc.description });
    }
  }
  for (const [key, field] of Object.entries(shape)) {
    if (listed.has(key)) continue;
    const doc: KeyDoc = { unit: "", description: `(undocumented ${baseSchema(field).def.type})` };
    const literal = field.def.type === "default";
    rows.push({ group: "store", key, defaultValue: defaultOf(field, doc), literal, unit: "", description: doc.description });
  }
  return rows;
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
      if (row.defaultValue.length <= defaultWidth) lines.push(`${key}${row.defaultValue.padEnd(defaultWidth)}  ${text}`);
      else lines.push(`${key}${row.defaultValue}`, `${" ".repeat(key.length + defaultWidth + 2)}${text}`);
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
    lines.push(`**${GROUP_TITLES[group]}**`, "", "| key | default | unit | meaning |", "|---|---|---|---|");
    for (const row of keyRows().filter((r) => r.group === group)) {
      const value = row.literal ? `\`${row.defaultValue === "" ? '""' : row.defaultValue}\`` : row.defaultValue;
      lines.push(`| \`${row.key}\` | ${cell(value)} | ${cell(row.unit)} | ${cell(row.description)} |`);
    }
    lines.push("");
  }
  return lines.join("\n");
}
