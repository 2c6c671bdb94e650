import { afterEach, describe, expect, it } from "vitest";
import { ConsumeResult, Producer, PushConsumer, SimpleConsumer } from "rocketmq-client-nodejs";
import type { MessageView } from "rocketmq-client-nodejs";
import { decodeMessage } from "@store/message-codec";
import { dlqTopicOf } from "@store/broker";
import type { ProxyEnvironment } from "./proxy-test-kit.js";
import { clientLogger, startProxy, waitFor, withTimeout } from "./proxy-test-kit.js";

interface Closable {
  shutdown(): Promise<void>;
}

const clients: Closable[] = [];
const environments: ProxyEnvironment[] = [];

afterEach(async () => {
  // Always shut clients down (their timers keep the process alive), then wait, then stop the server.
  for (const client of clients.splice(0).reverse())
    await withTimeout(client.shutdown(), 30_000, "client shutdown").catch(() => undefined);
  for (const env of environments.splice(0)) await env.destroy();
});

async function started<T extends Closable & { startup(): Promise<void> }>(client: T): Promise<T> {
  clients.push(client);
  await withTimeout(client.startup(), 15_000, "client startup");
  return client;
}

describe("GrpcProxy with rocketmq-client-nodejs@1.0.8", () => {
  it(
    "Producer -> SimpleConsumer (receive, change invisible, ack, empty) -> PushConsumer (fail once, succeed)",
    { tags: ["slow"] },
    async () => {
      const env = await startProxy();
      environments.push(env);
      const { endpoints } = env;
      const producer = await started(
        new Producer({ endpoints, namespace: "", logger: clientLogger, topics: ["TopicTest"] }),
      );
      const sent = [];
      for (let i = 0; i < 3; i++) {
        sent.push(
          await producer.send({
            topic: "TopicTest",
            tag: i === 2 ? "TagC" : "TagA",
            keys: [`key-${i}`, `k2-${i}`],
            properties: new Map([["p1", `v${i}`]]),
            body: Buffer.from(`hello ${i}`),
          }),
        );
      }
      expect(
        sent.every(
          (receipt) => typeof receipt.messageId === "string" && receipt.messageId.length === 34,
        ),
      ).toBe(true);

      const simple = await started(
        new SimpleConsumer({
          endpoints,
          namespace: "",
          logger: clientLogger,
          consumerGroup: "GID_simple",
          subscriptions: new Map([["TopicTest", "TagA||TagB"]]),
          awaitDuration: 3000,
        }),
      );
      const received: MessageView[] = [];
      await waitFor(
        async () => {
          received.push(...(await simple.receive(10, 15_000)));
          return received.length >= 2;
        },
        20_000,
        "two TagA messages",
      );
      expect(received.map((m) => m.body.toString()).sort()).toEqual(["hello 0", "hello 1"]);
      const first = received.find((m) => m.body.toString() === "hello 0")!;
      expect(first.tag).toBe("TagA");
      expect(first.keys).toEqual(["key-0", "k2-0"]);
      expect(first.properties.get("p1")).toBe("v0");
      expect(first.messageId).toBe(sent[0]!.messageId);
      expect(first.deliveryAttempt).toBe(1);
      expect(first.corrupted).not.toBe(true);
      const oldHandle = first.receiptHandle;
      await simple.changeInvisibleDuration(first, 5000);
      expect(first.receiptHandle).not.toBe(oldHandle);
      for (const m of received) await simple.ack(m);
      expect(await simple.receive(10, 15_000)).toEqual([]);

      const consumed: { body: string; attempt: number | undefined }[] = [];
      let failedOnce = false;
      await started(
        new PushConsumer({
          endpoints,
          namespace: "",
          logger: clientLogger,
          consumerGroup: "GID_push",
          subscriptions: new Map([["TopicTest", "*"]]),
          messageListener: {
            consume: (message: MessageView) => {
              consumed.push({ body: message.body.toString(), attempt: message.deliveryAttempt });
              if (message.body.toString() === "hello 1" && !failedOnce) {
                failedOnce = true;
                return Promise.resolve(ConsumeResult.FAILURE);
              }
              return Promise.resolve(ConsumeResult.SUCCESS);
            },
          },
        }),
      );
      await waitFor(
        () => consumed.some((c) => c.body === "hello 1" && c.attempt === 2),
        30_000,
        "redelivery of the failed message",
      );
      expect(
        consumed
          .filter((c) => c.attempt === 1)
          .map((c) => c.body)
          .sort(),
      ).toEqual(["hello 0", "hello 1", "hello 2"]);
    },
  );

  it(
    "redelivers a message not acked after its invisible time, with a higher attempt",
    { tags: ["slow"] },
    async () => {
      const env = await startProxy();
      environments.push(env);
      const { endpoints } = env;
      const producer = await started(
        new Producer({ endpoints, namespace: "", logger: clientLogger, topics: ["Redeliver"] }),
      );
      const receipt = await producer.send({
        topic: "Redeliver",
        tag: "T",
        body: Buffer.from("again"),
      });
      const consumer = await started(
        new SimpleConsumer({
          endpoints,
          namespace: "",
          logger: clientLogger,
          consumerGroup: "GID_re",
          subscriptions: new Map([["Redeliver", "*"]]),
          awaitDuration: 2000,
        }),
      );
      const first = await receiveOne(consumer, 1000);
      expect(first.messageId).toBe(receipt.messageId);
      expect(first.deliveryAttempt).toBe(1);
      const received = Date.now();
      const second = await receiveOne(consumer, 1000);
      expect(Date.now() - received).toBeGreaterThanOrEqual(900);
      expect(second.messageId).toBe(receipt.messageId);
      expect(second.deliveryAttempt).toBe(2);
      expect(second.body.toString()).toBe("again");
      await consumer.ack(second);
    },
  );

  it(
    "dead-letters a message to %DLQ%<group> after maxReconsumeTimes redeliveries",
    { tags: ["slow"] },
    async () => {
      const env = await startProxy({ broker: { maxReconsumeTimes: () => 1 } });
      environments.push(env);
      const { endpoints } = env;
      const producer = await started(
        new Producer({ endpoints, namespace: "", logger: clientLogger, topics: ["Poison"] }),
      );
      const receipt = await producer.send({
        topic: "Poison",
        tag: "P",
        keys: ["pk"],
        body: Buffer.from("poison"),
      });
      const consumer = await started(
        new SimpleConsumer({
          endpoints,
          namespace: "",
          logger: clientLogger,
          consumerGroup: "GID_dlq",
          subscriptions: new Map([["Poison", "*"]]),
          awaitDuration: 2000,
        }),
      );
      expect((await receiveOne(consumer, 1000)).deliveryAttempt).toBe(1);
      expect((await receiveOne(consumer, 1000)).deliveryAttempt).toBe(2);
      const dlq = dlqTopicOf("GID_dlq");
      await waitFor(() => env.store.getMaxOffsetInQueue(dlq, 0) === 1, 10_000, "the DLQ copy");
      const got = await env.store.getMessage("check", dlq, 0, 0, 1);
      const decoded = decodeMessage(got.messages[0]!);
      expect(decoded.ok && decoded.message.properties.UNIQ_KEY).toBe(receipt.messageId);
      expect(decoded.ok && decoded.message.properties.DLQ_ORIGIN_TOPIC).toBe("Poison");
      expect(await consumer.receive(1, 1000)).toEqual([]);
    },
  );

  it(
    "delivers a message with a delivery timestamp at its time, not before",
    { tags: ["slow"] },
    async () => {
      const env = await startProxy();
      environments.push(env);
      const { endpoints } = env;
      const producer = await started(
        new Producer({ endpoints, namespace: "", logger: clientLogger, topics: ["Timed"] }),
      );
      const consumer = await started(
        new SimpleConsumer({
          endpoints,
          namespace: "",
          logger: clientLogger,
          consumerGroup: "GID_timed",
          subscriptions: new Map([["Timed", "*"]]),
          awaitDuration: 2000,
        }),
      );
      const deliverAt = new Date(Date.now() + 2500);
      const receipt = await producer.send({
        topic: "Timed",
        body: Buffer.from("later"),
        deliveryTimestamp: deliverAt,
      });
      const message = await receiveOne(consumer, 10_000);
      expect(Date.now()).toBeGreaterThanOrEqual(deliverAt.getTime());
      expect(message.messageId).toBe(receipt.messageId);
      expect(message.deliveryTimestamp?.getTime()).toBe(deliverAt.getTime());
      await consumer.ack(message);
    },
  );

  it(
    "keeps the pop state across a restart: the un-acked comes back, the acked does not",
    { tags: ["slow"] },
    async () => {
      const env = await startProxy();
      environments.push(env);
      const { endpoints } = env;
      const producer = await started(
        new Producer({ endpoints, namespace: "", logger: clientLogger, topics: ["Restart"] }),
      );
      await producer.send({ topic: "Restart", body: Buffer.from("acked") });
      await producer.send({ topic: "Restart", body: Buffer.from("pending") });
      const options = {
        endpoints,
        namespace: "",
        logger: clientLogger,
        consumerGroup: "GID_restart",
        subscriptions: new Map([["Restart", "*"]]),
        awaitDuration: 2000,
      };
      const consumer = await started(new SimpleConsumer(options));
      const got: MessageView[] = [];
      await waitFor(
        async () => {
          got.push(...(await consumer.receive(10, 3000)));
          return got.length >= 2;
        },
        20_000,
        "both messages",
      );
      await consumer.ack(got.find((m) => m.body.toString() === "acked")!);
      for (const client of clients.splice(0).reverse())
        await withTimeout(client.shutdown(), 30_000, "client shutdown");
      await env.restart();
      const again = await started(new SimpleConsumer(options));
      const back = await receiveOne(again, 10_000);
      expect(back.body.toString()).toBe("pending");
      expect(back.deliveryAttempt).toBe(2);
      await again.ack(back);
      expect(await again.receive(10, 3000)).toEqual([]);
    },
  );

  it(
    "delivers 1,000 messages with tags, keys, properties and bodies over 64 KiB to a tag-filtered consumer, exactly the matching ones",
    { tags: ["slow"] },
    async () => {
      const env = await startProxy();
      environments.push(env);
      const { endpoints } = env;
      const producer = await started(
        new Producer({ endpoints, namespace: "", logger: clientLogger, topics: ["Bulk"] }),
      );
      const expected = new Map<string, string>();
      for (let i = 0; i < 1000; i++) {
        const tag = i % 3 === 0 ? "Keep" : "Skip";
        const body = i % 100 === 0 ? Buffer.alloc(100 * 1024, i % 256) : Buffer.from(`bulk ${i}`);
        const receipt = await producer.send({
          topic: "Bulk",
          tag,
          keys: [`k${i}`],
          properties: new Map([["n", String(i)]]),
          body,
        });
        if (tag === "Keep") expected.set(receipt.messageId, body.toString("base64"));
      }
      const consumer = await started(
        new SimpleConsumer({
          endpoints,
          namespace: "",
          logger: clientLogger,
          consumerGroup: "GID_bulk",
          subscriptions: new Map([["Bulk", "Keep"]]),
          awaitDuration: 1000,
        }),
      );
      const seen = new Map<string, string>();
      await waitFor(
        async () => {
          for (const message of await consumer.receive(32, 30_000)) {
            expect(message.tag).toBe("Keep");
            expect(message.keys).toEqual([`k${message.properties.get("n")}`]);
            seen.set(message.messageId, message.body.toString("base64"));
            await consumer.ack(message);
          }
          return seen.size >= expected.size;
        },
        60_000,
        "every matching message",
      );
      expect(seen).toEqual(expected);
      expect(await consumer.receive(32, 30_000)).toEqual([]);
    },
  );
});

/** Receives until one message arrives (each receive long-polls up to awaitDuration). */
async function receiveOne(consumer: SimpleConsumer, invisibleMs: number): Promise<MessageView> {
  for (let i = 0; i < 20; i++) {
    const [message] = await consumer.receive(1, invisibleMs);
    if (message !== undefined) return message;
  }
  throw new Error("no message received");
}
