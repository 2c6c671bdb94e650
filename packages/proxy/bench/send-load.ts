// The load generator of send.bench.ts, a worker thread (client and server each have a core) kept for
// the whole run (its code is warm for every case). For each LoadRequest it gets: `concurrency`
// producers, each with its own channel, each sending one SendMessage after another for `durationMs`;
// it posts { sent, failed, latenciesMs } back.
import { parentPort } from "node:worker_threads";
import type { ServiceClientConstructor } from "@grpc/grpc-js";
import { credentials, loadPackageDefinition, Metadata } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { PROTO_ROOT } from "@store/proxy";

interface LoadRequest {
  readonly endpoints: string;
  readonly concurrency: number;
  readonly durationMs: number;
  readonly bodyBytes: number;
}

type SendFn = (
  request: object,
  metadata: Metadata,
  callback: (error: Error | null, response: { status?: { code?: string } }) => void,
) => void;

const definition = loadSync("apache/rocketmq/v2/service.proto", {
  includeDirs: [PROTO_ROOT],
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
});
const v2 = (
  loadPackageDefinition(definition).apache as Record<
    string,
    Record<string, Record<string, unknown>>
  >
).rocketmq!.v2!;
const Service = v2.MessagingService as ServiceClientConstructor;

async function producer(
  request: LoadRequest,
  index: number,
  deadline: number,
  latencies: number[],
): Promise<{ sent: number; failed: number }> {
  const client = new Service(request.endpoints, credentials.createInsecure(), {
    "grpc.use_local_subchannel_pool": 1,
  });
  const send = (client as unknown as { SendMessage: SendFn }).SendMessage.bind(client);
  const metadata = new Metadata();
  metadata.set("x-mq-client-id", `bench@${process.pid}@${index}`);
  const body = Buffer.alloc(request.bodyBytes, 0x61);
  let sent = 0;
  let failed = 0;
  while (Date.now() < deadline) {
    const message = {
      topic: { name: "BenchTopic" },
      body,
      system_properties: {
        message_id: `01BENCH${index.toString(16).padStart(4, "0")}${sent.toString(16).padStart(20, "0")}`,
        message_type: "NORMAL",
        tag: "T",
      },
    };
    const start = performance.now();
    const ok = await new Promise<boolean>((resolve) =>
      send({ messages: [message] }, metadata, (error, response) =>
        resolve(!error && response.status?.code === "OK"),
      ),
    );
    latencies.push(performance.now() - start);
    if (ok) sent++;
    else failed++;
  }
  client.close();
  return { sent, failed };
}

async function run(request: LoadRequest): Promise<void> {
  const latenciesMs: number[] = [];
  const deadline = Date.now() + request.durationMs;
  const results = await Promise.all(
    Array.from({ length: request.concurrency }, (_, i) =>
      producer(request, i, deadline, latenciesMs),
    ),
  );
  parentPort!.postMessage({
    sent: results.reduce((sum, r) => sum + r.sent, 0),
    failed: results.reduce((sum, r) => sum + r.failed, 0),
    latenciesMs,
  });
}

parentPort!.on("message", (request: LoadRequest) => void run(request));
