// gRPC SendMessage throughput and latency of GrpcProxy (over a MessageStore, ASYNC_FLUSH) at 1, 16
// and 64 concurrent producers, 1 KiB bodies, against a same-run baseline: a bare @grpc/grpc-js server
// with the same protos that answers every SendMessage with a fixed OK response. The load runs in a
// worker thread (bench/send-load.ts), so client and server each have a core. Each case runs ROUNDS
// times, alternating baseline and proxy, and the medians are reported (other processes share the
// machine's cores). `pnpm bench` (BENCH_QUICK=1: shorter runs).
import { Worker } from "node:worker_threads";
import type { sendUnaryData, ServerUnaryCall } from "@grpc/grpc-js";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import type { BenchRow } from "@store/bench-kit";
import { makeBenchDir, percentile, quickMode, removeBenchDir, report } from "@store/bench-kit";
import { MessageStore } from "@store/commitlog";
import { GrpcProxy, MessageStoreBroker, messagingServiceDefinition } from "@store/proxy";
import { pino } from "pino";

const CONCURRENCY = [1, 16, 64];
const DURATION_MS = quickMode() ? 1000 : 3000;
const ROUNDS = quickMode() ? 1 : 3;
const BODY_BYTES = 1024;
/** The target: gRPC SEND at 64 producers reaches this share of the bare server. */
const TARGET_RATIO = 0.6;
const logger = pino({ level: "silent" });

interface LoadResult {
  readonly sent: number;
  readonly failed: number;
  readonly latenciesMs: number[];
}

const worker = new Worker(new URL("./send-load.js", import.meta.url));

function load(endpoints: string, concurrency: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    worker.once("error", onError);
    worker.once("message", (result: LoadResult) => {
      worker.off("error", onError);
      resolve(result);
    });
    worker.postMessage({ endpoints, concurrency, durationMs: DURATION_MS, bodyBytes: BODY_BYTES });
  });
}

function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

/** The baseline: every SendMessage answered with the same OK response, nothing stored. */
async function startBareServer(): Promise<{ endpoints: string; stop: () => Promise<void> }> {
  const server = new Server({ "grpc.max_receive_message_length": 5 * 1024 * 1024 });
  const fixed = {
    status: { code: "OK", message: "OK" },
    entries: [
      {
        status: { code: "OK", message: "OK" },
        message_id: "01BENCH",
        transaction_id: "",
        offset: 0,
      },
    ],
  };
  server.addService(messagingServiceDefinition(), {
    SendMessage: (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) =>
      callback(null, fixed),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return {
    endpoints: `127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}

async function startProxy(dir: string): Promise<{ endpoints: string; stop: () => Promise<void> }> {
  const store = await MessageStore.open(
    {
      storePathRootDir: dir,
      mappedFileSizeCommitLog: 128 * 1024 * 1024,
      cleanResourceInterval: 3_600_000,
    },
    { logger },
  );
  const broker = await MessageStoreBroker.open({
    messageStore: store,
    logger,
    topics: { BenchTopic: 8 },
  });
  const proxy = new GrpcProxy({ broker, grpcPort: 0, host: "127.0.0.1", logger });
  const port = await proxy.start();
  return {
    endpoints: `127.0.0.1:${port}`,
    stop: async () => {
      await proxy.shutdown();
      await broker.shutdown();
      await store.shutdown();
    },
  };
}

/** The median round of `results` (by throughput) as a row. */
function row(server: string, concurrency: number, results: readonly LoadResult[]): BenchRow {
  const perSec = results.map((result) => result.sent / (DURATION_MS / 1000));
  const middle = results[perSec.indexOf(median(perSec))] as LoadResult;
  return {
    server,
    producers: concurrency,
    msgsPerSec: median(perSec),
    p50Ms: percentile(middle.latenciesMs, 0.5),
    p99Ms: percentile(middle.latenciesMs, 0.99),
    failed: results.reduce((sum, result) => sum + result.failed, 0),
  };
}

async function main(): Promise<void> {
  const dir = await makeBenchDir("proxy-bench-");
  const rows: BenchRow[] = [];
  try {
    const bare = await startBareServer();
    const proxy = await startProxy(dir);
    await load(proxy.endpoints, 4); // warm-up: JIT, channels, the store's first segment
    for (const concurrency of CONCURRENCY) {
      const bareRuns: LoadResult[] = [];
      const proxyRuns: LoadResult[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        bareRuns.push(await load(bare.endpoints, concurrency));
        proxyRuns.push(await load(proxy.endpoints, concurrency));
      }
      const ratios = bareRuns.map(
        (b, i) => (proxyRuns[i] as LoadResult).sent / Math.max(1, b.sent),
      );
      const baseline = row("bare grpc-js (fixed answer)", concurrency, bareRuns);
      rows.push(baseline, {
        ...row("GrpcProxy + MessageStore", concurrency, proxyRuns),
        ratio: median(ratios),
      });
    }
    await proxy.stop();
    await bare.stop();
  } finally {
    await worker.terminate();
    await removeBenchDir(dir);
  }
  const at64 = rows.find((r) => r.producers === 64 && r.ratio !== undefined);
  report("gRPC SendMessage, 1 KiB", rows, {
    durationMs: DURATION_MS,
    rounds: ROUNDS,
    targetRatioAt64: TARGET_RATIO,
    ratioAt64: at64?.ratio,
  });
}

await main();
