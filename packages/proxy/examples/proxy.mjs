import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MessageStore } from "@store/commitlog";
import { GrpcProxy, MessageStoreBroker } from "@store/proxy";
import { Producer, SimpleConsumer } from "rocketmq-client-nodejs"; // npm i rocketmq-client-nodejs@1.0.8

// The broker side: a store, the pop and timer services over it, the gRPC proxy on 127.0.0.1:8081.
const storePathRootDir = await mkdtemp(join(tmpdir(), "proxy-demo-")); // any directory you can write
const messageStore = await MessageStore.open({ storePathRootDir });
const broker = await MessageStoreBroker.open({ messageStore });
const proxy = new GrpcProxy({ broker, grpcPort: 8081, host: "127.0.0.1" });
await proxy.start();

// The official RocketMQ 5 Node.js client, unchanged: no name server, plaintext.
const logger = { info() {}, warn: console.warn, error: console.error, debug() {} }; // no log files in $HOME/logs
const endpoints = "127.0.0.1:8081";
const producer = new Producer({ endpoints, logger, topics: ["TopicTest"] });
await producer.startup();
const receipt = await producer.send({
  topic: "TopicTest",
  tag: "TagA",
  keys: ["order-1"],
  properties: new Map([["region", "eu"]]),
  body: Buffer.from("hello"),
});
console.log("sent", receipt.messageId);

const consumer = new SimpleConsumer({
  endpoints,
  logger,
  consumerGroup: "GID_demo",
  subscriptions: new Map([["TopicTest", "TagA"]]),
  awaitDuration: 3000,
});
await consumer.startup();
for (const message of await consumer.receive(16, 15_000)) {
  // up to 16 messages, invisible for 15 s
  console.log(
    "received",
    message.messageId,
    message.tag,
    message.body.toString(),
    "attempt",
    message.deliveryAttempt,
  );
  await consumer.ack(message);
}

await consumer.shutdown();
await producer.shutdown();
await proxy.shutdown(); // after the clients (research pitfall 7)
await broker.shutdown();
await messageStore.shutdown();
