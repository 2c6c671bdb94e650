import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { BrokerError } from "../broker-error.js";
import { retryTopicOf } from "../topic/topic-config.js";
import { Permission, parsePermission } from "./permission.js";
import { remoteAddressMatcher } from "./remote-address-matcher.js";
import type { RemoteAddressMatcher } from "./remote-address-matcher.js";

/** Accounts in one file at most, and resource permissions per account. */
const MAX_ACCOUNTS = 10_000;
const MAX_RESOURCES = 100_000;
/** Keys of an account in plain_acl.yml. */
const ACCOUNT_KEYS = new Set([
  "accessKey",
  "secretKey",
  "whiteRemoteAddress",
  "admin",
  "defaultTopicPerm",
  "defaultGroupPerm",
  "topicPerms",
  "groupPerms",
]);

/** One account (PlainAccessResource.build): its secret, addresses let in unsigned, and permissions. */
export interface PlainAccount {
  readonly accessKey: string;
  readonly secretKey: string;
  /** Clients from these addresses pass without a signature or permission check. */
  readonly whiteRemoteAddress: RemoteAddressMatcher;
  /** Every request allowed, admin codes included. */
  readonly admin: boolean;
  /** Permission bits on topics not in `resources`; DENY when not configured. */
  readonly defaultTopicPerm: number;
  /** Permission bits on groups not in `resources`; DENY when not configured. */
  readonly defaultGroupPerm: number;
  /** topic → bits, and `%RETRY%<group>` → bits for groups. */
  readonly resources: ReadonlyMap<string, number>;
}

/** A parsed plain_acl.yml. */
export interface PlainAclConfig {
  /** Clients from these addresses pass every check. */
  readonly globalWhiteRemoteAddresses: readonly RemoteAddressMatcher[];
  /** By accessKey. */
  readonly accounts: ReadonlyMap<string, PlainAccount>;
}

/**
 * Reads RocketMQ's plain_acl.yml (YAML, or JSON when the name ends in .json):
 *
 * ```yaml
 * globalWhiteRemoteAddresses: ["10.10.103.*"]
 * accounts:
 *   - accessKey: RocketMQ
 *     secretKey: "12345678"
 *     whiteRemoteAddress: ""            # or 192.168.0.*, 192.168.1.{1,2}, ...
 *     admin: false
 *     defaultTopicPerm: DENY            # DENY | PUB | SUB | PUB|SUB; absent: DENY
 *     defaultGroupPerm: SUB
 *     topicPerms: ["topicA=DENY", "topicB=PUB|SUB"]
 *     groupPerms: ["groupA=DENY", "groupB=SUB"]
 * ```
 *
 * @throws BrokerError INVALID_CONFIG naming the file and what is wrong (never a secret's value).
 */
export async function loadPlainAclConfig(path: string): Promise<PlainAclConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new BrokerError(
      "INVALID_CONFIG",
      `aclEnable is true but the ACL file ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? "error"}`,
      { cause: error },
    );
  }
  let document: unknown;
  try {
    // failsafe: every scalar a string, so a secretKey such as 012345678 keeps its digits
    document = path.endsWith(".json") ? JSON.parse(text) : parseYaml(text, { schema: "failsafe" });
  } catch (error) {
    // the parser's message may quote the file, secrets included: give the position only
    const line = (error as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw new BrokerError(
      "INVALID_CONFIG",
      `${path} is not valid ${path.endsWith(".json") ? "JSON" : "YAML"}${line === undefined ? "" : ` (line ${line})`}`,
    );
  }
  return parsePlainAclConfig(document, path);
}

/** Validates a plain_acl document. @throws BrokerError INVALID_CONFIG (never quoting a secret). */
export function parsePlainAclConfig(document: unknown, source = "ACL config"): PlainAclConfig {
  const fail = (where: string, what: string) =>
    new BrokerError("INVALID_CONFIG", `${source}: ${where}: ${what}`);
  const root = objectOf(document);
  if (root === null) throw fail("(file)", "expected a map with accounts");
  const globals = listOf(root.globalWhiteRemoteAddresses, "globalWhiteRemoteAddresses", fail).map(
    (item, index) => {
      if (typeof item !== "string")
        throw fail(`globalWhiteRemoteAddresses[${index}]`, "expected an address pattern");
      return matcher(item, `globalWhiteRemoteAddresses[${index}]`, fail);
    },
  );
  const entries = listOf(root.accounts, "accounts", fail);
  if (entries.length > MAX_ACCOUNTS) throw fail("accounts", `more than ${MAX_ACCOUNTS} accounts`);
  const accounts = new Map<string, PlainAccount>();
  entries.forEach((entry, index) => {
    const account = parseAccount(entry, `accounts[${index}]`, fail);
    if (accounts.has(account.accessKey))
      throw fail(`accounts[${index}]`, `accessKey ${account.accessKey} appears twice`);
    accounts.set(account.accessKey, account);
  });
  return { globalWhiteRemoteAddresses: globals, accounts };
}

type Fail = (where: string, what: string) => BrokerError;

function parseAccount(value: unknown, where: string, fail: Fail): PlainAccount {
  const fields = objectOf(value);
  if (fields === null) throw fail(where, "expected a map");
  for (const key of Object.keys(fields))
    if (!ACCOUNT_KEYS.has(key))
      throw fail(where, `unknown key ${key} (expected ${[...ACCOUNT_KEYS].join(", ")})`);
  const accessKey = scalar(fields.accessKey);
  const secretKey = scalar(fields.secretKey);
  // PlainPermissionManager: both longer than 6 characters
  if (accessKey === null || accessKey.length <= 6)
    throw fail(where, "accessKey must be a string of more than 6 characters");
  if (secretKey === null || secretKey.length <= 6)
    throw fail(
      `${where} (accessKey ${accessKey})`,
      "secretKey must be a string of more than 6 characters",
    );
  const admin = booleanOf(fields.admin);
  if (admin === null) throw fail(where, "admin must be true or false");
  const resources = new Map<string, number>();
  for (const [key, isTopic] of [
    ["topicPerms", true],
    ["groupPerms", false],
  ] as const) {
    const list = listOf(fields[key], `${where}.${key}`, fail);
    if (list.length > MAX_RESOURCES)
      throw fail(`${where}.${key}`, `more than ${MAX_RESOURCES} entries`);
    list.forEach((item, index) => {
      const [name, bits] = resourcePerm(item, `${where}.${key}[${index}]`, fail);
      resources.set(isTopic ? name : retryTopicOf(name), bits);
    });
  }
  return {
    accessKey,
    secretKey,
    whiteRemoteAddress: matcher(
      scalar(fields.whiteRemoteAddress) ?? "",
      `${where}.whiteRemoteAddress`,
      fail,
    ),
    admin,
    defaultTopicPerm: defaultPerm(fields.defaultTopicPerm, `${where}.defaultTopicPerm`, fail),
    defaultGroupPerm: defaultPerm(fields.defaultGroupPerm, `${where}.defaultGroupPerm`, fail),
    resources,
  };
}

/** "name=PERM" (Permission.parseResourcePerms / checkResourcePerms). */
function resourcePerm(item: unknown, where: string, fail: Fail): [string, number] {
  const parts = typeof item === "string" ? item.split("=") : [];
  const bits = parts.length === 2 ? parsePermission(parts[1] as string) : null;
  const name = (parts[0] ?? "").trim();
  if (bits === null || name === "")
    throw fail(where, `expected <name>=<DENY|PUB|SUB|PUB|SUB>, got ${shown(item)}`);
  return [name, bits];
}

function defaultPerm(value: unknown, where: string, fail: Fail): number {
  if (value === undefined || value === null) return Permission.DENY;
  const bits = typeof value === "string" ? parsePermission(value) : null;
  if (bits === null) throw fail(where, `expected DENY, PUB, SUB or PUB|SUB, got ${shown(value)}`);
  return bits;
}

function matcher(pattern: string, where: string, fail: Fail): RemoteAddressMatcher {
  try {
    return remoteAddressMatcher(pattern);
  } catch (error) {
    throw fail(where, (error as Error).message);
  }
}

/** A string, or a JSON number as its digits (`"secretKey": 12345678`). */
function scalar(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return null;
}

/** A boolean, or its YAML text; absent is false; null for anything else. */
function booleanOf(value: unknown): boolean | null {
  if (value === undefined || value === null || value === "") return false;
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "false") return value === "true";
  return null;
}

function listOf(value: unknown, where: string, fail: Fail): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw fail(where, "expected a list");
  return value;
}

/** A value as JSON for an error message, cut at 100 characters. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? "undefined";
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

function objectOf(value: unknown): Record<string, unknown> | null {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}
