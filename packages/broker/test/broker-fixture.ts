import { afterEach } from "vitest";
import { BrokerController, NamesrvController, RequestCode } from "../src/index.js";
import type { BrokerConfigInput } from "../src/index.js";
import { RemotingTestClient } from "./remoting-test-client.js";
import { silentLogger, tempDir } from "./helpers.js";

const running: { shutdown(): Promise<void> }[] = [];
const clients: RemotingTestClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  for (const item of running.splice(0).reverse()) await item.shutdown();
});

/** Small files so tests stay fast. */
export const SMALL_STORE = {
  mappedFileSizeCommitLog: 4 * 1024 * 1024,
  mappedFileSizeConsumeQueue: 20 * 10_000,
} as const;

export interface TestBroker {
  readonly broker: BrokerController;
  readonly namesrv: NamesrvController;
  readonly client: RemotingTestClient;
  readonly storeDir: string;
}

/** A broker and an in-process name server on 127.0.0.1 with random ports, plus a connected client. */
export async function startBroker(
  config: BrokerConfigInput = {},
  storeDir?: string,
): Promise<TestBroker> {
  const dir = storeDir ?? (await tempDir());
  const namesrv = new NamesrvController(
    { namesrvPort: 0, namesrvHost: "127.0.0.1" },
    { logger: silentLogger },
  );
  await namesrv.start();
  running.push(namesrv);
  const broker = new BrokerController(
    { storePathRootDir: dir, listenPort: 0, ...SMALL_STORE, ...config },
    { logger: silentLogger, namesrv },
  );
  await broker.start();
  running.push(broker);
  const client = await connect(broker.listenPort);
  return { broker, namesrv, client, storeDir: dir };
}

export async function connect(port: number): Promise<RemotingTestClient> {
  const client = await RemotingTestClient.connect(port);
  clients.push(client);
  return client;
}

/** Sends one message with SEND_MESSAGE_V2 (310) as ali-ons does. */
export function send(
  client: RemotingTestClient,
  topic: string,
  body: string | Buffer,
  options: { queueId?: number; properties?: string; sysFlag?: number } = {},
) {
  return client.invoke(
    RequestCode.SEND_MESSAGE_V2,
    {
      a: "PID_TEST",
      b: topic,
      c: "TBW102",
      d: "4",
      e: String(options.queueId ?? 0),
      f: String(options.sysFlag ?? 0),
      g: String(Date.now()),
      h: "0",
      i: options.properties ?? "",
      j: "0",
      k: "false",
    },
    typeof body === "string" ? Buffer.from(body) : body,
  );
}

/** PULL_MESSAGE (11) as ali-ons sends it (sysFlag 6: suspend + subscription). */
export function pull(
  client: RemotingTestClient,
  topic: string,
  queueOffset: number,
  options: {
    queueId?: number;
    group?: string;
    subscription?: string;
    suspendTimeoutMillis?: number;
    sysFlag?: number;
    commitOffset?: number;
  } = {},
) {
  return client.invoke(RequestCode.PULL_MESSAGE, {
    consumerGroup: options.group ?? "GID_TEST",
    topic,
    queueId: String(options.queueId ?? 0),
    queueOffset: String(queueOffset),
    maxMsgNums: "32",
    sysFlag: String(options.sysFlag ?? 6),
    commitOffset: String(options.commitOffset ?? 0),
    suspendTimeoutMillis: String(options.suspendTimeoutMillis ?? 15_000),
    subscription: options.subscription ?? "*",
    subVersion: "1",
  });
}

/** "TAGS\u0001<tag>\u0002" plus extra properties. */
export function props(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}\u0001${value}\u0002`)
    .join("");
}
