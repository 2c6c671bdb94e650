import { afterEach, describe, expect, it } from "vitest";
import { ConsumeResult, Producer, PushConsumer, SimpleConsumer } from "rocketmq-client-nodejs";
import type { MessageView } from "rocketmq-client-nodejs";
import type { ProxyEnvironment } from "./proxy-test-kit.js";
import { clientLogger, startProxy, waitFor, withTimeout } from "./proxy-test-kit.js";

interface Closable {
  shutdown(): Promise<void>;
}

const clients: Closable[] = [];
const environments: ProxyEnvironment[] = [];

afterEach(async () => {
  // Always shut clients down (their timers keep the process alive), then wait, then stop the server.
  for (const client of clients.splice(0).reverse()) await withTimeout(client.shutdown(), 30_000, "client shutdown").catch(() => undefined);
  for (const env of environments.splice(0)) await env.destroy();
});

async function started<T extends Closable & { startup(): Promise<void> }>(client: T): Promise<T> {
  clients.push(client);
  await withTimeout(client.startup(), 15_000, "client startup");
  return client;
}

describe("GrpcProxy with rocketmq-client-nodejs@1.0.8", () => {
  it("Producer -> SimpleConsumer (receive, change invisible, ack, empty) -> PushConsumer (fail once, succeed)", { tags: ["slow"] }, async () => {
    const env = await startProxy();
    environments.push(env);
    const { endpoints } = env;
    const producer = await started(new Producer({ endpoints, namespace: "", logger: clientLogger, topics: ["TopicTest"] }));
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
    expect(sent.every((receipt) => typeof receipt.messageId === "string" && receipt.messageId.length === 34)).toBe(true);

    const simple = await started(
      new SimpleConsumer({ endpoints, namespace: "", logger: clientLogger, consumerGroup: "GID_simple", subscriptions: new Map([["TopicTest", "TagA||TagB"]]), awaitDuration: 3000 }),
    );
    const received: MessageView[] = [];
    await waitFor(async () => {
      received.push(...(await simple.receive(10, 15_000)));
      return received.length >= 2;
    }, 20_000, "two TagA messages");
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
    await waitFor(() => consumed.some((c) => c.body === "hello 1" && c.attempt === 2), 30_000, "redelivery of the failed message");
    expect(consumed.filter((c) => c.attempt === 1).map((c) => c.body).sort()).toEqual(["hello 0", "hello 1", "hello 2"]);
  });
});
