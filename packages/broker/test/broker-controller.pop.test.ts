import { describe, expect, it } from "vitest";
import { BrokerController, RequestCode, ResponseCode } from "../src/index.js";
import type { MessagesInEvent } from "../src/index.js";
import { connect, props, send, SMALL_STORE, startBroker } from "./broker-fixture.js";
import { silentLogger, tempDir, waitFor } from "./helpers.js";

describe("BrokerController (pop consumption and the proxy's broker surface)", () => {
  it("hosts pop: a message sent over remoting is popped and acked, and not popped again after a restart", async () => {
    const dir = await tempDir();
    const first = await startBroker({}, dir);
    expect(
      (await send(first.client, "orders", "hello", { properties: props({ TAGS: "TagA" }) })).code,
    ).toBe(ResponseCode.SUCCESS);
    const popped = await first.broker.popService.pop({
      group: "GID_pop",
      topic: "orders",
      maxMessages: 8,
      invisibleTimeMs: 60_000,
      pollTimeMs: 5000,
    });
    expect(popped.status).toBe("FOUND");
    expect(popped.messages.map((m) => m.message.body.toString())).toEqual(["hello"]);
    expect(
      await first.broker.popService.ack("GID_pop", "orders", popped.messages[0]!.receiptHandle),
    ).toEqual({ status: "OK" });
    await first.broker.shutdown();
    await first.namesrv.shutdown();

    const second = await startBroker({}, dir);
    const again = await second.broker.popService.pop({
      group: "GID_pop",
      topic: "orders",
      maxMessages: 8,
      invisibleTimeMs: 60_000,
    });
    expect(again.messages).toEqual([]);
    expect(
      second.broker.popService.getConsumedOffset(
        "GID_pop",
        "orders",
        popped.messages[0]!.message.queueId,
      ),
    ).toBe(1);
  });

  it("tells the observer about messages handed out by pop, as for pulls", async () => {
    const out: { group: string; topic: string; messages: number; bytes: number }[] = [];
    const broker = new BrokerController(
      { storePathRootDir: await tempDir(), listenPort: 0, ...SMALL_STORE },
      { logger: silentLogger, observer: { messagesOut: (event) => out.push(event) } },
    );
    await broker.start();
    try {
      await broker.getTopicQueues("popped");
      expect(
        (
          await broker.sendMessage({
            topic: "popped",
            queueId: 0,
            body: Buffer.from("x".repeat(100)),
          })
        ).status,
      ).toBe("PUT_OK");
      const result = await broker.popService.pop({
        group: "GID_out",
        topic: "popped",
        maxMessages: 4,
        invisibleTimeMs: 60_000,
        pollTimeMs: 5000,
      });
      expect(result.messages).toHaveLength(1);
      expect(out).toEqual([
        {
          group: "GID_out",
          topic: "popped",
          messages: 1,
          bytes: result.messages[0]!.message.totalSize,
        },
      ]);
      expect(out[0]!.bytes).toBeGreaterThan(100);
    } finally {
      await broker.shutdown();
    }
  });

  it("gives a group that never popped a queue its committed pull offset as the start", async () => {
    const { broker, client } = await startBroker();
    for (let i = 0; i < 3; i++)
      expect((await send(client, "orders", `m${i}`, { queueId: 0 })).code).toBe(
        ResponseCode.SUCCESS,
      );
    const committed = await client.invoke(RequestCode.UPDATE_CONSUMER_OFFSET, {
      consumerGroup: "GID_moved",
      topic: "orders",
      queueId: "0",
      commitOffset: "2",
    });
    expect(committed.code).toBe(ResponseCode.SUCCESS);
    const popped = await broker.popService.pop({
      group: "GID_moved",
      topic: "orders",
      maxMessages: 8,
      invisibleTimeMs: 60_000,
      pollTimeMs: 5000,
    });
    expect(popped.messages.map((m) => m.message.body.toString())).toEqual(["m2"]);
  });

  it("getTopicQueues creates a topic on first use, a %RETRY% topic with one queue, and null when auto-create is off", async () => {
    const { broker } = await startBroker({ defaultTopicQueueNums: 3 });
    expect(await broker.getTopicQueues("fresh")).toEqual({ readQueueNums: 3, writeQueueNums: 3 });
    expect(broker.topicConfigManager.selectTopicConfig("fresh")?.readQueueNums).toBe(3);
    expect(await broker.getTopicQueues("%RETRY%GID_x")).toEqual({
      readQueueNums: 1,
      writeQueueNums: 1,
    });

    const strict = new BrokerController(
      {
        storePathRootDir: await tempDir(),
        listenPort: 0,
        autoCreateTopicEnable: false,
        ...SMALL_STORE,
      },
      { logger: silentLogger },
    );
    await strict.start();
    try {
      expect(await strict.getTopicQueues("missing")).toBeNull();
      expect(await strict.getTopicQueues("%RETRY%GID_y")).toEqual({
        readQueueNums: 1,
        writeQueueNums: 1,
      });
    } finally {
      await strict.shutdown();
    }
  });

  it("sendMessage goes through flow control and the observer, like a SEND", async () => {
    const events: MessagesInEvent[] = [];
    const broker = new BrokerController(
      {
        storePathRootDir: await tempDir(),
        listenPort: 0,
        sendThreadPoolQueueCapacity: 1,
        ...SMALL_STORE,
      },
      { logger: silentLogger, observer: { messagesIn: (event) => events.push(event) } },
    );
    await broker.start();
    try {
      const [a, b] = await Promise.all([
        broker.sendMessage({ topic: "grpc", queueId: 0, body: Buffer.from("a") }),
        broker.sendMessage({ topic: "grpc", queueId: 0, body: Buffer.from("b") }),
      ]);
      expect(a.status).toBe("PUT_OK");
      expect(b.status).toBe("OS_PAGECACHE_BUSY");
      expect(b.reason).toContain("[OVERLOAD]");
      expect(events.map((event) => event.status).sort()).toEqual(["PUT_OK", "SYSTEM_BUSY"]);
      expect(
        await broker.sendMessage({
          topic: "SCHEDULE_TOPIC_XXXX",
          queueId: 0,
          body: Buffer.from("x"),
        }),
      ).toMatchObject({ status: "MESSAGE_ILLEGAL" });
      expect(broker.topicConfigManager.selectTopicConfig("grpc")).toBeDefined();
    } finally {
      await broker.shutdown();
    }
  });

  it("tells the observer when remoting connections open and close", async () => {
    const seen: boolean[] = [];
    const broker = new BrokerController(
      { storePathRootDir: await tempDir(), listenPort: 0, ...SMALL_STORE },
      { logger: silentLogger, observer: { connection: (event) => seen.push(event.open) } },
    );
    await broker.start();
    try {
      const client = await connect(broker.listenPort);
      await waitFor(() => seen.length === 1, 5000, "the open event");
      await client.close();
      await waitFor(() => seen.length === 2, 5000, "the close event");
      expect(seen).toEqual([true, false]);
    } finally {
      await broker.shutdown();
    }
  });

  it("runs timed delivery: a timer message reaches its topic at its time, and the retry copy of a revived pop gets a topic", async () => {
    const { broker } = await startBroker();
    await broker.getTopicQueues("later"); // as the proxy's SendMessage does before it stores
    const put = await broker.timerMessageService.putTimerMessage(
      { topic: "later", queueId: 0, body: Buffer.from("due") },
      Date.now() + 300,
    );
    expect(put.status).toBe("PUT_OK");
    await waitFor(
      () => broker.messageStore.getMaxOffsetInQueue("later", 0) === 1,
      5000,
      "the timer message delivered",
    );

    const popped = await broker.popService.pop({
      group: "GID_revive",
      topic: "later",
      maxMessages: 1,
      invisibleTimeMs: 1000,
      pollTimeMs: 2000,
    });
    expect(popped.messages).toHaveLength(1);
    await waitFor(
      () => broker.topicConfigManager.selectTopicConfig("%RETRY%GID_revive") !== undefined,
      10_000,
      "the retry topic config",
    );
    const again = await broker.popService.pop({
      group: "GID_revive",
      topic: "later",
      maxMessages: 1,
      invisibleTimeMs: 60_000,
      pollTimeMs: 5000,
    });
    expect(again.messages.map((m) => [m.message.body.toString(), m.deliveryAttempt])).toEqual([
      ["due", 2],
    ]);
  });
});
