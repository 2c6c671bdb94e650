import { StoreError } from "@store/mapped-file";
import { z } from "zod";
import type { FlushServicesErrorCode } from "./types.js";

/** The longest delay a Node timer takes (2^31 - 1 ms); larger ones fire after 1 ms. */
export const TIMER_DELAY_MAX_MS = 2_147_483_647;

/** Upper bound for page counts: a 1 GiB file has 262 144 pages. */
const PAGES_MAX = 1 << 30;

const forms: Record<string, string> = {};

function integer(key: string, min: number, max: number, unit: string, fallback: number) {
  forms[key] = `an integer number of ${unit} in [${min}, ${max}]`;
  return z.number().int().min(min).max(max).default(fallback);
}

function flag(key: string, fallback: boolean) {
  forms[key] = "true or false";
  return z.boolean().default(fallback);
}

forms.flushDiskType = `"SYNC_FLUSH" or "ASYNC_FLUSH"`;

/**
 * The flush settings, with RocketMQ's property names (so a broker config file carries over) and its
 * defaults. Keys added here carry their unit in the name. Unknown keys are ignored, so a whole broker
 * config can be passed; compose this schema into a strict one to reject typos.
 */
export const flushConfigSchema = z.object({
  /** SYNC_FLUSH: acknowledge after fdatasync (group commit). ASYNC_FLUSH: acknowledge after the write. */
  flushDiskType: z.enum(["SYNC_FLUSH", "ASYNC_FLUSH"]).default("ASYNC_FLUSH"),
  /** ASYNC_FLUSH: pause between flush rounds, ms. */
  flushIntervalCommitLog: integer("flushIntervalCommitLog", 1, TIMER_DELAY_MAX_MS, "ms", 500),
  /** ASYNC_FLUSH: true sleeps between rounds (wakeups ignored); false waits and wakes on puts. */
  flushCommitLogTimed: flag("flushCommitLogTimed", true),
  /** ASYNC_FLUSH: dirty 4 KiB pages needed before a round flushes. */
  flushCommitLogLeastPages: integer("flushCommitLogLeastPages", 0, PAGES_MAX, "4 KiB pages", 4),
  /** ASYNC_FLUSH: a round flushes everything once this long passed since the last full flush, ms. */
  flushCommitLogThoroughInterval: integer(
    "flushCommitLogThoroughInterval",
    0,
    TIMER_DELAY_MAX_MS,
    "ms",
    10_000,
  ),
  /** Pool: wait between commit rounds, ms (a put wakes it early). */
  commitIntervalCommitLog: integer("commitIntervalCommitLog", 1, TIMER_DELAY_MAX_MS, "ms", 200),
  /** Pool: pending 4 KiB pages needed before a round commits. */
  commitCommitLogLeastPages: integer("commitCommitLogLeastPages", 0, PAGES_MAX, "4 KiB pages", 4),
  /** Pool: a round commits everything once this long passed without a commit, ms. */
  commitCommitLogThoroughInterval: integer(
    "commitCommitLogThoroughInterval",
    0,
    TIMER_DELAY_MAX_MS,
    "ms",
    200,
  ),
  /** SYNC_FLUSH: how long a put waits for its fdatasync before FLUSH_DISK_TIMEOUT, ms. */
  syncFlushTimeout: integer("syncFlushTimeout", 1, TIMER_DELAY_MAX_MS, "ms", 5000),
  /** Appends go to pooled in-process buffers and reach the file on commit. */
  transientStorePoolEnable: flag("transientStorePoolEnable", false),
  /** SYNC_FLUSH: longest idle wait of the group commit between rounds, ms (RocketMQ's fixed 10). */
  groupCommitIntervalMs: integer("groupCommitIntervalMs", 1, TIMER_DELAY_MAX_MS, "ms", 10),
  /** How long `shutdown()` waits for each service's loop, ms (RocketMQ: 300 000 for flush, 90 000 for commit). */
  serviceJoinTimeMs: integer("serviceJoinTimeMs", 0, TIMER_DELAY_MAX_MS, "ms", 300_000),
});

/** What `FlushManager` accepts: every key optional. */
export type FlushConfigInput = z.input<typeof flushConfigSchema>;
/** The validated config, defaults filled in. */
export type FlushConfig = z.output<typeof flushConfigSchema>;

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (
    typeof value === "number" ||
    typeof value === "boolean" ||
    value === null ||
    value === undefined
  )
    return String(value);
  return typeof value;
}

/**
 * Validates `input` and fills in the defaults.
 * @throws StoreError INVALID_CONFIG naming every bad key, its expected form and the value given.
 */
export function parseFlushConfig(input: unknown = {}): FlushConfig {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new StoreError<FlushServicesErrorCode>(
      "INVALID_CONFIG",
      `flush config must be an object, got ${show(input)}`,
    );
  }
  const result = flushConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const given = input as Record<string, unknown>;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.map(String).join(".");
    const form = forms[key];
    return form === undefined
      ? `${key}: ${issue.message}`
      : `${key} must be ${form}, got ${show(given[key])}`;
  });
  throw new StoreError<FlushServicesErrorCode>(
    "INVALID_CONFIG",
    `invalid flush config: ${problems.join("; ")}`,
    {
      cause: result.error,
    },
  );
}
