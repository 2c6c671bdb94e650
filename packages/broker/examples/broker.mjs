import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BrokerController, NamesrvController } from "@store/broker";
import ons from "ali-ons"; // npm i ali-ons@3.12.0

const namesrv = new NamesrvController({ namesrvPort: 9876 });
await namesrv.start();
const storePathRootDir = await mkdtemp(join(tmpdir(), "broker-demo-")); // any directory you can write
const broker = new BrokerController({ storePathRootDir, listenPort: 10911 }, { namesrv });
await broker.start();

const common = { nameSrv: "127.0.0.1:9876", httpclient: {}, clientIP: "127.0.0.1" };
const producer = new ons.Producer({ ...common, producerGroup: "PID_DEMO" });
await producer.ready();
const message = new ons.Message("TopicTest", "TagA", "hello");
message.keys = ["order-1"];
const sent = await producer.send(message);
console.log(sent.sendStatus, sent.msgId); // SEND_OK 7F000001…

const consumer = new ons.Consumer({
  ...common,
  consumerGroup: "GID_DEMO",
  consumeFromWhere: "CONSUME_FROM_FIRST_OFFSET",
});
const received = new Promise((resolve) => {
  consumer.subscribe("TopicTest", "TagA || TagB", async (msg) => resolve(msg)); // a handler that throws has it retried
});
await consumer.ready();
const msg = await received;
console.log("received", msg.tags, msg.body.toString()); // received TagA hello

await consumer.close();
await producer.close();
await broker.shutdown();
await namesrv.shutdown();
process.exit(0); // ali-ons keeps timers alive after close() (an internal producer)
