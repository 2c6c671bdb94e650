import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeMessage } from "@store/message-codec";
import { peerAddress, SendMessageActivity } from "../src/send-message-activity.js";
import type { ProxyEnvironment } from "./proxy-test-kit.js";
import { silentLogger, startProxy, waitFor } from "./proxy-test-kit.js";

let env: ProxyEnvironment;
let activity: SendMessageActivity;

beforeEach(async () => {
  env = await startProxy({ broker: { topics: { T: 4 } } });
  activity = new SendMessageActivity(
    env.broker,
    { maxBodySize: 1024, maxDelayMs: 60_000, maxUserPropertySize: 100, maxMessagesPerRequest: 2 },
    silentLogger,
  );
});
afterEach(() => env.destroy());

function message(
  id: string,
  system: Record<string, unknown> = {},
  rest: Record<string, unknown> = {},
): object {
  return {
    topic: { name: "T" },
    body: Buffer.from(`body ${id}`),
    system_properties: { message_id: id, ...system },
    ...rest,
  };
}

describe("SendMessageActivity", () => {
  it("stores tag, keys, user properties, the client's id as UNIQ_KEY and the hostname as __BORNHOST", async () => {
    const born = { seconds: 1_700_000_000, nanos: 5_000_000 };
    const response = await activity.sendMessage(
      {
        messages: [
          message(
            "ID1",
            { tag: "A", keys: ["k1", "k2"], born_host: "laptop", born_timestamp: born },
            { user_properties: { p: "v" } },
          ),
        ],
      },
      "127.0.0.1:4567",
    );
    expect(response.status.code).toBe("OK");
    await waitFor(() => env.store.getMaxOffsetInQueue("T", 0) === 1);
    const stored = decodeMessage((await env.store.getMessage("c", "T", 0, 0, 1)).messages[0]!);
    if (!stored.ok) throw new Error(stored.reason);
    expect(stored.message.tags).toBe("A");
    expect(stored.message.keys).toBe("k1 k2");
    expect(stored.message.properties).toMatchObject({
      p: "v",
      UNIQ_KEY: "ID1",
      __BORNHOST: "laptop",
    });
    expect(stored.message.bornHost).toBe("127.0.0.1:4567");
    expect(stored.message.bornTimestamp).toBe(1_700_000_000_005);
  });

  it("puts every message of one message group into the same queue", async () => {
    for (let i = 0; i < 6; i++) {
      const response = await activity.sendMessage(
        { messages: [message(`F${i}`, { message_group: "order-7", message_type: "FIFO" })] },
        "",
      );
      expect(response.status.code).toBe("OK");
    }
    await waitFor(
      () => [0, 1, 2, 3].reduce((sum, q) => sum + env.store.getMaxOffsetInQueue("T", q), 0) === 6,
    );
    expect([0, 1, 2, 3].map((q) => env.store.getMaxOffsetInQueue("T", q)).sort()).toEqual([
      0, 0, 0, 6,
    ]);
  });

  it("parks a message with a future delivery timestamp in the timer", async () => {
    const at = Date.now() + 30_000;
    const response = await activity.sendMessage(
      { messages: [message("D1", { delivery_timestamp: { seconds: Math.floor(at / 1000) } })] },
      "",
    );
    expect(response.status.code).toBe("OK");
    expect(env.broker.timerMessageService.pendingCount).toBe(1);
    expect([0, 1, 2, 3].map((q) => env.store.getMaxOffsetInQueue("T", q))).toEqual([0, 0, 0, 0]);
  });

  it("answers one entry per message, and MULTIPLE_RESULTS when they differ", async () => {
    const response = await activity.sendMessage({ messages: [message("OK1"), message("")] }, "");
    expect(response.status.code).toBe("MULTIPLE_RESULTS");
    expect(response.entries.map((entry) => entry.status.code)).toEqual([
      "OK",
      "ILLEGAL_MESSAGE_ID",
    ]);
    expect(
      (await activity.sendMessage({ messages: [message("a"), message("b"), message("c")] }, ""))
        .status.code,
    ).toBe("BAD_REQUEST");
  });

  it("reads ip:port out of grpc-js peer strings", () => {
    expect(peerAddress("127.0.0.1:34090")).toBe("127.0.0.1:34090");
    expect(peerAddress("ipv4:10.1.2.3:80")).toBe("10.1.2.3:80");
    expect(peerAddress("[::1]:5000")).toBe("[::1]:5000");
    expect(peerAddress("unix:/tmp/x")).toBeUndefined();
  });
});
