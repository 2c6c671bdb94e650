import { describe, expect, it } from "vitest";
import type { BatchEncodeResult, MessageInput } from "../src/index.js";
import {
  calMsgLength,
  createMessageId,
  decodeMessages,
  MessageEncoder,
  patchRecord,
  SYSFLAG_TRANSACTION_COMMIT_TYPE,
  SYSFLAG_TRANSACTION_PREPARED_TYPE,
} from "../src/index.js";

const NOW = 1_700_000_000_000;

function recordsOf(result: BatchEncodeResult): { records: Buffer; count: number } {
  if (result.status !== "PUT_OK") {
    throw new Error(`expected PUT_OK, got ${result.status} at ${result.index}: ${result.reason}`);
  }
  return result;
}

function appendCallbackBatch(bornHost: string): MessageInput[] {
  return Array.from({ length: 10 }, () => ({
    topic: "test-topic",
    body: Buffer.from("body"),
    tags: "abc",
    bornHost,
  }));
}

/** What DefaultAppendMessageCallback does to a batch at wroteOffset: patch offsets, collect msgIds. */
function appendAt(
  records: Buffer,
  storeHost: string,
  wroteOffset: number,
  firstQueueOffset: number,
): string[] {
  const ids: string[] = [];
  for (let position = 0, index = 0; position < records.length; index += 1) {
    const size = records.readInt32BE(position);
    patchRecord(
      records.subarray(position, position + size),
      firstQueueOffset + index,
      wroteOffset + position,
      NOW + 1,
    );
    ids.push(createMessageId(storeHost, wroteOffset + position));
    position += size;
  }
  return ids;
}

describe("encodeBatchInto (MessageEncoder.encodeBatch)", () => {
  it("encodes AppendCallbackTest's 10 messages as 10 x 114 = 1140 bytes with 32-char msgIds", () => {
    const encoder = new MessageEncoder({
      maxMessageSize: 10 * 1024 * 1024,
      storeHost: "127.0.0.1:124",
    });
    const { records, count } = recordsOf(
      encoder.encodeBatch(appendCallbackBatch("127.0.0.1:123"), NOW),
    );
    expect(count).toBe(10);
    expect(records.length).toBe(1140);
    const ids = appendAt(records, "127.0.0.1:124", 0, 0);
    expect(new Set(ids).size).toBe(10);
    expect(ids.every((id) => id.length === 32)).toBe(true);
    const decoded = decodeMessages(records);
    expect(decoded.failure).toBeUndefined();
    expect(decoded.messages.map((m) => [m.topic, m.body.toString(), m.tags])).toEqual(
      Array.from({ length: 10 }, () => ["test-topic", "body", "abc"]),
    );
    expect(new Set(decoded.messages.map((m) => m.storeTimestamp))).toEqual(new Set([NOW + 1]));
    expect(decoded.messages.map((m) => m.queueOffset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(decoded.messages.map((m) => m.msgId)).toEqual(ids);
  });

  it("gives 56-char msgIds for the IPv6 variant", () => {
    const encoder = new MessageEncoder({ storeHost: "[::1]:124" });
    const { records } = recordsOf(
      encoder.encodeBatch(appendCallbackBatch("1050:0:0:0:5:600:300c:326b:123"), NOW),
    );
    expect(records.length).toBe(10 * 138);
    const ids = appendAt(records, "[::1]:124", 4096, 7);
    expect(ids.every((id) => id.length === 56)).toBe(true);
    expect(decodeMessages(records).messages.map((m) => m.msgId)).toEqual(ids);
  });

  it("appends the batch properties to each message (BatchPutMessageTest)", () => {
    const encoder = new MessageEncoder({ storeHost: "127.0.0.1:1" });
    const messages = Array.from({ length: 10 }, (_, index) => ({
      topic: "T",
      body: Buffer.from(`body${index}`),
      tags: "TAG1",
      keys: String(NOW),
    }));
    const { records } = recordsOf(encoder.encodeBatch(messages, NOW, { extraKey: "extraValue" }));
    const decoded = decodeMessages(records).messages;
    const own = `TAGS\u0001TAG1\u0002KEYS\u0001${NOW}\u0002`;
    const batch = "extraKey\u0001extraValue\u0002";
    expect(decoded).toHaveLength(10);
    for (const [index, message] of decoded.entries()) {
      expect(message.totalSize).toBe(calMsgLength(0, 5, 1, own.length + batch.length));
      expect(message.properties).toEqual({
        TAGS: "TAG1",
        KEYS: String(NOW),
        extraKey: "extraValue",
      });
      expect(message.body.toString()).toBe(`body${index}`);
    }
  });

  it("refuses an empty batch, transactions, prepared offsets and delays", () => {
    const encoder = new MessageEncoder({ storeHost: "127.0.0.1:1" });
    const ok = { topic: "T", body: Buffer.from("x") };
    expect(encoder.encodeBatch([], NOW)).toMatchObject({ status: "MESSAGE_ILLEGAL", index: -1 });
    const cases: [MessageInput, number][] = [
      [{ ...ok, sysFlag: SYSFLAG_TRANSACTION_PREPARED_TYPE }, 1],
      [{ ...ok, sysFlag: SYSFLAG_TRANSACTION_COMMIT_TYPE }, 1],
      [{ ...ok, preparedTransactionOffset: 5 }, 1],
      [{ ...ok, properties: { DELAY: "3" } }, 1],
      [{ ...ok, properties: { DELAY: "soon" } }, 1],
      [{ ...ok, topic: "U" }, 1],
      [{ ...ok, queueId: 2 }, 1],
    ];
    for (const [message, index] of cases) {
      expect(encoder.encodeBatch([ok, message], NOW)).toMatchObject({
        status: "MESSAGE_ILLEGAL",
        index,
      });
    }
    expect(encoder.encodeBatch([ok, { ...ok, properties: { DELAY: "0" } }], NOW).status).toBe(
      "PUT_OK",
    );
  });

  it("refuses a batch whose bodies add up to more than maxMessageSize (testPutLongBatchMessage)", () => {
    const encoder = new MessageEncoder({ maxMessageSize: 1000, storeHost: "127.0.0.1:1" });
    const half = { topic: "T", body: Buffer.alloc(500) };
    expect(encoder.encodeBatch([half, half], NOW).status).toBe("PUT_OK");
    expect(
      encoder.encodeBatch([half, half, { topic: "T", body: Buffer.alloc(1) }], NOW),
    ).toMatchObject({
      status: "MESSAGE_ILLEGAL",
      index: -1,
    });
  });

  it("refuses a batch whose records outgrow the buffer although the bodies fit", () => {
    const encoder = new MessageEncoder({ maxMessageSize: 100, storeHost: "127.0.0.1:1" });
    const big = { topic: "T", body: Buffer.alloc(1), properties: { K: "v".repeat(32_000) } };
    expect(encoder.encodeBatch([big], NOW).status).toBe("PUT_OK");
    expect(encoder.encodeBatch([big, big, big], NOW)).toMatchObject({
      status: "MESSAGE_ILLEGAL",
      index: -1,
    });
  });

  it("reports per-message and batch-level property refusals with their index", () => {
    const encoder = new MessageEncoder({ storeHost: "127.0.0.1:1" });
    const ok = { topic: "T", body: Buffer.from("x") };
    const long = { ...ok, properties: { K: "v".repeat(32_765) } };
    expect(encoder.encodeBatch([ok, long], NOW)).toMatchObject({
      status: "PROPERTIES_SIZE_EXCEEDED",
      index: 1,
    });
    expect(encoder.encodeBatch([ok], NOW, { K: "v".repeat(32_765) })).toMatchObject({
      status: "PROPERTIES_SIZE_EXCEEDED",
      index: -1,
    });
    const batch = { K: "v".repeat(32_760) };
    expect(encoder.encodeBatch([ok, ok], NOW, batch).status).toBe("PUT_OK");
    expect(encoder.encodeBatch([ok, { ...ok, tags: "abcdefgh" }], NOW, batch)).toMatchObject({
      status: "PROPERTIES_SIZE_EXCEEDED",
      index: 1,
    });
    expect(encoder.encodeBatch([ok], NOW, { "": "v" })).toMatchObject({
      status: "MESSAGE_ILLEGAL",
      index: -1,
    });
  });
});
