import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from "../src/index.js";
import type { BrokerController } from "../src/index.js";
import { AliOnsProcess } from "./ali-ons-process.js";
import type { ClientEvent } from "./ali-ons-process.js";
import { SMALL_STORE } from "./broker-fixture.js";
import { broker, brokerNames, namesrv, running } from "./cluster-fixture.js";
import { tempDir, waitFor } from "./helpers.js";

const slow = { tags: ["slow"] };
const BROKER_SCRIPT = fileURLToPath(new URL("./fixtures/broker-process.mjs", import.meta.url));
const TOPIC = "CLUSTER_T";
/** The clients look up routes this often, ms (ali-ons' default is 30 s). */
const POLL_ROUTES_MS = 500;

/** A broker in a child process (test/fixtures/broker-process.mjs), to be killed or frozen. */
class BrokerProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<{ port: number; brokerAddr: string }>;
  readonly exited: Promise<void>;

  constructor(config: Record<string, unknown>) {
    this.child = spawn(process.execPath, [BROKER_SCRIPT, JSON.stringify(config)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    this.exited = new Promise((resolve) => this.child.once("exit", () => resolve()));
    this.ready = new Promise((resolve, reject) => {
      let output = "";
      this.child.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        const line = output.split("\n").find((text) => text.includes('"ready"'));
        if (line !== undefined) resolve(JSON.parse(line) as { port: number; brokerAddr: string });
      });
      this.child.once("exit", (code) =>
        reject(new Error(`the broker process exited with ${code} before it was ready`)),
      );
    });
    children.push(this);
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

const children: BrokerProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.child.exitCode === null && child.child.signalCode === null) child.signal("SIGKILL");
    await child.exited;
  }
});

/** Creates the topic with 4 queues on a broker, as `mqadmin updateTopic` does. */
async function createTopic(port: number): Promise<void> {
  const client = await RemotingClient.connect({ port });
  try {
    const fields = {
      topic: TOPIC,
      defaultTopic: "TBW102",
      readQueueNums: "4",
      writeQueueNums: "4",
      perm: "6",
      topicFilterType: "SINGLE_TAG",
      topicSysFlag: "0",
      order: "false",
    };
    const response = await client.invoke(
      RemotingCommand.request(RequestCode.UPDATE_AND_CREATE_TOPIC, 0, fields),
    );
    expect(response.code).toBe(ResponseCode.SUCCESS);
  } finally {
    await client.close();
  }
}

function sent(producer: AliOnsProcess): ClientEvent[] {
  return producer.all("sent");
}

/**
 * Resolves once the last `count` send attempts after the first `after` all succeeded on `brokerName`
 * (the stopped brokers are out of the producer's routes).
 */
function sendsContinueOn(
  producer: AliOnsProcess,
  brokerName: string,
  after: number,
  count: number,
): Promise<void> {
  return producer.until(
    (events) => {
      const attempts = events
        .filter((event) => event.event === "sent" || event.event === "send-failed")
        .slice(after);
      let run = 0;
      for (const event of attempts)
        run = event.event === "sent" && event.brokerName === brokerName ? run + 1 : 0;
      return run >= count;
    },
    30_000,
    `${count} sends in a row on ${brokerName}`,
  );
}

/** Send attempts so far, failed ones included. */
function attempts(producer: AliOnsProcess): number {
  return producer.all("sent").length + producer.all("send-failed").length;
}

function streamingProducer(nameSrv: string): AliOnsProcess {
  return new AliOnsProcess({
    mode: "produce",
    nameSrv,
    topic: TOPIC,
    group: "PID_CLUSTER",
    untilStopped: true,
    continueOnError: true,
    pauseMs: 20,
    pollNameServerInteval: POLL_ROUTES_MS,
    sendMsgTimeout: 1000,
  });
}

function queuesOf(brokerController: BrokerController): number {
  let total = 0;
  for (let queueId = 0; queueId < 4; queueId++)
    total += brokerController.messageStore.getMaxOffsetInQueue(TOPIC, queueId);
  return total;
}

describe("BrokerController in a cluster: two brokers, one name server, the real ali-ons client", () => {
  it(
    "a producer spreads messages over both brokers, a group receives all of them, and sends go on after one broker stops",
    slow,
    async () => {
      const server = await namesrv();
      const nameSrv = `127.0.0.1:${server.listenPort}`;
      const a = await broker({ namesrvAddr: nameSrv, brokerName: "broker-a" });
      const b = await broker({ namesrvAddr: nameSrv, brokerName: "broker-b" });
      await Promise.all([createTopic(a.listenPort), createTopic(b.listenPort)]);
      await waitFor(
        () => server.routeInfoManager.pickupTopicRouteData(TOPIC)?.queueDatas.length === 2,
        10_000,
        "the topic routed to both brokers",
      );
      const consumer = new AliOnsProcess({
        mode: "consume",
        nameSrv,
        topic: TOPIC,
        group: "GID_CLUSTER",
        pollNameServerInteval: POLL_ROUTES_MS,
      });
      await waitFor(
        () =>
          (consumer.all("queues").at(-1)?.queues as string[] | undefined)?.filter((key) =>
            key.includes(TOPIC),
          ).length === 8,
        30_000,
        "the consumer owning all 8 queues",
      );
      const producer = new AliOnsProcess({
        mode: "produce",
        nameSrv,
        topic: TOPIC,
        group: "PID_CLUSTER",
        count: 200,
        pollNameServerInteval: POLL_ROUTES_MS,
      });
      await producer.until(
        (events) => events.some((event) => event.event === "done"),
        60_000,
        "200 sends",
      );
      expect(new Set(sent(producer).map((event) => event.brokerName))).toEqual(
        new Set(["broker-a", "broker-b"]),
      );
      await waitFor(() => queuesOf(a) + queuesOf(b) === 200, 10_000, "200 messages stored");
      expect(queuesOf(a)).toBeGreaterThan(0);
      expect(queuesOf(b)).toBeGreaterThan(0);
      await consumer.until(
        (events) => events.filter((event) => event.event === "received").length >= 200,
        60_000,
        "200 deliveries",
      );
      expect(new Set(consumer.all("received").map((event) => event.i)).size).toBe(200);

      const stream = streamingProducer(nameSrv);
      await stream.until(
        (events) =>
          new Set(events.filter((event) => event.event === "sent").map((event) => event.brokerName))
            .size === 2,
        30_000,
        "streaming sends on both brokers",
      );
      const before = attempts(stream);
      await b.shutdown();
      expect(brokerNames(server)).toEqual(["broker-a"]);
      await sendsContinueOn(stream, "broker-a", before, 30);
      expect(stream.all("send-failed")).toEqual([]);
      await consumer.until(
        (events) =>
          events.some(
            (event) =>
              event.event === "received" &&
              (event.i as number) === (sent(stream).at(-1)?.i as number),
          ),
        30_000,
        "the latest send delivered",
      );
    },
  );

  it(
    "a killed broker leaves the routes when its connection closes, a frozen one after the expiry; sends go on",
    slow,
    async () => {
      const server = await namesrv({
        brokerChannelExpiredTimeMs: 3000,
        scanNotActiveBrokerInterval: 200,
      });
      const nameSrv = `127.0.0.1:${server.listenPort}`;
      // every broker registers every second: the live ones stay, a frozen one is at most 1 s into its 3 s expiry
      const a = await broker({
        namesrvAddr: nameSrv,
        brokerName: "broker-a",
        registerNameServerPeriod: 1000,
      });
      const childConfig = (name: string, dir: string) => ({
        storePathRootDir: dir,
        listenPort: 0,
        ...SMALL_STORE,
        namesrvAddr: nameSrv,
        brokerName: name,
        registerNameServerPeriod: 1000,
      });
      const killed = new BrokerProcess(childConfig("broker-killed", await tempDir()));
      const frozen = new BrokerProcess(childConfig("broker-frozen", await tempDir()));
      const ports = [a.listenPort, (await killed.ready).port, (await frozen.ready).port];
      await Promise.all(ports.map((port) => createTopic(port)));
      await waitFor(
        () => server.routeInfoManager.pickupTopicRouteData(TOPIC)?.queueDatas.length === 3,
        10_000,
        "the topic routed to three brokers",
      );
      const stream = streamingProducer(nameSrv);
      await stream.until(
        (events) =>
          new Set(events.filter((event) => event.event === "sent").map((event) => event.brokerName))
            .size === 3,
        30_000,
        "sends on all three brokers",
      );

      killed.signal("SIGKILL");
      await killed.exited;
      await waitFor(
        () => !brokerNames(server).includes("broker-killed"),
        2000,
        "the killed broker out of the routes",
      );
      expect(brokerNames(server)).toEqual(["broker-a", "broker-frozen"]);

      const frozenAt = Date.now();
      frozen.signal("SIGSTOP");
      const afterFreeze = attempts(stream);
      await waitFor(
        () => !brokerNames(server).includes("broker-frozen"),
        10_000,
        "the frozen broker expired",
      );
      expect(Date.now() - frozenAt).toBeGreaterThanOrEqual(2000);
      expect(brokerNames(server)).toEqual(["broker-a"]);
      // until the producer's routes drop the frozen broker, a send can time out on it and fail
      await sendsContinueOn(stream, "broker-a", afterFreeze, 30);
      running.push({ shutdown: () => Promise.resolve(void frozen.signal("SIGKILL")) });
    },
  );
});
