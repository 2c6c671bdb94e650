import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ProxyEnvironment } from "./proxy-test-kit.js";
import { startProxy, waitFor } from "./proxy-test-kit.js";
import { codeOf, RawClient } from "./raw-client.js";

let env: ProxyEnvironment;
let client: RawClient;

beforeEach(async () => {
  env = await startProxy({ broker: { autoCreateTopicEnable: false, topics: { T: 4 } } });
  client = new RawClient(env.endpoints);
});

afterEach(async () => {
  client.close();
  await env.destroy();
});

function sendRequest(
  overrides: Record<string, unknown> = {},
  system: Record<string, unknown> = {},
): object {
  return {
    messages: [
      {
        topic: { name: "T" },
        body: Buffer.from("hello"),
        system_properties: {
          message_id: "01AABBCCDDEEFF000000000000000001",
          message_type: "NORMAL",
          ...system,
        },
        ...overrides,
      },
    ],
  };
}

describe("GrpcProxy", () => {
  it("routes a topic with READ_WRITE queue 0 at the address the client reached", async () => {
    const endpoints = { scheme: "IPv4", addresses: [{ host: "127.0.0.1", port: env.proxy.port }] };
    const response = await client.call("QueryRoute", { topic: { name: "T" }, endpoints });
    expect(codeOf(response)).toBe("OK");
    const queues = response.message_queues as {
      id?: number;
      permission: string;
      broker: { endpoints: unknown };
      accept_message_types: string[];
    }[];
    expect(queues).toHaveLength(4);
    expect(queues[0]!.id ?? 0).toBe(0);
    expect(queues.every((q) => q.permission === "READ_WRITE")).toBe(true);
    expect(queues[0]!.broker.endpoints).toEqual(endpoints);
    expect(queues[0]!.accept_message_types).toContain("NORMAL");
  });

  it("answers TOPIC_NOT_FOUND for an unknown topic when auto-create is off, ILLEGAL_TOPIC for a bad name", async () => {
    expect(codeOf(await client.call("QueryRoute", { topic: { name: "Nope" } }))).toBe(
      "TOPIC_NOT_FOUND",
    );
    expect(codeOf(await client.call("QueryRoute", { topic: { name: "a/b" } }))).toBe(
      "ILLEGAL_TOPIC",
    );
    expect(codeOf(await client.call("QueryRoute", { topic: { name: "x".repeat(128) } }))).toBe(
      "ILLEGAL_TOPIC",
    );
  });

  it("answers NOT_IMPLEMENTED for what it does not implement, without hanging", async () => {
    expect(codeOf(await client.call("EndTransaction", { topic: { name: "T" } }))).toBe(
      "NOT_IMPLEMENTED",
    );
    expect(codeOf(await client.call("UpdateOffset", {}))).toBe("NOT_IMPLEMENTED");
    expect(codeOf(await client.call("RecallMessage", {}))).toBe("NOT_IMPLEMENTED");
    const pull = await client.stream("PullMessage", {});
    expect(codeOf(pull[0]!)).toBe("NOT_IMPLEMENTED");
  });

  it("sends and answers the client's message id and the queue offset, spreading over the write queues", async () => {
    const offsets: string[] = [];
    for (let i = 0; i < 8; i++) {
      const response = await client.call(
        "SendMessage",
        sendRequest({}, { message_id: `01AABBCCDDEEFF00000000000000000${i}` }),
      );
      expect(codeOf(response)).toBe("OK");
      const entry = (response.entries as { message_id: string; offset?: string }[])[0]!;
      expect(entry.message_id).toBe(`01AABBCCDDEEFF00000000000000000${i}`);
      offsets.push(entry.offset ?? "0");
    }
    await waitFor(() => [0, 1, 2, 3].every((q) => env.store.getMaxOffsetInQueue("T", q) === 2));
    expect(offsets).toEqual(["0", "0", "0", "0", "1", "1", "1", "1"]);
  });

  it("refuses bad messages with the protocol's codes and keeps serving", async () => {
    const codes = async (request: object): Promise<string | undefined> =>
      codeOf(await client.call("SendMessage", request));
    expect(await codes(sendRequest({}, { message_id: "" }))).toBe("ILLEGAL_MESSAGE_ID");
    expect(await codes(sendRequest({ body: Buffer.alloc(0) }))).toBe("MESSAGE_BODY_EMPTY");
    expect(await codes(sendRequest({ body: Buffer.alloc(4 * 1024 * 1024 + 1) }))).toBe(
      "MESSAGE_BODY_TOO_LARGE",
    );
    expect(await codes(sendRequest({}, { tag: "a||b" }))).toBe("ILLEGAL_MESSAGE_TAG");
    expect(await codes(sendRequest({}, { keys: ["has space"] }))).toBe("ILLEGAL_MESSAGE_KEY");
    expect(await codes(sendRequest({ user_properties: { UNIQ_KEY: "x" } }))).toBe(
      "ILLEGAL_MESSAGE_PROPERTY_KEY",
    );
    expect(await codes(sendRequest({ user_properties: { big: "v".repeat(17 * 1024) } }))).toBe(
      "MESSAGE_PROPERTIES_TOO_LARGE",
    );
    expect(await codes(sendRequest({}, { message_type: "TRANSACTION" }))).toBe("NOT_IMPLEMENTED");
    expect(
      await codes(
        sendRequest(
          {},
          { delivery_timestamp: { seconds: Math.floor(Date.now() / 1000) + 3 * 86400 } },
        ),
      ),
    ).toBe("ILLEGAL_DELIVERY_TIME");
    expect(await codes(sendRequest({ topic: { name: "Unknown" } }))).toBe("TOPIC_NOT_FOUND");
    expect(await codes({ messages: [] })).toBe("BAD_REQUEST");
    await expect(
      client.call("SendMessage", sendRequest({ body: Buffer.alloc(6 * 1024 * 1024) })),
    ).rejects.toMatchObject({ code: 8 });
    expect(await codes(sendRequest())).toBe("OK");
  });

  it("answers a Settings command with the complete producer reply, and ends the stream on half-close", async () => {
    const stream = client.telemetry();
    const replies: Record<string, unknown>[] = [];
    stream.on("data", (reply: Record<string, unknown>) => replies.push(reply));
    const ended = new Promise<void>((resolve) => stream.on("end", resolve));
    stream.on("error", () => undefined);
    stream.write({
      settings: { client_type: "PRODUCER", publishing: { topics: [{ name: "T" }] } },
    });
    await waitFor(() => replies.length === 1);
    const settings = replies[0]!.settings as Record<string, Record<string, unknown>>;
    expect(codeOf(replies[0]!)).toBe("OK");
    expect(settings.backoff_policy!.exponential_backoff).toBeDefined();
    expect(settings.publishing!.max_body_size).toBe(4 * 1024 * 1024);
    expect(settings.publishing!.validate_message_type).toBe(true);
    stream.end();
    await ended;
    await waitFor(() => env.proxy.telemetryStreamCount === 0);
  });

  it("answers a consumer's Settings with batch size, long-poll time, fifo and max attempts", async () => {
    const stream = client.telemetry();
    const replies: Record<string, unknown>[] = [];
    stream.on("data", (reply: Record<string, unknown>) => replies.push(reply));
    stream.on("error", () => undefined);
    stream.write({
      settings: {
        client_type: "PUSH_CONSUMER",
        subscription: { group: { name: "G" }, subscriptions: [{ topic: { name: "T" } }] },
      },
    });
    await waitFor(() => replies.length === 1);
    const settings = replies[0]!.settings as Record<string, Record<string, unknown>>;
    expect(settings.subscription!.receive_batch_size).toBe(32);
    expect(settings.subscription!.long_polling_timeout).toMatchObject({ seconds: "2" });
    expect(settings.subscription!.fifo ?? false).toBe(false);
    expect(settings.backoff_policy!.max_attempts).toBe(17);
    expect(settings.backoff_policy!.exponential_backoff).toBeDefined();
    stream.end();
  });

  it("long-polls a receive until a message arrives, then streams status, message, delivery time", async () => {
    const receive = client.stream("ReceiveMessage", {
      group: { name: "G" },
      message_queue: { topic: { name: "T" } },
      filter_expression: { type: "TAG", expression: "*" },
      batch_size: 4,
      invisible_duration: { seconds: 10 },
      long_polling_timeout: { seconds: 2 },
    });
    await waitFor(() => env.broker.popService.waitingPolls === 1);
    expect(
      codeOf(await client.call("SendMessage", sendRequest({}, { tag: "A", keys: ["k"] }))),
    ).toBe("OK");
    const responses = await receive;
    expect(codeOf(responses[0]!)).toBe("OK");
    const message = responses[1]!.message as {
      system_properties: Record<string, unknown>;
      body: Buffer;
    };
    expect(message.body.toString()).toBe("hello");
    expect(message.system_properties.body_digest).toEqual({
      type: "MD5",
      checksum: "5D41402ABC4B2A76B9719D911017C592",
    });
    expect(message.system_properties.delivery_attempt).toBe(1);
    expect(responses[2]!.delivery_timestamp).toBeDefined();
  });

  it("answers MESSAGE_NOT_FOUND when the long poll expires", async () => {
    const started = Date.now();
    const responses = await client.stream("ReceiveMessage", {
      group: { name: "G" },
      message_queue: { topic: { name: "T" } },
      invisible_duration: { seconds: 10 },
      long_polling_timeout: { nanos: 300_000_000 },
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(codeOf(responses[0]!)).toBe("MESSAGE_NOT_FOUND");
    expect(responses[1]!.delivery_timestamp).toBeDefined();
  });

  it("long-polls a receive that names no poll time, answering before the client's deadline", async () => {
    const started = Date.now();
    const responses = await client.stream(
      "ReceiveMessage",
      { group: { name: "G" }, message_queue: { topic: { name: "T" } } },
      1000,
    );
    expect(codeOf(responses[0]!)).toBe("MESSAGE_NOT_FOUND");
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
  });

  it("refuses an invisible time under 1 s or a SQL or oversized filter on receive, and a stale receipt handle on ack", async () => {
    const short = await client.stream("ReceiveMessage", {
      group: { name: "G" },
      message_queue: { topic: { name: "T" } },
      invisible_duration: { nanos: 500_000_000 },
    });
    expect(codeOf(short[0]!)).toBe("ILLEGAL_INVISIBLE_TIME");
    const sql = await client.stream("ReceiveMessage", {
      group: { name: "G" },
      message_queue: { topic: { name: "T" } },
      filter_expression: { type: "SQL", expression: "a > 1" },
    });
    expect(codeOf(sql[0]!)).toBe("NOT_IMPLEMENTED");
    const long = await client.stream("ReceiveMessage", {
      group: { name: "G" },
      message_queue: { topic: { name: "T" } },
      filter_expression: { type: "TAG", expression: "x".repeat(5000) },
    });
    expect(codeOf(long[0]!)).toBe("ILLEGAL_FILTER_EXPRESSION");
    const ack = await client.call("AckMessage", {
      group: { name: "G" },
      topic: { name: "T" },
      entries: [{ message_id: "x", receipt_handle: "stale" }],
    });
    expect(codeOf(ack)).toBe("INVALID_RECEIPT_HANDLE");
    const change = await client.call("ChangeInvisibleDuration", {
      group: { name: "G" },
      topic: { name: "T" },
      receipt_handle: "stale",
      invisible_duration: { seconds: 5 },
    });
    expect(codeOf(change)).toBe("INVALID_RECEIPT_HANDLE");
  });

  it("forwards a received message to %DLQ%<group> and acks it", async () => {
    expect(codeOf(await client.call("SendMessage", sendRequest({}, { tag: "F" })))).toBe("OK");
    const responses = await client.stream("ReceiveMessage", {
      group: { name: "G" },
      message_queue: { topic: { name: "T" } },
      invisible_duration: { seconds: 30 },
      long_polling_timeout: { seconds: 2 },
    });
    const message = responses[1]!.message as {
      system_properties: { receipt_handle: string; message_id: string };
    };
    const forward = await client.call("ForwardMessageToDeadLetterQueue", {
      group: { name: "G" },
      topic: { name: "T" },
      receipt_handle: message.system_properties.receipt_handle,
      message_id: message.system_properties.message_id,
    });
    expect(codeOf(forward)).toBe("OK");
    await waitFor(() => env.store.getMaxOffsetInQueue("%DLQ%G", 0) === 1);
    const ack = await client.call("AckMessage", {
      group: { name: "G" },
      topic: { name: "T" },
      entries: [{ receipt_handle: message.system_properties.receipt_handle }],
    });
    expect(codeOf(ack)).toBe("INVALID_RECEIPT_HANDLE");
  });

  it("assigns the whole topic to a push consumer with an explicit status", async () => {
    const response = await client.call("QueryAssignment", {
      topic: { name: "T" },
      group: { name: "G" },
    });
    expect(codeOf(response)).toBe("OK");
    const assignments = response.assignments as {
      message_queue: { id: number; permission: string };
    }[];
    expect(assignments).toHaveLength(1);
    expect(assignments[0]!.message_queue.id).toBe(-1);
  });

  it("answers Heartbeat and NotifyClientTermination with OK", async () => {
    expect(codeOf(await client.call("Heartbeat", { client_type: "PRODUCER" }))).toBe("OK");
    expect(codeOf(await client.call("NotifyClientTermination", {}))).toBe("OK");
  });

  it("reports offsets: QueryOffset from the store, GetOffset from the group's pops", async () => {
    expect(codeOf(await client.call("SendMessage", sendRequest()))).toBe("OK");
    await waitFor(() => env.store.getMaxOffsetInQueue("T", 0) === 1);
    const end = await client.call("QueryOffset", {
      message_queue: { topic: { name: "T" }, id: 0 },
      query_offset_policy: "END",
    });
    expect(end.offset).toBe("1");
    expect(
      codeOf(
        await client.call("GetOffset", {
          group: { name: "G" },
          message_queue: { topic: { name: "T" }, id: 0 },
        }),
      ),
    ).toBe("OFFSET_NOT_FOUND");
  });

  it("ends a waiting receive when it shuts down, gracefully", async () => {
    const receive = client.stream(
      "ReceiveMessage",
      {
        group: { name: "G" },
        message_queue: { topic: { name: "T" } },
        long_polling_timeout: { seconds: 20 },
      },
      30_000,
    );
    await waitFor(() => env.broker.popService.waitingPolls === 1);
    const started = Date.now();
    await env.proxy.shutdown();
    const responses = await receive;
    expect(codeOf(responses[0]!)).toBe("MESSAGE_NOT_FOUND");
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
