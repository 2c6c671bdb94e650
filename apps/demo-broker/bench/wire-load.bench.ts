// `demo-broker bench`'s load generator (64 producers over the wire, 1 KiB, SEND_MESSAGE_V2) against
// the demo-broker bin under each strategy, beside the same-run baseline: a RemotingServer that answers
// every send at once and stores nothing (trivial-send-server.ts). Each server is its own process;
// cases are interleaved over the rounds and the median reported. `pnpm bench` (BENCH_QUICK=1: fewer).
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import type { BenchRow } from "@store/bench-kit";
import { makeBenchDir, percentile, quickMode, removeBenchDir, report } from "@store/bench-kit";
import { percentile as latencyPercentile, runLoad } from "../dist/load-generator.js";

const MESSAGES = quickMode() ? 10_000 : 40_000;
const ROUNDS = quickMode() ? 1 : 3;
const SIZE = 1024;
const PRODUCERS = 64;
const BIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const TRIVIAL = fileURLToPath(new URL("./trivial-send-server.js", import.meta.url));

interface Server {
  readonly child: ChildProcess;
  readonly port: number;
}

/** Starts `args` under node and resolves the port from its first JSON line carrying one. */
function startServer(args: string[], cwd: string): Promise<Server> {
  const child = spawn(process.execPath, args, { cwd, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let pending = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      pending += chunk.toString();
      for (const line of pending.split("\n").slice(0, -1)) {
        const parsed = JSON.parse(line) as {
          port?: number;
          event?: string;
          ports?: { listen: number };
        };
        if (parsed.port !== undefined) resolve({ child, port: parsed.port });
        if (parsed.event === "ready" && parsed.ports !== undefined)
          resolve({ child, port: parsed.ports.listen });
      }
      pending = pending.slice(pending.lastIndexOf("\n") + 1);
    });
    child.once("exit", (code) => reject(new Error(`server exited (${code}) before it was ready`)));
  });
}

async function stop(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.child.once("exit", resolve));
  server.child.kill("SIGTERM");
  await exited;
}

const cases: { name: string; args: (dir: string) => string[] }[] = [
  { name: "baseline: answers without storing", args: () => [TRIVIAL] },
  {
    name: "demo-broker ASYNC_FLUSH",
    args: (dir) => [BIN, `--storePathRootDir=${dir}`, "--flushDiskType=ASYNC_FLUSH"],
  },
  {
    name: "demo-broker ASYNC_FLUSH + pool",
    args: (dir) => [
      BIN,
      `--storePathRootDir=${dir}`,
      "--transientStorePoolEnable=true",
      "--transientStorePoolSize=2",
    ],
  },
  {
    name: "demo-broker SYNC_FLUSH",
    args: (dir) => [BIN, `--storePathRootDir=${dir}`, "--flushDiskType=SYNC_FLUSH"],
  },
];
const ports = [
  "--listenPort=0",
  "--namesrvPort=0",
  "--grpcPort=0",
  "--httpPort=0",
  "--enableGrpc=false",
];

const results = new Map<string, { rate: number; p50: number; p99: number; failed: number }[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const c of cases) {
    const dir = await makeBenchDir("wire-load-");
    const server = await startServer(
      [...c.args(dir), ...(c.args(dir)[0] === BIN ? ports : [])],
      dir,
    );
    try {
      const warm = {
        brokerAddr: `127.0.0.1:${server.port}`,
        topic: "BenchTopic",
        queues: 4,
        size: SIZE,
        producers: PRODUCERS,
        runId: `w${round}`,
      };
      await runLoad({ ...warm, messages: 2000 });
      const outcome = await runLoad({ ...warm, messages: MESSAGES, runId: `r${round}` });
      const rows = results.get(c.name) ?? [];
      rows.push({
        rate: outcome.acked.length / (outcome.elapsedMs / 1000),
        p50: latencyPercentile(outcome.latenciesMs, 50),
        p99: latencyPercentile(outcome.latenciesMs, 99),
        failed: outcome.failed.length,
      });
      results.set(c.name, rows);
    } finally {
      await stop(server);
      await removeBenchDir(dir);
    }
  }
}

const median = (values: number[]) => percentile(values, 0.5);
const baseline = median((results.get(cases[0]!.name) ?? []).map((r) => r.rate));
const rows: BenchRow[] = cases.map((c) => {
  const runs = results.get(c.name) ?? [];
  const rate = median(runs.map((r) => r.rate));
  return {
    case: c.name,
    "msgs/s": Math.round(rate),
    "MB/s": (rate * SIZE) / 1e6,
    "p50 ms": median(runs.map((r) => r.p50)),
    "p99 ms": median(runs.map((r) => r.p99)),
    failed: runs.reduce((sum, r) => sum + r.failed, 0),
    "vs baseline": rate / baseline,
  };
});
report(`demo-broker bench load, ${PRODUCERS} producers x ${SIZE} B (median of ${ROUNDS})`, rows, {
  messages: MESSAGES,
  rounds: ROUNDS,
  loadavg: loadavg()
    .map((l) => l.toFixed(2))
    .join(" "),
});
