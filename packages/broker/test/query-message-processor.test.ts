import { decodeMessages } from "@store/message-codec";
import { afterEach, describe, expect, it } from "vitest";
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from "../src/index.js";
import type { BrokerController } from "../src/index.js";
import { props, send, startBroker } from "./broker-fixture.js";
import { waitFor } from "./helpers.js";

const clients: RemotingClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

let opaque = 1;

/** QUERY_MESSAGE as a Java client's MQAdminImpl sends it (mqadmin queryMsgByKey: 0 to Long.MAX_VALUE). */
function queryMessage(
  client: RemotingClient,
  topic: string,
  key: string,
  extra: Record<string, string> = {},
): Promise<RemotingCommand> {
  const fields = {
    topic,
    key,
    maxNum: "32",
    beginTimestamp: "0",
    endTimestamp: "9223372036854775807",
    ...extra,
  };
  return client.invoke(RemotingCommand.request(RequestCode.QUERY_MESSAGE, opaque++, fields));
}

function bodies(response: RemotingCommand): string[] {
  const decoded = decodeMessages(response.body ?? Buffer.alloc(0));
  expect(decoded.failure).toBeUndefined();
  return decoded.messages.map((message) => message.body.toString());
}

async function connect(broker: BrokerController): Promise<RemotingClient> {
  const client = await RemotingClient.connect({ port: broker.listenPort });
  clients.push(client);
  return client;
}

function dispatched(broker: BrokerController, topic: string, count: number): Promise<void> {
  return waitFor(
    () => broker.messageStore.getMaxOffsetInQueue(topic, 0) >= count,
    5000,
    `${count} messages in ${topic}`,
  );
}

describe("QueryMessageProcessor", () => {
  it("QUERY_MESSAGE finds messages by a key of KEYS and by UNIQ_KEY, with the index's last update", async () => {
    const { client: sender, broker } = await startBroker();
    await send(sender, "orders", "first", {
      properties: props({ KEYS: "order-1 customer-9", UNIQ_KEY: "AC110001000018B4AAC2" }),
    });
    await send(sender, "orders", "second", {
      properties: props({ KEYS: "order-2 customer-9", UNIQ_KEY: "AC110001000018B4AAC3" }),
    });
    await send(sender, "refunds", "third", { properties: props({ KEYS: "customer-9" }) });
    await dispatched(broker, "orders", 2);
    await dispatched(broker, "refunds", 1);
    const client = await connect(broker);

    const byKey = await queryMessage(client, "orders", "customer-9");
    expect(byKey.code).toBe(ResponseCode.SUCCESS);
    expect(bodies(byKey)).toEqual(["first", "second"]);
    expect(Number(byKey.extFields.indexLastUpdatePhyoffset)).toBe(
      broker.messageStore.getMaxPhyOffset(),
    );
    expect(Number(byKey.extFields.indexLastUpdateTimestamp)).toBeGreaterThan(0);

    const byUniqKey = await queryMessage(client, "orders", "AC110001000018B4AAC3", {
      _UNIQUE_KEY_QUERY: "true",
      maxNum: "1",
    });
    expect(bodies(byUniqKey)).toEqual(["second"]);
    expect(bodies(await queryMessage(client, "orders", "order-1"))).toEqual(["first"]);
    expect(bodies(await queryMessage(client, "orders", "customer-9", { maxNum: "1" }))).toEqual([
      "second",
    ]);
  });

  it("QUERY_MESSAGE answers QUERY_NOT_FOUND for a key nobody sent or outside the time range", async () => {
    const { client: sender, broker } = await startBroker();
    const before = Date.now();
    await send(sender, "orders", "first", { properties: props({ KEYS: "order-1" }) });
    await dispatched(broker, "orders", 1);
    const client = await connect(broker);
    const missing = await queryMessage(client, "orders", "order-404");
    expect(missing).toMatchObject({
      code: ResponseCode.QUERY_NOT_FOUND,
      remark: "can not find message, maybe time range not correct",
    });
    expect(missing.extFields).toHaveProperty("indexLastUpdateTimestamp");
    const earlier = await queryMessage(client, "orders", "order-1", {
      beginTimestamp: "0",
      endTimestamp: String(before - 10_000),
    });
    expect(earlier.code).toBe(ResponseCode.QUERY_NOT_FOUND);
  });

  it("QUERY_MESSAGE refuses a bad header field, naming it", async () => {
    const { broker } = await startBroker();
    const client = await connect(broker);
    for (const [fields, field] of [
      [{ maxNum: "0" }, "maxNum"],
      [{ maxNum: "many" }, "maxNum"],
      [{ beginTimestamp: "yesterday" }, "beginTimestamp"],
      [{ endTimestamp: "99999999999999999999" }, "endTimestamp"],
    ] as const) {
      const response = await queryMessage(client, "orders", "k", fields);
      expect(response.code).toBe(ResponseCode.SYSTEM_ERROR);
      expect(response.remark).toMatch(new RegExp(`^${field}: `));
    }
    const noKey = await client.invoke(
      RemotingCommand.request(RequestCode.QUERY_MESSAGE, opaque++, {
        topic: "orders",
        maxNum: "1",
        beginTimestamp: "0",
        endTimestamp: "1",
      }),
    );
    expect(noKey.remark).toBe("key: required");
  });

  it("VIEW_MESSAGE_BY_ID still answers the record at a commit-log offset", async () => {
    const { client: sender, broker } = await startBroker();
    const sent = await send(sender, "orders", "viewed");
    const client = await connect(broker);
    const offset = Number.parseInt((sent.extFields.msgId ?? "").slice(16), 16);
    const view = await client.invoke(
      RemotingCommand.request(RequestCode.VIEW_MESSAGE_BY_ID, opaque++, { offset: String(offset) }),
    );
    expect(bodies(view)).toEqual(["viewed"]);
  });
});
