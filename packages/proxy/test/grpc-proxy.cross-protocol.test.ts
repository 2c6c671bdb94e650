import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BrokerController, NamesrvController } from "@store/broker";
import { Producer, SimpleConsumer } from "rocketmq-client-nodejs";
import type { MessageView } from "rocketmq-client-nodejs";
import { afterEach, describe, expect, it } from "vitest";
import { GrpcProxy } from "../src/index.js";
import { AliOnsProcess } from "./ali-ons-process.js";
import { clientLogger, silentLogger, waitFor, withTimeout } from "./proxy-test-kit.js";

interface Closable {
  shutdown(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

/** The full broker (BrokerController + embedded name server) with the gRPC proxy attached to it. */
async function startFullBroker(): Promise<{
  nameSrv: string;
  endpoints: string;
  broker: BrokerController;
}> {
  const dir = await mkdtemp(join(tmpdir(), "cross-protocol-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const namesrv = new NamesrvController(
    { namesrvPort: 0, namesrvHost: "127.0.0.1" },
    { logger: silentLogger },
  );
  await namesrv.start();
  cleanups.push(() => namesrv.shutdown());
  const broker = new BrokerController(
    {
      storePathRootDir: dir,
      listenPort: 0,
      brokerIP1: "127.0.0.1",
      mappedFileSizeCommitLog: 8 * 1024 * 1024,
    },
    { logger: silentLogger, namesrv },
  );
  await broker.start();
  cleanups.push(() => broker.shutdown());
  const proxy = new GrpcProxy({ broker, grpcPort: 0, logger: silentLogger });
  const grpcPort = await proxy.start();
  cleanups.push(() => proxy.shutdown());
  return { nameSrv: `127.0.0.1:${namesrv.listenPort}`, endpoints: `127.0.0.1:${grpcPort}`, broker };
}

async function started<T extends Closable & { startup(): Promise<void> }>(client: T): Promise<T> {
  cleanups.push(() => withTimeout(client.shutdown(), 30_000, "client shutdown"));
  await withTimeout(client.startup(), 15_000, "client startup");
  return client;
}

/** The ali-ons fixture's i-th message: tags TagA/B/C, key-i, every 10th body over 4 KiB (compressed by ali-ons). */
function aliOnsMessage(i: number): { tag: string; key: string; body: string } {
  return {
    tag: ["TagA", "TagB", "TagC"][i % 3] as string,
    key: `key-${i}`,
    body: i % 10 === 0 ? `msg-${i}-${"x".repeat(5000)}` : `msg-${i}`,
  };
}

describe("GrpcProxy over BrokerController: one store, two protocols", () => {
  it(
    "an ali-ons producer's messages reach a rocketmq-client-nodejs SimpleConsumer intact",
    { tags: ["slow"] },
    async () => {
      const { nameSrv, endpoints } = await startFullBroker();
      const count = 20;
      const producer = new AliOnsProcess({
        mode: "produce",
        nameSrv,
        group: "PID_cross",
        topic: "CrossIn",
        count,
      });
      await producer.until(
        (events) => events.some((e) => e.event === "done"),
        30_000,
        "ali-ons producer done",
      );
      const sent = producer.all("sent");
      expect(sent.every((e) => e.status === "SEND_OK")).toBe(true);

      const consumer = await started(
        new SimpleConsumer({
          endpoints,
          namespace: "",
          logger: clientLogger,
          consumerGroup: "GID_cross_in",
          subscriptions: new Map([["CrossIn", "*"]]),
          awaitDuration: 3000,
        }),
      );
      const received = new Map<string, MessageView>();
      await waitFor(
        async () => {
          for (const message of await consumer.receive(16, 30_000)) {
            received.set(message.body.toString(), message);
            await consumer.ack(message);
          }
          return received.size >= count;
        },
        30_000,
        `${count} messages over gRPC`,
      );
      for (let i = 0; i < count; i++) {
        const expected = aliOnsMessage(i);
        const message = received.get(expected.body);
        expect(message, `message ${i}`).toBeDefined();
        expect(message!.tag).toBe(expected.tag);
        expect(message!.keys).toEqual([expected.key]);
        expect(message!.corrupted).not.toBe(true);
        expect(message!.messageId).toBe(sent.find((e) => e.i === i)?.msgId);
      }
      expect(received.size).toBe(count);
    },
  );

  it(
    "a rocketmq-client-nodejs Producer's messages reach an ali-ons consumer intact",
    { tags: ["slow"] },
    async () => {
      const { nameSrv, endpoints } = await startFullBroker();
      const producer = await started(
        new Producer({ endpoints, namespace: "", logger: clientLogger, topics: ["CrossOut"] }),
      );
      const count = 12;
      const expected = new Map<
        number,
        { tags: string; keys: string; hash: string; length: number }
      >();
      for (let i = 0; i < count; i++) {
        const body = Buffer.from(i % 4 === 0 ? `msg-${i}-${"y".repeat(70_000)}` : `msg-${i}`);
        await producer.send({
          topic: "CrossOut",
          tag: `Tag${i % 2}`,
          keys: [`key-${i}`, `alt-${i}`],
          body,
        });
        expected.set(i, {
          tags: `Tag${i % 2}`,
          keys: `key-${i} alt-${i}`,
          hash: createHash("sha1").update(body).digest("hex"),
          length: body.length,
        });
      }
      const consumer = new AliOnsProcess({
        mode: "consume",
        nameSrv,
        group: "GID_cross_out",
        topic: "CrossOut",
      });
      await consumer.until(
        (events) =>
          new Set(events.filter((e) => e.event === "received").map((e) => e.i)).size >= count,
        60_000,
        `${count} messages over remoting`,
      );
      for (const event of consumer.all("received")) {
        const want = expected.get(event.i as number);
        expect(want, `message ${String(event.i)}`).toBeDefined();
        expect(event.tags).toBe(want!.tags);
        expect([event.keys].flat().join(" ")).toBe(want!.keys);
        expect(event.bodyHash).toBe(want!.hash);
        expect(event.bodyLength).toBe(want!.length);
      }
    },
  );
});
