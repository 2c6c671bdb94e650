import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { decodeMessages, SCHEDULE_TOPIC } from "@store/message-codec";
import { describe, expect, it } from "vitest";
import { BrokerController, ResponseCode } from "../src/index.js";
import { connect, props, pull, send, SMALL_STORE, startBroker } from "./broker-fixture.js";
import { silentLogger, tempDir, waitFor } from "./helpers.js";

const FAST_LEVELS = "300ms 600ms 100ms 100ms 100ms 100ms";

describe("ScheduleMessageService", () => {
  it("delivers a DELAY message to its topic after its level's delay, not before", async () => {
    const { client, broker } = await startBroker({ messageDelayLevel: FAST_LEVELS });
    const sentAt = Date.now();
    const sent = await send(client, "orders", "later", {
      queueId: 1,
      properties: props({ TAGS: "T", DELAY: "2" }),
    });
    expect(sent.code).toBe(ResponseCode.SUCCESS);
    await waitFor(() => broker.messageStore.getMaxOffsetInQueue(SCHEDULE_TOPIC, 1) === 1);
    expect(broker.messageStore.getMaxOffsetInQueue("orders", 1)).toBe(0);
    const got = await pull(client, "orders", 0, { queueId: 1 });
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(590);
    const [message] = decodeMessages(got.body ?? Buffer.alloc(0)).messages;
    expect(message?.body.toString()).toBe("later");
    expect(message?.topic).toBe("orders");
    expect(message?.properties.REAL_TOPIC).toBeUndefined();
    expect(message?.properties.DELAY).toBeUndefined();
    expect(message?.tags).toBe("T");
  });

  it("keeps each level's progress in delayOffset.json and delivers what was due across a restart", async () => {
    const dir = await tempDir();
    const first = await startBroker({ messageDelayLevel: "1s 100ms" }, dir);
    await send(first.client, "orders", "before restart", { properties: props({ DELAY: "2" }) });
    await waitFor(() => first.broker.messageStore.getMaxOffsetInQueue("orders", 0) === 1);
    await send(first.client, "orders", "across restart", { properties: props({ DELAY: "1" }) });
    await waitFor(() => first.broker.messageStore.getMaxOffsetInQueue(SCHEDULE_TOPIC, 0) === 1);
    await first.broker.shutdown();
    const offsets = JSON.parse(await readFile(join(dir, "config", "delayOffset.json"), "utf8")) as {
      offsetTable: Record<string, number>;
    };
    expect(offsets.offsetTable["2"]).toBe(1);
    expect(offsets.offsetTable["1"] ?? 0).toBe(0);
    const again = new BrokerController(
      { storePathRootDir: dir, listenPort: 0, messageDelayLevel: "1s 100ms", ...SMALL_STORE },
      { logger: silentLogger },
    );
    await again.start();
    try {
      const client = await connect(again.listenPort);
      const got = await pull(client, "orders", 1);
      expect(
        decodeMessages(got.body ?? Buffer.alloc(0)).messages.map((m) => m.body.toString()),
      ).toEqual(["across restart"]);
      expect(again.messageStore.getMaxOffsetInQueue("orders", 0)).toBe(2);
    } finally {
      await again.shutdown();
    }
  });
});
