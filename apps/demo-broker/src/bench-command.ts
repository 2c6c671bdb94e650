import { randomBytes } from "node:crypto";
import { z } from "zod";
import { ConfigError } from "./config-error.js";
import type { LoadOutcome } from "./load-generator.js";
import { percentile, runLoad } from "./load-generator.js";
import type { VerifyReport } from "./load-verifier.js";
import { queueMaxOffsets, verifyLoad } from "./load-verifier.js";
import { queryTopicRoute, splitAddress } from "./wire-client.js";

export const BENCH_USAGE =
  "usage: demo-broker bench [--namesrvAddr=host:port | --brokerAddr=host:port] [--topic=BenchTopic] [--messages=100000]\n" +
  "                         [--size=1024] [--producers=64] [--queues=4] [--timeoutMs=10000] [--verify] [--json]";

const address = z.string().refine((text) => {
  try {
    splitAddress(text);
    return true;
  } catch {
    return false;
  }
}, "expected host:port");

/** The sub-command's options (RocketMQ-style names; sizes in bytes, times in ms). */
export const benchOptionsSchema = z
  .object({
    namesrvAddr: address
      .default("127.0.0.1:9876")
      .describe("name server to find the topic's broker (its route, else TBW102's)"),
    brokerAddr: address.optional().describe("send to this broker directly (skips the name server)"),
    topic: z
      .string()
      .regex(/^[%|a-zA-Z0-9_-]{1,127}$/, "expected a topic name ([%|a-zA-Z0-9_-], at most 127)")
      .default("BenchTopic")
      .describe("topic to send to (created on first send)"),
    messages: z
      .number()
      .int()
      .min(1)
      .max(100_000_000)
      .default(100_000)
      .describe("messages to send"),
    size: z
      .number()
      .int()
      .min(64)
      .max(4 * 1024 * 1024)
      .default(1024)
      .describe("body size, bytes"),
    producers: z
      .number()
      .int()
      .min(1)
      .max(4096)
      .default(64)
      .describe("concurrent producers, one connection and one send in flight each"),
    queues: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .default(4)
      .describe("queues to spread over, at most the topic's write queues"),
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(10_000)
      .describe("a send not answered within this counts failed, ms"),
    verify: z
      .boolean()
      .default(false)
      .describe("then read every queue back (PULL) and check each acknowledged message"),
    json: z.boolean().default(false).describe("print the result as one JSON object"),
  })
  .strict();

export type BenchOptions = z.output<typeof benchOptionsSchema>;

/** What one `demo-broker bench` run measured (the `--json` output). */
export interface BenchResult {
  readonly brokerAddr: string;
  readonly topic: string;
  readonly queues: number;
  readonly messages: number;
  readonly size: number;
  readonly producers: number;
  readonly acknowledged: number;
  readonly failed: number;
  readonly firstFailure: string | null;
  readonly elapsedMs: number;
  readonly messagesPerSecond: number;
  /** Acknowledged body bytes per second / 10^6. */
  readonly megabytesPerSecond: number;
  readonly latencyMs: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly p999: number;
    readonly max: number;
  };
  readonly verify:
    | (Omit<VerifyReport, "missing" | "misplaced" | "duplicated" | "corrupt"> & {
        readonly missing: number;
        readonly misplaced: number;
        readonly duplicated: number;
        readonly corrupt: number;
      })
    | null;
}

/** Parses `--key=value` / `--flag` arguments. @throws ConfigError naming the bad option and the expected form. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions | "help" {
  const values: Record<string, unknown> = {};
  const shape = benchOptionsSchema.shape as Record<string, z.ZodType>;
  for (const arg of argv) {
    if (arg === "--help" || arg === "-h") return "help";
    if (arg === "--") continue;
    const match = /^--([A-Za-z]+)(?:=(.*))?$/.exec(arg);
    if (match === null)
      throw new ConfigError(`bench: unexpected argument "${arg}"\n${BENCH_USAGE}`);
    const [, key, text] = match as unknown as [string, string, string | undefined];
    if (!(key in shape)) throw new ConfigError(`bench: unknown option --${key}\n${BENCH_USAGE}`);
    const isFlag = key === "verify" || key === "json";
    values[key] =
      text === undefined
        ? isFlag
          ? true
          : ""
        : isFlag
          ? text === "true"
          : /^-?\d+$/.test(text)
            ? Number(text)
            : text;
  }
  const parsed = benchOptionsSchema.safeParse(values);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) =>
        `bench: --${issue.path.join(".")}=${String(values[String(issue.path[0])])} is invalid: ${issue.message}`,
    );
    throw new ConfigError(`${problems.join("\n")}\n${BENCH_USAGE}`);
  }
  return parsed.data;
}

/** `demo-broker bench --help`. */
export function renderBenchHelp(): string {
  const lines = [
    BENCH_USAGE,
    "",
    "Sends over RocketMQ 4.x remoting (SEND_MESSAGE_V2) to any 4.x broker; --verify reads everything back.",
    "",
  ];
  const defaults = benchOptionsSchema.parse({}) as Record<string, unknown>;
  for (const [key, schema] of Object.entries(
    benchOptionsSchema.shape as Record<string, z.ZodType>,
  )) {
    const value = defaults[key];
    lines.push(
      `  --${key.padEnd(12)} ${(value === undefined ? "none" : JSON.stringify(value)).padEnd(15)} ${schema.description ?? ""}`,
    );
  }
  return lines.join("\n");
}

/** Where to send: the broker address and the queue count. */
async function resolveTarget(
  options: BenchOptions,
): Promise<{ brokerAddr: string; queues: number }> {
  if (options.brokerAddr !== undefined)
    return { brokerAddr: options.brokerAddr, queues: options.queues };
  const route =
    (await queryTopicRoute(options.namesrvAddr, options.topic)) ??
    (await queryTopicRoute(options.namesrvAddr, "TBW102"));
  if (route === null)
    throw new ConfigError(
      `bench: the name server ${options.namesrvAddr} knows no broker for ${options.topic} (nor TBW102); use --brokerAddr`,
    );
  return {
    brokerAddr: route.brokerAddr,
    queues: Math.max(1, Math.min(options.queues, route.writeQueueNums)),
  };
}

/** A one-line progress bar, rewritten in place. */
function progressBar(done: number, total: number, startedAt: number): string {
  const width = 30;
  const filled = Math.round((done / total) * width);
  const rate = done / Math.max(0.001, (performance.now() - startedAt) / 1000);
  return `\r[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${((done / total) * 100).toFixed(0).padStart(3)}% ${done}/${total} ${Math.round(rate)} msg/s`;
}

/**
 * Runs the load (and the verification), reporting progress on `progress` (a TTY) while it runs.
 * @throws ConfigError when no broker can be found; the transport's errors when it cannot be reached.
 */
export async function runBench(
  options: BenchOptions,
  progress?: (line: string) => void,
): Promise<BenchResult> {
  const { brokerAddr, queues } = await resolveTarget(options);
  const runId = randomBytes(4).toString("hex");
  const startOffsets = options.verify
    ? await queueMaxOffsets(brokerAddr, options.topic, queues)
    : undefined;
  const startedAt = performance.now();
  let lastDrawn = 0;
  const outcome = await runLoad({
    brokerAddr,
    topic: options.topic,
    queues,
    messages: options.messages,
    size: options.size,
    producers: options.producers,
    runId,
    sendTimeoutMs: options.timeoutMs,
    onProgress:
      progress === undefined
        ? undefined
        : (done) => {
            const now = performance.now();
            if (now - lastDrawn < 100 && done < options.messages) return;
            lastDrawn = now;
            progress(progressBar(done, options.messages, startedAt));
          },
  });
  progress?.("\n");
  const report = options.verify
    ? await verifyLoad({
        brokerAddr,
        topic: options.topic,
        queues,
        runId,
        size: options.size,
        acked: outcome.acked,
        startOffsets,
      })
    : null;
  return resultOf(options, brokerAddr, queues, outcome, report);
}

function resultOf(
  options: BenchOptions,
  brokerAddr: string,
  queues: number,
  outcome: LoadOutcome,
  report: VerifyReport | null,
): BenchResult {
  const seconds = outcome.elapsedMs / 1000;
  const round = (value: number) => Math.round(value * 1000) / 1000;
  const latency = outcome.latenciesMs;
  return {
    brokerAddr,
    topic: options.topic,
    queues,
    messages: options.messages,
    size: options.size,
    producers: options.producers,
    acknowledged: outcome.acked.length,
    failed: outcome.failed.length,
    firstFailure: outcome.failed[0]?.reason ?? null,
    elapsedMs: Math.round(outcome.elapsedMs),
    messagesPerSecond: Math.round(outcome.acked.length / seconds),
    megabytesPerSecond: round((outcome.acked.length * options.size) / seconds / 1e6),
    latencyMs: {
      p50: round(percentile(latency, 50)),
      p90: round(percentile(latency, 90)),
      p99: round(percentile(latency, 99)),
      p999: round(percentile(latency, 99.9)),
      max: round(percentile(latency, 100)),
    },
    verify:
      report === null
        ? null
        : {
            ...report,
            missing: report.missing.length,
            misplaced: report.misplaced.length,
            duplicated: report.duplicated.length,
            corrupt: report.corrupt.length,
          },
  };
}

/** The result as a short text block. */
export function renderBenchResult(result: BenchResult): string {
  const l = result.latencyMs;
  const lines = [
    `sent ${result.messages} x ${result.size} B to ${result.topic} (${result.queues} queues) at ${result.brokerAddr} from ${result.producers} producers`,
    `  acknowledged ${result.acknowledged}, failed ${result.failed}${result.firstFailure === null ? "" : ` (first: ${result.firstFailure})`}`,
    `  ${result.messagesPerSecond} msgs/s, ${result.megabytesPerSecond} MB/s in ${(result.elapsedMs / 1000).toFixed(2)} s`,
    `  latency ms: p50 ${l.p50}  p90 ${l.p90}  p99 ${l.p99}  p99.9 ${l.p999}  max ${l.max}`,
  ];
  const v = result.verify;
  if (v !== null) {
    const verdict = v.ok
      ? "OK: every acknowledged message read back once, intact, at its offset"
      : "FAILED";
    lines.push(
      `  verify ${verdict}; read ${v.found}, missing ${v.missing}, misplaced ${v.misplaced}, duplicated ${v.duplicated}, corrupt ${v.corrupt}, stored but not acknowledged ${v.unacknowledgedStored}`,
    );
  }
  return lines.join("\n");
}

/** Exit code of a run: 0 when everything was acknowledged (and verified, if asked). */
export function benchExitCode(result: BenchResult): number {
  return result.failed === 0 && (result.verify === null || result.verify.ok) ? 0 : 1;
}
