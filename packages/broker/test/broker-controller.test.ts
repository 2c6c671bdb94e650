import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { decodeMessages } from "@store/message-codec";
import { describe, expect, it } from "vitest";
import { BrokerController, encodeBatchBody, RequestCode, ResponseCode } from "../src/index.js";
import { connect, props, pull, send, SMALL_STORE, startBroker } from "./broker-fixture.js";
import { silentLogger, tempDir, waitFor } from "./helpers.js";

/** Waits until the store has dispatched `count` messages to the queue (puts are dispatched asynchronously). */
function dispatched(
  broker: BrokerController,
  topic: string,
  count: number,
  queueId = 0,
): Promise<void> {
  return waitFor(
    () => broker.messageStore.getMaxOffsetInQueue(topic, queueId) >= count,
    5000,
    `${count} messages in ${topic}/${queueId}`,
  );
}

function bodies(body: Buffer | null): string[] {
  const decoded = decodeMessages(body ?? Buffer.alloc(0));
  return decoded.messages.map((message) => message.body.toString());
}

describe("BrokerController", () => {
  it("stores a SEND_MESSAGE_V2 and answers msgId, queueId and queueOffset; a pull returns it", async () => {
    const { client, broker } = await startBroker();
    const sent = await send(client, "orders", "hello", {
      queueId: 2,
      properties: props({ TAGS: "TagA", KEYS: "k1 k2" }),
    });
    expect(sent.code).toBe(ResponseCode.SUCCESS);
    expect(sent.extFields).toMatchObject({ queueId: "2", queueOffset: "0" });
    expect(sent.extFields.msgId).toMatch(/^7F000001[0-9A-F]{24}$/);
    expect(broker.topicConfigManager.selectTopicConfig("orders")?.writeQueueNums).toBe(4);
    const got = await pull(client, "orders", 0, { queueId: 2 });
    expect(got.code).toBe(ResponseCode.SUCCESS);
    expect(got.extFields).toMatchObject({
      nextBeginOffset: "1",
      minOffset: "0",
      maxOffset: "1",
      suggestWhichBrokerId: "0",
    });
    const [message] = decodeMessages(got.body ?? Buffer.alloc(0)).messages;
    expect(message?.body.toString()).toBe("hello");
    expect(message?.tags).toBe("TagA");
    expect(message?.keys).toBe("k1 k2");
    expect(message?.msgId).toBe(sent.extFields.msgId);
  });

  it("holds a pull at the end of the queue and answers it when a message arrives", async () => {
    const { client } = await startBroker();
    const held = pull(client, "orders", 0, { suspendTimeoutMillis: 15_000 });
    let answered = false;
    void held.then(() => (answered = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBe(false);
    await send(client, "orders", "wake up");
    const got = await held;
    expect(got.code).toBe(ResponseCode.SUCCESS);
    expect(bodies(got.body)).toEqual(["wake up"]);
  });

  it("answers a held pull PULL_NOT_FOUND with nextBeginOffset once its suspend time passes", async () => {
    const { client, broker } = await startBroker();
    await send(client, "orders", "one");
    await dispatched(broker, "orders", 1);
    const started = Date.now();
    const got = await pull(client, "orders", 1, { suspendTimeoutMillis: 200 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(got.code).toBe(ResponseCode.PULL_NOT_FOUND);
    expect(got.extFields).toMatchObject({ nextBeginOffset: "1", maxOffset: "1" });
  });

  it("filters by tag hash and still moves past the skipped messages", async () => {
    const { client, broker } = await startBroker();
    for (const tag of ["TagA", "TagB", "TagC", "TagB"])
      await send(client, "orders", tag, { properties: props({ TAGS: tag }) });
    await dispatched(broker, "orders", 4);
    const got = await pull(client, "orders", 0, { subscription: "TagA || TagC" });
    expect(bodies(got.body)).toEqual(["TagA", "TagC"]);
    expect(got.extFields.nextBeginOffset).toBe("4");
    const none = await pull(client, "orders", 3, { subscription: "TagA", suspendTimeoutMillis: 0 });
    expect(none.code).toBe(ResponseCode.PULL_RETRY_IMMEDIATELY);
    expect(none.extFields.nextBeginOffset).toBe("4");
  });

  it("refuses bad header fields with a remark naming the field, and keeps serving", async () => {
    const { client } = await startBroker();
    await send(client, "orders", "x");
    const badQueue = await pull(client, "orders", 0, { queueId: 9 });
    expect(badQueue.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(badQueue.remark).toMatch(/^queueId/);
    const negative = await client.invoke(RequestCode.PULL_MESSAGE, {
      consumerGroup: "g",
      topic: "orders",
      queueId: "0",
      queueOffset: "-5",
      maxMsgNums: "32",
      sysFlag: "0",
    });
    expect(negative.remark).toMatch(/^queueOffset: expected an integer/);
    const notNumber = await client.invoke(
      RequestCode.SEND_MESSAGE_V2,
      { a: "p", b: "orders", e: "zero", g: "1" },
      Buffer.from("x"),
    );
    expect(notNumber.remark).toMatch(/^queueId/);
    const sendBadQueue = await send(client, "orders", "x", { queueId: 4 });
    expect(sendBadQueue.code).toBe(ResponseCode.INVALID_PARAMETER);
    expect(sendBadQueue.remark).toMatch(/^queueId/);
    const badTopic = await send(client, "../escape", "x");
    expect(badTopic.code).toBe(ResponseCode.INVALID_PARAMETER);
    expect(badTopic.remark).toMatch(/^topic/);
    expect((await send(client, "orders", "still fine")).code).toBe(ResponseCode.SUCCESS);
  });

  it("stores a SEND_BATCH_MESSAGE as consecutive messages", async () => {
    const { client, broker } = await startBroker();
    const body = encodeBatchBody([
      { flag: 0, body: Buffer.from("b1"), properties: props({ TAGS: "T1" }) },
      { flag: 0, body: Buffer.from("b2"), properties: "" },
    ]);
    const sent = await client.invoke(
      RequestCode.SEND_BATCH_MESSAGE,
      {
        a: "p",
        b: "batch",
        c: "TBW102",
        d: "4",
        e: "1",
        f: "0",
        g: String(Date.now()),
        h: "0",
        i: "",
        j: "0",
        k: "false",
        m: "true",
      },
      body,
    );
    expect(sent.code).toBe(ResponseCode.SUCCESS);
    expect(sent.extFields.msgId?.split(",")).toHaveLength(2);
    await dispatched(broker, "batch", 2, 1);
    expect(bodies((await pull(client, "batch", 0, { queueId: 1 })).body)).toEqual(["b1", "b2"]);
  });

  it("answers the offset queries and VIEW_MESSAGE_BY_ID", async () => {
    const { client, broker } = await startBroker();
    const before = Date.now();
    const sent = await send(client, "orders", "first");
    await send(client, "orders", "second");
    await dispatched(broker, "orders", 2);
    const max = await client.invoke(RequestCode.GET_MAX_OFFSET, { topic: "orders", queueId: "0" });
    expect(max.extFields.offset).toBe("2");
    const min = await client.invoke(RequestCode.GET_MIN_OFFSET, { topic: "orders", queueId: "0" });
    expect(min.extFields.offset).toBe("0");
    const search = await client.invoke(RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, {
      topic: "orders",
      queueId: "0",
      timestamp: String(before + 60_000),
    });
    expect(search.extFields.offset).toBe("2");
    const earliest = await client.invoke(RequestCode.GET_EARLIEST_MSG_STORETIME, {
      topic: "orders",
      queueId: "0",
    });
    expect(Number(earliest.extFields.timestamp)).toBeGreaterThanOrEqual(before);
    const offset = Number.parseInt((sent.extFields.msgId ?? "").slice(16), 16);
    const view = await client.invoke(RequestCode.VIEW_MESSAGE_BY_ID, { offset: String(offset) });
    expect(bodies(view.body)).toEqual(["first"]);
  });

  it("registers consumers by heartbeat, lists the group and tells the others when one joins", async () => {
    const { client, broker } = await startBroker();
    const heartbeat = (clientID: string) =>
      Buffer.from(
        JSON.stringify({
          clientID,
          consumerDataSet: [
            {
              groupName: "GID_A",
              consumeType: "CONSUME_PASSIVELY",
              messageModel: "CLUSTERING",
              consumeFromWhere: "CONSUME_FROM_LAST_OFFSET",
              subscriptionDataSet: [{ topic: "orders", subString: "*" }],
            },
          ],
          producerDataSet: [],
        }),
      );
    expect((await client.invoke(RequestCode.HEART_BEAT, {}, heartbeat("c1"))).code).toBe(
      ResponseCode.SUCCESS,
    );
    expect(broker.topicConfigManager.selectTopicConfig("%RETRY%GID_A")?.writeQueueNums).toBe(1);
    const second = await connect(broker.listenPort);
    await second.invoke(RequestCode.HEART_BEAT, {}, heartbeat("c2"));
    await waitFor(() => client.requestsFromServer.length === 1);
    expect(client.requestsFromServer[0]).toMatchObject({
      code: RequestCode.NOTIFY_CONSUMER_IDS_CHANGED,
      extFields: { consumerGroup: "GID_A" },
    });
    expect(client.requestsFromServer[0]?.isOneway).toBe(true);
    const list = await client.invoke(RequestCode.GET_CONSUMER_LIST_BY_GROUP, {
      consumerGroup: "GID_A",
    });
    expect(JSON.parse(list.body?.toString() ?? "")).toEqual({ consumerIdList: ["c1", "c2"] });
    await second.close();
    await waitFor(() => client.requestsFromServer.length === 2);
    const after = await client.invoke(RequestCode.GET_CONSUMER_LIST_BY_GROUP, {
      consumerGroup: "GID_A",
    });
    expect(JSON.parse(after.body?.toString() ?? "")).toEqual({ consumerIdList: ["c1"] });
    await client.invoke(RequestCode.UNREGISTER_CLIENT, { clientID: "c1", consumerGroup: "GID_A" });
    expect(
      (await client.invoke(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: "GID_A" }))
        .code,
    ).toBe(ResponseCode.SYSTEM_ERROR);
  });

  it("commits offsets (ignoring -1), answers them, and keeps them across a restart", async () => {
    const dir = await tempDir();
    const first = await startBroker({}, dir);
    await send(first.client, "orders", "m");
    const fresh = await first.client.invoke(RequestCode.QUERY_CONSUMER_OFFSET, {
      consumerGroup: "g",
      topic: "orders",
      queueId: "0",
    });
    expect(fresh.extFields.offset).toBe("0");
    await first.client.invoke(RequestCode.UPDATE_CONSUMER_OFFSET, {
      consumerGroup: "g",
      topic: "orders",
      queueId: "0",
      commitOffset: "1",
    });
    await first.client.invoke(RequestCode.UPDATE_CONSUMER_OFFSET, {
      consumerGroup: "g",
      topic: "orders",
      queueId: "0",
      commitOffset: "-1",
    });
    await pull(first.client, "orders", 1, {
      queueId: 1,
      sysFlag: 7,
      commitOffset: 0,
      suspendTimeoutMillis: 0,
    });
    await first.broker.shutdown();
    const json = JSON.parse(
      await readFile(join(dir, "config", "consumerOffset.json"), "utf8"),
    ) as unknown;
    expect(json).toEqual({
      offsetTable: { "orders@g": { "0": 1 }, "orders@GID_TEST": { "1": 0 } },
    });
    const again = new BrokerController(
      { storePathRootDir: dir, listenPort: 0, ...SMALL_STORE },
      { logger: silentLogger },
    );
    await again.start();
    try {
      const client = await connect(again.listenPort);
      const stored = await client.invoke(RequestCode.QUERY_CONSUMER_OFFSET, {
        consumerGroup: "g",
        topic: "orders",
        queueId: "0",
      });
      expect(stored.extFields.offset).toBe("1");
    } finally {
      await again.shutdown();
    }
  });

  it("locks queues for one client until it unlocks them", async () => {
    const { client } = await startBroker({ brokerName: "broker-x" });
    const body = (clientId: string) =>
      Buffer.from(
        JSON.stringify({
          consumerGroup: "g",
          clientId,
          mqSet: [
            { topic: "t", brokerName: "broker-x", queueId: 0 },
            { topic: "t", brokerName: "broker-x", queueId: 1 },
          ],
        }),
      );
    const a = await client.invoke(RequestCode.LOCK_BATCH_MQ, {}, body("a"));
    expect(
      (JSON.parse(a.body?.toString() ?? "") as { lockOKMQSet: unknown[] }).lockOKMQSet,
    ).toHaveLength(2);
    const b = await client.invoke(RequestCode.LOCK_BATCH_MQ, {}, body("b"));
    expect(JSON.parse(b.body?.toString() ?? "")).toEqual({ lockOKMQSet: [] });
    await client.invoke(RequestCode.UNLOCK_BATCH_MQ, {}, body("a"));
    const c = await client.invoke(RequestCode.LOCK_BATCH_MQ, {}, body("b"));
    expect(
      (JSON.parse(c.body?.toString() ?? "") as { lockOKMQSet: unknown[] }).lockOKMQSet,
    ).toHaveLength(2);
  });

  it("answers GET_ROUTEINFO_BY_TOPIC on its own port and the name server's, for any topic", async () => {
    const { client, broker, namesrv } = await startBroker();
    await send(client, "orders", "x");
    const route = JSON.parse(
      (
        await client.invoke(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: "orders" })
      ).body?.toString() ?? "",
    ) as {
      queueDatas: { writeQueueNums: number }[];
      brokerDatas: { brokerAddrs: Record<string, string> }[];
    };
    expect(route.queueDatas[0]?.writeQueueNums).toBe(4);
    expect(route.brokerDatas[0]?.brokerAddrs["0"]).toBe(`127.0.0.1:${broker.listenPort}`);
    const nsClient = await connect(namesrv.listenPort);
    const retry = JSON.parse(
      (
        await nsClient.invoke(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: "%RETRY%GID_NEW" })
      ).body?.toString() ?? "",
    ) as { queueDatas: { writeQueueNums: number }[] };
    expect(retry.queueDatas[0]?.writeQueueNums).toBe(1);
    const cluster = JSON.parse(
      (await nsClient.invoke(RequestCode.GET_BROKER_CLUSTER_INFO)).body?.toString() ?? "",
    ) as { clusterAddrTable: Record<string, string[]> };
    expect(cluster.clusterAddrTable).toEqual({ DefaultCluster: ["broker-a"] });
    await broker.shutdown();
    expect(
      (await nsClient.invoke(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: "orders" })).code,
    ).toBe(ResponseCode.TOPIC_NOT_EXIST);
  });
});
