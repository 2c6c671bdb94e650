import { decodeMessages } from "@store/message-codec";
import { describe, expect, it } from "vitest";
import { RequestCode, ResponseCode } from "../src/index.js";
import { props, pull, send, startBroker } from "./broker-fixture.js";
import { waitFor } from "./helpers.js";

describe("ConsumerSendBack", () => {
  it("re-delivers through %RETRY%<group> with a growing reconsumeTimes, then parks it in %DLQ%<group>", async () => {
    const { client, broker } = await startBroker({
      messageDelayLevel: "100ms 100ms 100ms 100ms 100ms",
      maxReconsumeTimes: 2,
    });
    await send(client, "orders", "flaky", { properties: props({ TAGS: "T" }) });
    await waitFor(() => broker.messageStore.getMaxOffsetInQueue("orders", 0) === 1);
    const original = decodeMessages((await pull(client, "orders", 0)).body ?? Buffer.alloc(0))
      .messages[0];
    let current = original;
    for (let attempt = 1; attempt <= 2; attempt++) {
      const back = await client.invoke(RequestCode.CONSUMER_SEND_MSG_BACK, {
        offset: String(current?.physicalOffset),
        group: "GID_R",
        delayLevel: "0",
        originMsgId: original?.msgId ?? "",
        originTopic: "orders",
        unitMode: "false",
      });
      expect(back.code).toBe(ResponseCode.SUCCESS);
      const got = await pull(client, "%RETRY%GID_R", attempt - 1, { group: "GID_R" });
      current = decodeMessages(got.body ?? Buffer.alloc(0)).messages[0];
      expect(current?.topic).toBe("%RETRY%GID_R");
      expect(current?.reconsumeTimes).toBe(attempt);
      expect(current?.properties.RETRY_TOPIC).toBe("orders");
      expect(current?.properties.ORIGIN_MESSAGE_ID).toBe(original?.msgId);
      expect(current?.body.toString()).toBe("flaky");
    }
    const last = await client.invoke(RequestCode.CONSUMER_SEND_MSG_BACK, {
      offset: String(current?.physicalOffset),
      group: "GID_R",
      delayLevel: "0",
    });
    expect(last.code).toBe(ResponseCode.SUCCESS);
    await waitFor(() => broker.messageStore.getMaxOffsetInQueue("%DLQ%GID_R", 0) === 1);
    const dlq = decodeMessages(
      (await pull(client, "%DLQ%GID_R", 0, { group: "admin" })).body ?? Buffer.alloc(0),
    ).messages[0];
    expect(dlq?.reconsumeTimes).toBe(3);
    expect(dlq?.properties.ORIGIN_MESSAGE_ID).toBe(original?.msgId);
  });

  it("answers SYSTEM_ERROR for an offset where no message starts", async () => {
    const { client } = await startBroker();
    const back = await client.invoke(RequestCode.CONSUMER_SEND_MSG_BACK, {
      offset: "123456",
      group: "g",
      delayLevel: "0",
    });
    expect(back.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(back.remark).toContain("123456");
  });
});
