// SEND_MESSAGE_V2 over loopback from our load generator (1, 16, 64, 256 producers, one request
// outstanding each; one connection per producer up to 64, then shared) with 100 B, 1 KiB and 4 KiB
// bodies, against servers in child processes: the baselines (a) a minimal node:net server answering
// a fixed SEND response and (b) the same appending each turn's bodies with one write + fdatasync; our
// RemotingServer with a trivial processor; RemotingServer + MessageStore.putMessage per flush
// strategy; and the BrokerController (ASYNC_FLUSH, SYNC_FLUSH). msgs/s, MB/s of bodies, latency percentiles, server CPU per message, peak RSS, and ratios
// to (a) and (b) measured in the same run.
// `pnpm bench` (BENCH_QUICK=1: 1 KiB, 16 and 64 producers, short windows; BENCH_ONLY=body=1024,
// producers=64,server=store-sync: only those cases; BENCH_PROFILE=1: a V8 CPU profile of each
// measurement window of the store and broker servers, in a directory under $BENCH_DIR or the OS temp
// dir, summarised by dist-bench/profile-summary.js).
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { makeBenchDir, quickMode, removeBenchDir, report } from "@store/bench-kit";
import type { BenchRow } from "@store/bench-kit";
import { LoadGenerator } from "./load-generator.js";
import type { MarkReply } from "./server-host.js";

interface ServerKind {
  /** Row label. */
  readonly name: string;
  /** Module in bench/servers/. */
  readonly module: string;
  readonly variant?: string;
  /** Profiled under BENCH_PROFILE=1. */
  readonly profiled?: boolean;
}

const BASELINE_NET = "(a) node:net";
const BASELINE_FSYNC = "(b) node:net+fdatasync";
const SERVERS: readonly ServerKind[] = [
  { name: BASELINE_NET, module: "net-baseline" },
  { name: BASELINE_FSYNC, module: "net-fdatasync" },
  { name: "remoting-trivial", module: "remoting-trivial", profiled: true },
  { name: "store-async", module: "remoting-store", variant: "ASYNC_FLUSH", profiled: true },
  {
    name: "store-async-pool",
    module: "remoting-store",
    variant: "ASYNC_FLUSH+pool",
    profiled: true,
  },
  { name: "store-sync", module: "remoting-store", variant: "SYNC_FLUSH", profiled: true },
  { name: "broker-async", module: "broker-controller", variant: "ASYNC_FLUSH", profiled: true },
  { name: "broker-sync", module: "broker-controller", variant: "SYNC_FLUSH", profiled: true },
];

const QUICK = quickMode();
const BODIES = QUICK ? [1024] : [100, 1024, 4096];
const PRODUCERS = QUICK ? [16, 64] : [1, 16, 64, 256];
const MAX_CONNECTIONS = 64;
const WARMUP_MS = QUICK ? 300 : 700;
const WINDOW_MS = QUICK ? 700 : 2_500;

/** BENCH_ONLY=key=value,...: keep the cases whose body, producers and server match. */
function only(): { body?: string; producers?: string; server?: string } {
  const spec = process.env.BENCH_ONLY ?? "";
  return Object.fromEntries(
    spec
      .split(",")
      .filter((part) => part.includes("="))
      .map((part) => part.split("=", 2) as [string, string]),
  );
}

/** A server under test in its own process. */
class ServerProcess {
  readonly kind: ServerKind;
  readonly port: number;
  readonly #child: ChildProcess;
  readonly #dir: string;

  private constructor(kind: ServerKind, child: ChildProcess, port: number, dir: string) {
    this.kind = kind;
    this.#child = child;
    this.port = port;
    this.#dir = dir;
  }

  static async start(kind: ServerKind, profileDir: string | null): Promise<ServerProcess> {
    const dir = await makeBenchDir("remoting-bench-");
    const profile =
      profileDir !== null && kind.profiled === true ? { profileDir, label: kind.name } : {};
    const host = fileURLToPath(new URL("./server-host.js", import.meta.url));
    const child = fork(
      host,
      [kind.module, JSON.stringify({ dir, variant: kind.variant, ...profile })],
      { stdio: ["ignore", "inherit", "inherit", "ipc"] },
    );
    const port = await new Promise<number>((resolve, reject) => {
      child.once("message", (message: { type: string; port: number }) => resolve(message.port));
      child.once("exit", (code) =>
        reject(new Error(`${kind.name} exited with ${code} before it was ready`)),
      );
    });
    return new ServerProcess(kind, child, port, dir);
  }

  mark(): Promise<MarkReply> {
    return new Promise((resolve) => {
      this.#child.once("message", (message: MarkReply) => resolve(message));
      this.#child.send({ type: "mark" });
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once("exit", resolve));
    this.#child.send({ type: "stop" });
    await exited;
    await removeBenchDir(this.#dir);
  }
}

async function runCase(
  server: ServerProcess,
  bodySize: number,
  producers: number,
): Promise<BenchRow> {
  const connections = Math.min(producers, MAX_CONNECTIONS);
  const load = await LoadGenerator.start({ port: server.port, producers, connections, bodySize });
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  const before = await server.mark();
  const generatorCpu = process.cpuUsage();
  const window = await load.measure(WINDOW_MS);
  const after = await server.mark();
  const generatorCpuUs = process.cpuUsage(generatorCpu);
  await load.stop();
  const latencies = window.latenciesMs.sort();
  const percentile = (p: number) =>
    latencies[Math.max(0, Math.ceil(p * latencies.length) - 1)] ?? Number.NaN;
  const serverCpuUs = after.cpuUs - before.cpuUs;
  return {
    server: server.kind.name,
    body: bodySize,
    producers,
    connections,
    msgsPerSec: window.messages / window.seconds,
    MBps: (window.messages * bodySize) / 1e6 / window.seconds,
    p50Ms: percentile(0.5),
    p99Ms: percentile(0.99),
    p999Ms: percentile(0.999),
    serverCpuUsPerMsg: serverCpuUs / Math.max(1, window.messages),
    serverCpuPct: (serverCpuUs / 1e6 / window.seconds) * 100,
    generatorCpuPct: ((generatorCpuUs.user + generatorCpuUs.system) / 1e6 / window.seconds) * 100,
    peakRssMiB: after.peakRssKiB / 1024,
    errors: window.errors,
  };
}

/** Adds each row's throughput as a share of (a) and (b) in the same body and producer count. */
function withRatios(rows: readonly BenchRow[]): BenchRow[] {
  const rate = (name: string, row: BenchRow) =>
    rows.find(
      (other) =>
        other.server === name && other.body === row.body && other.producers === row.producers,
    )?.msgsPerSec;
  return rows.map((row) => {
    const a = rate(BASELINE_NET, row);
    const b = rate(BASELINE_FSYNC, row);
    const own = row.msgsPerSec as number;
    return {
      ...row,
      vsA: a === undefined ? "" : own / (a as number),
      vsB: b === undefined ? "" : own / (b as number),
    };
  });
}

/** The targets (1 KiB): ASYNC_FLUSH ≥ 0.5 of (a) at 64 producers; SYNC_FLUSH ≥ 0.6 of (b) at 64 and 256. */
function targetRows(rows: readonly BenchRow[]): BenchRow[] {
  const find = (server: string, producers: number) =>
    rows.find((row) => row.server === server && row.body === 1024 && row.producers === producers);
  const targets: [string, number, "vsA" | "vsB", number][] = [
    ["store-async", 64, "vsA", 0.5],
    ["store-async-pool", 64, "vsA", 0.5],
    ["store-sync", 64, "vsB", 0.6],
    ["store-sync", 256, "vsB", 0.6],
    ["broker-async", 64, "vsA", 0.5],
    ["broker-sync", 64, "vsB", 0.6],
    ["broker-sync", 256, "vsB", 0.6],
  ];
  return targets.flatMap(([server, producers, against, target]) => {
    const row = find(server, producers);
    if (row === undefined || row[against] === "") return [];
    const ratio = row[against] as number;
    return [
      {
        case: `${server} 1 KiB, ${producers} producers`,
        against: against === "vsA" ? BASELINE_NET : BASELINE_FSYNC,
        ratio,
        target,
        met: ratio >= target ? "yes" : "NO",
      },
    ];
  });
}

async function main(): Promise<void> {
  const filter = only();
  const profileDir =
    process.env.BENCH_PROFILE === "1" ? await makeBenchDir("remoting-profile-") : null;
  const kinds = SERVERS.filter(
    (kind) =>
      filter.server === undefined ||
      [BASELINE_NET, BASELINE_FSYNC, filter.server].includes(kind.name),
  );
  const rows: BenchRow[] = [];
  const loadBefore = loadavg()[0];
  for (const body of BODIES.filter(
    (size) => filter.body === undefined || String(size) === filter.body,
  )) {
    const servers: ServerProcess[] = [];
    for (const kind of kinds) servers.push(await ServerProcess.start(kind, profileDir));
    try {
      // Every server in turn at each load, so a noisy neighbour colours all of them alike.
      for (const producers of PRODUCERS.filter(
        (count) => filter.producers === undefined || String(count) === filter.producers,
      )) {
        for (const server of servers) rows.push(await runCase(server, body, producers));
      }
    } finally {
      for (const server of servers) await server.stop();
    }
  }
  const extra = {
    quick: QUICK,
    windowMs: WINDOW_MS,
    loadAverage1m: [loadBefore, loadavg()[0]],
    profileDir,
  };
  const measured = withRatios(rows);
  report("remoting SEND_MESSAGE_V2 over loopback", measured, extra);
  report("remoting targets (1 KiB)", targetRows(measured));
}

await main();
