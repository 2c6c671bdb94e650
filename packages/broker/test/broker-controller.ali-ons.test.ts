import { decodeMessage } from "@store/message-codec";
import { describe, expect, it } from "vitest";
import { BrokerController, NamesrvController } from "../src/index.js";
import type { BrokerConfigInput } from "../src/index.js";
import { AliOnsProcess } from "./ali-ons-process.js";
import type { ClientEvent } from "./ali-ons-process.js";
import { SMALL_STORE } from "./broker-fixture.js";
import { silentLogger, tempDir, waitFor } from "./helpers.js";

const slow = { tags: ["slow"] };

interface Cluster {
  readonly namesrv: NamesrvController;
  broker: BrokerController;
  readonly dir: string;
  readonly nameSrv: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A name server and a broker on 127.0.0.1, random ports; `restart()` shuts the broker down gracefully and starts it again. */
async function cluster(config: BrokerConfigInput = {}): Promise<Cluster> {
  const dir = await tempDir("broker-e2e-");
  const namesrv = new NamesrvController(
    { namesrvPort: 0, namesrvHost: "127.0.0.1" },
    { logger: silentLogger },
  );
  await namesrv.start();
  const make = () =>
    new BrokerController(
      { storePathRootDir: dir, listenPort: 0, ...SMALL_STORE, ...config },
      { logger: silentLogger, namesrv },
    );
  const state: Cluster = {
    namesrv,
    broker: make(),
    dir,
    nameSrv: `127.0.0.1:${namesrv.listenPort}`,
    async restart() {
      await state.broker.shutdown();
      state.broker = make();
      await state.broker.start();
    },
    async stop() {
      await state.broker.shutdown();
      await namesrv.shutdown();
    },
  };
  await state.broker.start();
  return state;
}

function latestQueues(client: AliOnsProcess, topic: string): string[] {
  const last = client.all("queues").at(-1);
  return ((last?.queues as string[] | undefined) ?? []).filter((key) =>
    key.startsWith(`[topic="${topic}"`),
  );
}

function received(clients: AliOnsProcess[]): ClientEvent[] {
  return clients.flatMap((client) => client.all("received"));
}

async function produce(
  nameSrv: string,
  topic: string,
  count: number,
  extra: Record<string, unknown> = {},
): Promise<ClientEvent[]> {
  const producer = new AliOnsProcess({
    mode: "produce",
    nameSrv,
    topic,
    group: "PID_E2E",
    count,
    ...extra,
  });
  await producer.until(
    (events) => events.some((e) => e.event === "done"),
    60_000,
    `${count} sends`,
  );
  return producer.all("sent");
}

describe("BrokerController with the real ali-ons@3.12.0 client", () => {
  it(
    "a clustering group of two receives 1,000 messages exactly once, in queue order, and nothing again after a graceful restart",
    slow,
    async () => {
      const c = await cluster();
      try {
        const consumers = [0, 1].map(
          () =>
            new AliOnsProcess({
              mode: "consume",
              nameSrv: c.nameSrv,
              topic: "E2E",
              group: "GID_E2E",
            }),
        );
        await waitFor(
          () => {
            const [a, b] = consumers.map((consumer) => latestQueues(consumer, "E2E"));
            return (
              a !== undefined &&
              b !== undefined &&
              a.length === 2 &&
              b.length === 2 &&
              new Set([...a, ...b]).size === 4
            );
          },
          30_000,
          "both consumers owning two queues each",
        );
        const sent = await produce(c.nameSrv, "E2E", 1000);
        expect(sent.every((event) => event.status === "SEND_OK")).toBe(true);
        await waitFor(() => received(consumers).length >= 1000, 60_000, "1,000 deliveries");
        const all = received(consumers);
        expect(all).toHaveLength(1000);
        expect(new Set(all.map((event) => event.i)).size).toBe(1000);
        for (const consumer of consumers) {
          const byQueue = new Map<unknown, number[]>();
          for (const event of consumer.all("received"))
            byQueue.set(event.queueId, [
              ...(byQueue.get(event.queueId) ?? []),
              event.queueOffset as number,
            ]);
          for (const offsets of byQueue.values())
            expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
        }
        const big = all.find((event) => event.i === 10);
        expect(big).toMatchObject({
          tags: "TagB",
          keys: "key-10",
          bodyLength: `msg-10-`.length + 5000,
        });
        await Promise.all(consumers.map((consumer) => consumer.kill()));
        await c.restart();
        const again = new AliOnsProcess({
          mode: "consume",
          nameSrv: c.nameSrv,
          topic: "E2E",
          group: "GID_E2E",
        });
        await waitFor(
          () => latestQueues(again, "E2E").length === 4,
          30_000,
          "the new consumer owning all queues",
        );
        await produce(c.nameSrv, "E2E", 8, { from: 1000 });
        await waitFor(
          () => again.all("received").filter((event) => (event.i as number) >= 1000).length === 8,
          30_000,
          "the 8 new messages",
        );
        expect(again.all("received").filter((event) => (event.i as number) < 1000)).toEqual([]);
      } finally {
        await c.stop();
      }
    },
  );

  it(
    "a throwing handler gets the message again through %RETRY% twice, after delay levels 3 and 4, then it is in %DLQ%",
    slow,
    async () => {
      // level 3 = 400 ms (first retry), level 4 = 800 ms (second retry)
      const c = await cluster({ messageDelayLevel: "100ms 200ms 400ms 800ms 1s 2s" });
      try {
        const retrying = new AliOnsProcess({
          mode: "consume",
          nameSrv: c.nameSrv,
          topic: "RETRY_T",
          group: "GID_RETRY",
          retry: "throw",
          maxReconsumeTimes: 2,
        });
        const giving = new AliOnsProcess({
          mode: "consume",
          nameSrv: c.nameSrv,
          topic: "RETRY_T",
          group: "GID_GIVEUP",
          retry: "return",
          maxReconsumeTimes: 0,
        });
        await waitFor(
          () =>
            latestQueues(retrying, "RETRY_T").length === 4 &&
            latestQueues(giving, "RETRY_T").length === 4,
          30_000,
          "queues assigned",
        );
        await produce(c.nameSrv, "RETRY_T", 1);
        await retrying.until(
          (events) => events.filter((e) => e.event === "received").length >= 3,
          30_000,
          "three deliveries",
        );
        await waitFor(
          () => c.broker.messageStore.getMaxOffsetInQueue("%DLQ%GID_RETRY", 0) === 1,
          10_000,
          "the message in %DLQ%GID_RETRY",
        );
        const deliveries = retrying.all("received");
        expect(deliveries.map((event) => event.reconsumeTimes)).toEqual([0, 1, 2]);
        for (const delivery of deliveries)
          expect(delivery).toMatchObject({
            topic: "RETRY_T",
            i: 0,
            bodyHash: deliveries[0]?.bodyHash,
          });
        const at = deliveries.map((event) => event.at as number);
        expect((at[1] as number) - (at[0] as number)).toBeGreaterThanOrEqual(400);
        expect((at[2] as number) - (at[1] as number)).toBeGreaterThanOrEqual(800);
        const dead = await c.broker.messageStore.getMessage("GID_RETRY", "%DLQ%GID_RETRY", 0, 0, 1);
        const decoded = dead.messages.map((record) =>
          decodeMessage(record, 0, { checkCRC: false }),
        );
        expect(decoded[0]).toMatchObject({
          ok: true,
          message: { reconsumeTimes: 3, properties: { RETRY_TOPIC: "RETRY_T" } },
        });
        // ACTION_RETRY on a first delivery; with maxReconsumeTimes 0 the send-back goes straight to %DLQ%
        await giving.until(
          (events) => events.some((e) => e.event === "received"),
          10_000,
          "the first delivery",
        );
        await waitFor(
          () => c.broker.messageStore.getMaxOffsetInQueue("%DLQ%GID_GIVEUP", 0) === 1,
          10_000,
          "the message in %DLQ%GID_GIVEUP",
        );
        expect(giving.all("received")).toHaveLength(1);
        expect(c.broker.messageStore.getMaxOffsetInQueue("%RETRY%GID_GIVEUP", 0)).toBe(0);
      } finally {
        await c.stop();
      }
    },
  );

  it(
    "broadcast consumers each get everything; a tag subscription gets only its tags",
    slow,
    async () => {
      const c = await cluster();
      try {
        const broadcast = [0, 1].map(
          () =>
            new AliOnsProcess({
              mode: "consume",
              nameSrv: c.nameSrv,
              topic: "FAN",
              group: "GID_FAN",
              broadcast: true,
            }),
        );
        const tagged = new AliOnsProcess({
          mode: "consume",
          nameSrv: c.nameSrv,
          topic: "FAN",
          group: "GID_TAG",
          subscription: "TagA || TagC",
        });
        await waitFor(
          () => [...broadcast, tagged].every((client) => latestQueues(client, "FAN").length === 4),
          30_000,
          "queues assigned",
        );
        await produce(c.nameSrv, "FAN", 60);
        for (const client of broadcast)
          await client.until(
            (events) => events.filter((e) => e.event === "received").length >= 60,
            30_000,
            "60 broadcast deliveries",
          );
        for (const client of broadcast)
          expect(new Set(client.all("received").map((event) => event.i)).size).toBe(60);
        await tagged.until(
          (events) => events.filter((e) => e.event === "received").length >= 40,
          30_000,
          "40 tagged deliveries",
        );
        expect(
          tagged.all("received").every((event) => event.tags === "TagA" || event.tags === "TagC"),
        ).toBe(true);
        expect(tagged.all("received")).toHaveLength(40);
      } finally {
        await c.stop();
      }
    },
  );

  it(
    "a delayed message arrives after its delay, not before, also across a graceful restart",
    slow,
    async () => {
      const c = await cluster({ messageDelayLevel: "1s 1500ms 3s" });
      try {
        const consumer = new AliOnsProcess({
          mode: "consume",
          nameSrv: c.nameSrv,
          topic: "LATER",
          group: "GID_LATER",
        });
        await waitFor(
          () => latestQueues(consumer, "LATER").length === 4,
          30_000,
          "queues assigned",
        );
        const [sent] = await produce(c.nameSrv, "LATER", 1, { delayLevel: 2 });
        const sentAt = Date.now();
        await consumer.until(
          (events) => events.some((e) => e.event === "received"),
          20_000,
          "the delayed message",
        );
        expect((consumer.all("received")[0]?.at as number) - sentAt).toBeGreaterThanOrEqual(1000);
        expect(sent?.status).toBe("SEND_OK");
        await consumer.kill();
        await produce(c.nameSrv, "LATER", 1, { delayLevel: 3, from: 1 });
        const parkedAt = Date.now();
        await c.restart();
        const after = new AliOnsProcess({
          mode: "consume",
          nameSrv: c.nameSrv,
          topic: "LATER",
          group: "GID_LATER",
        });
        await after.until(
          (events) => events.some((e) => e.event === "received" && e.i === 1),
          20_000,
          "the message parked across the restart",
        );
        expect(
          (after.all("received").find((e) => e.i === 1)?.at as number) - parkedAt,
        ).toBeGreaterThanOrEqual(2500);
        expect(after.all("received").filter((e) => e.i === 0)).toEqual([]);
      } finally {
        await c.stop();
      }
    },
  );
});
