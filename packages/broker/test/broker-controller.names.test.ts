import { mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  BrokerController,
  RemotingClient,
  RemotingCommand,
  RequestCode,
  ResponseCode,
} from "../src/index.js";
import { SMALL_STORE } from "./broker-fixture.js";
import { namesrv, running } from "./cluster-fixture.js";
import { silentLogger, tempDir } from "./helpers.js";

const VALID_NAME = /^[%|a-zA-Z0-9_-]{1,127}$/;
const BAD_NAMES = [
  "../x",
  "a/b",
  "/abs",
  "..",
  "",
  "x".repeat(300),
  "%RETRY%../x",
  "a\u0000b",
  "..\\y",
  "%DLQ%/z",
];

/** Every path under `dir`, relative to it. */
async function walk(dir: string, prefix = ""): Promise<string[]> {
  const paths: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    paths.push(join(prefix, entry.name));
    if (entry.isDirectory())
      paths.push(...(await walk(join(dir, entry.name), join(prefix, entry.name))));
  }
  return paths;
}

function props(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}\u0001${value}\u0002`)
    .join("");
}

/** Every request a client can send that names a topic or a group, with `name` in each place. */
function requestsNaming(name: string, offset: number): RemotingCommand[] {
  const request = (code: number, fields: Record<string, string>, body: Buffer | null = null) =>
    RemotingCommand.request(code, 0, fields, body);
  const v2 = { a: "PID", c: "TBW102", d: "4", e: "0", f: "0", g: "0", h: "0", j: "0", k: "false" };
  const heartbeat = {
    clientID: "c",
    consumerDataSet: [
      {
        groupName: name,
        consumeType: "CONSUME_PASSIVELY",
        messageModel: "CLUSTERING",
        consumeFromWhere: "CONSUME_FROM_LAST_OFFSET",
        subscriptionDataSet: [{ topic: name, subString: "*" }],
      },
    ],
    producerDataSet: [{ groupName: name }],
  };
  const lock = {
    consumerGroup: name,
    clientId: "c",
    onlyThisBroker: false,
    mqSet: [{ topic: name, brokerName: "broker-a", queueId: 0 }],
  };
  return [
    request(
      RequestCode.SEND_MESSAGE,
      {
        producerGroup: "PID",
        topic: name,
        defaultTopic: "TBW102",
        defaultTopicQueueNums: "4",
        queueId: "0",
        sysFlag: "0",
        bornTimestamp: "0",
        flag: "0",
      },
      Buffer.from("x"),
    ),
    request(RequestCode.SEND_MESSAGE_V2, { ...v2, b: name, i: "" }, Buffer.from("x")),
    request(RequestCode.SEND_BATCH_MESSAGE, { ...v2, b: name, i: "", m: "true" }, Buffer.from("x")),
    // a retry-topic send for the bad group; a delayed send whose real topic is the bad name
    request(
      RequestCode.SEND_MESSAGE_V2,
      { ...v2, b: `%RETRY%${name}`, i: "", l: "1" },
      Buffer.from("x"),
    ),
    request(
      RequestCode.SEND_MESSAGE_V2,
      { ...v2, b: name, i: props({ DELAY: "1", REAL_TOPIC: "Good", REAL_QID: "0" }) },
      Buffer.from("x"),
    ),
    request(RequestCode.PULL_MESSAGE, {
      consumerGroup: name,
      topic: name,
      queueId: "0",
      queueOffset: "0",
      maxMsgNums: "32",
      sysFlag: "0",
      commitOffset: "0",
      suspendTimeoutMillis: "0",
    }),
    request(RequestCode.PULL_MESSAGE, {
      consumerGroup: "GID_OK",
      topic: name,
      queueId: "0",
      queueOffset: "0",
      maxMsgNums: "32",
      sysFlag: "0",
      commitOffset: "0",
      suspendTimeoutMillis: "0",
    }),
    request(RequestCode.UPDATE_AND_CREATE_TOPIC, {
      topic: name,
      readQueueNums: "4",
      writeQueueNums: "4",
      perm: "6",
    }),
    request(RequestCode.CONSUMER_SEND_MSG_BACK, {
      offset: String(offset),
      group: name,
      delayLevel: "0",
    }),
    request(RequestCode.CONSUMER_SEND_MSG_BACK, {
      offset: String(offset),
      group: name,
      delayLevel: "-1",
    }),
    request(RequestCode.HEART_BEAT, {}, Buffer.from(JSON.stringify(heartbeat))),
    request(RequestCode.UPDATE_CONSUMER_OFFSET, {
      consumerGroup: name,
      topic: "Good",
      queueId: "0",
      commitOffset: "1",
    }),
    request(RequestCode.UPDATE_CONSUMER_OFFSET, {
      consumerGroup: "GID_OK",
      topic: name,
      queueId: "0",
      commitOffset: "1",
    }),
    request(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: name, topic: name, queueId: "0" }),
    request(RequestCode.GET_MAX_OFFSET, { topic: name, queueId: "0" }),
    request(RequestCode.GET_MIN_OFFSET, { topic: name, queueId: "0" }),
    request(RequestCode.GET_EARLIEST_MSG_STORETIME, { topic: name, queueId: "0" }),
    request(RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, { topic: name, queueId: "0", timestamp: "0" }),
    request(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: name }),
    request(RequestCode.UNREGISTER_CLIENT, {
      clientID: "c",
      producerGroup: name,
      consumerGroup: name,
    }),
    request(RequestCode.LOCK_BATCH_MQ, {}, Buffer.from(JSON.stringify(lock))),
    request(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: name }),
  ];
}

describe("BrokerController and names from the network", () => {
  it("never creates a file or directory outside the store, nor one named by an invalid topic or group", async () => {
    const root = await tempDir("broker-names-");
    const store = join(root, "store");
    await mkdir(store);
    const server = await namesrv();
    const broker = new BrokerController(
      { storePathRootDir: store, listenPort: 0, ...SMALL_STORE },
      { namesrv: server, logger: silentLogger },
    );
    await broker.start();
    running.push(broker);
    const client = await RemotingClient.connect({ port: broker.listenPort });
    running.push({ shutdown: () => client.close() });
    const good = await client.invoke(
      RemotingCommand.request(
        RequestCode.SEND_MESSAGE_V2,
        0,
        {
          a: "PID",
          b: "Good",
          c: "TBW102",
          d: "4",
          e: "0",
          f: "0",
          g: "0",
          h: "0",
          i: "",
          j: "0",
          k: "false",
        },
        Buffer.from("x"),
      ),
    );
    expect(good.code).toBe(ResponseCode.SUCCESS);
    // the msgId's last 16 hex digits are the commit-log offset (a real message for the send-backs)
    const offset = parseInt((good.extFields.msgId ?? "").slice(-16), 16);
    expect(Number.isSafeInteger(offset)).toBe(true);
    const codes = new Map<string, number>();
    for (const name of BAD_NAMES) {
      for (const [index, request] of requestsNaming(name, offset).entries()) {
        const response = await client.invoke(request);
        codes.set(`${index}:${request.code}:${name.slice(0, 12)}`, response.code);
      }
    }
    // sends, pulls, topic creation and send-backs naming a bad topic or group are refused (a send to
    // "%RETRY%" + "" is not: that is a valid name)
    const refused = [...codes].filter(([key]) => /^(0|1|2|4|5|6|7|8|9):/.test(key));
    expect(refused.filter(([, code]) => code === ResponseCode.SUCCESS)).toEqual([]);
    const again = await client.invoke(
      RemotingCommand.request(
        RequestCode.SEND_MESSAGE_V2,
        0,
        {
          a: "PID",
          b: "Good",
          c: "TBW102",
          d: "4",
          e: "0",
          f: "0",
          g: "0",
          h: "0",
          i: "",
          j: "0",
          k: "false",
        },
        Buffer.from("y"),
      ),
    );
    expect(again.code).toBe(ResponseCode.SUCCESS);
    await broker.shutdown();
    expect(await readdir(root)).toEqual(["store"]);
    // every path in the store is one the store's layout names, consume queues under valid topic names only
    const layout = [
      /^(checkpoint|lock|abort)$/,
      /^commitlog(\/\d{20})?$/,
      /^config(\/[A-Za-z]+\.json)?$/,
      /^consumequeue(\/[%|a-zA-Z0-9_-]{1,127}(\/\d{1,4}(\/\d{20})?)?)?$/,
      /^index(\/\d{17})?$/,
    ];
    const paths = await walk(store);
    expect(paths.filter((path) => !layout.some((pattern) => pattern.test(path)))).toEqual([]);
    expect(paths).toContain("consumequeue/Good/0/00000000000000000000");
    const topics = JSON.parse(await readFile(join(store, "config", "topics.json"), "utf8")) as {
      topicConfigTable: Record<string, unknown>;
    };
    expect(Object.keys(topics.topicConfigTable).filter((topic) => !VALID_NAME.test(topic))).toEqual(
      [],
    );
    const offsets = JSON.parse(
      await readFile(join(store, "config", "consumerOffset.json"), "utf8").catch(() => "{}"),
    ) as { offsetTable?: Record<string, unknown> };
    for (const key of Object.keys(offsets.offsetTable ?? {}))
      expect(key.split("@").every((part) => VALID_NAME.test(part))).toBe(true);
    expect(codes.size).toBe(BAD_NAMES.length * requestsNaming("x", 0).length);
  });
});
