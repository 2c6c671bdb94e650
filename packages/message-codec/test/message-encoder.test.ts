import { inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { EncodeResult, MessageInput } from "../src/index.js";
import {
  MessageCodecError,
  decodeMessage,
  DEFAULT_MAX_MESSAGE_SIZE,
  MessageEncoder,
  PROPERTY_ORIGIN_MESSAGE_ID,
  PROPERTY_RETRY_TOPIC,
  SYSFLAG_BORNHOST_V6,
  SYSFLAG_COMPRESSED,
  SYSFLAG_STOREHOST_V6,
} from "../src/index.js";
import { GOLDEN, loadGoldenRecord } from "./fixtures/codec-fixtures.js";

const MAX = DEFAULT_MAX_MESSAGE_SIZE;
const NOW = 1_700_000_000_000;

function recordOf(result: EncodeResult): Buffer {
  if (result.status !== "PUT_OK") {
    throw new Error(`expected PUT_OK, got ${result.status}: ${result.reason}`);
  }
  return result.record;
}

/** Properties whose string is exactly `bytes` long: one pair "K\u0001vvv…\u0002". */
function propertiesOfLength(bytes: number): Record<string, string> {
  return { K: "v".repeat(bytes - 3) };
}

describe("MessageEncoder", () => {
  it("reproduces the ali-ons golden record byte for byte from its fields", () => {
    const encoder = new MessageEncoder({ storeHost: GOLDEN.storeHost });
    const record = recordOf(encoder.encode(GOLDEN.message, GOLDEN.storeTimestamp));
    expect(record.toString("hex")).toBe(loadGoldenRecord().toString("hex"));
  });

  it("gives the same bytes when TAGS and KEYS come as properties", () => {
    const encoder = new MessageEncoder({ storeHost: GOLDEN.storeHost });
    const { tags: _tags, keys: _keys, ...rest } = GOLDEN.message;
    const message: MessageInput = { ...rest, properties: { TAGS: "TagA", KEYS: "key1 key2" } };
    expect(
      recordOf(encoder.encode(message, GOLDEN.storeTimestamp)).equals(loadGoldenRecord()),
    ).toBe(true);
  });

  it("encodes research 6.9's message (topic T, body abc, no properties) in 95 bytes", () => {
    const encoder = new MessageEncoder({ storeHost: "127.0.0.1:10911" });
    const record = recordOf(encoder.encode({ topic: "T", body: Buffer.from("abc") }, NOW));
    expect(record.length).toBe(95);
    expect(record.readInt32BE(0)).toBe(95);
  });

  it("encodes AppendCallbackTest's message in 114 bytes, 138 with IPv6 hosts", () => {
    const message = { topic: "test-topic", body: Buffer.from("body"), tags: "abc" };
    const v4 = new MessageEncoder({ maxMessageSize: 10 * 1024 * 1024, storeHost: "127.0.0.1:124" });
    expect(recordOf(v4.encode({ ...message, bornHost: "127.0.0.1:123" }, NOW)).length).toBe(114);
    const v6 = new MessageEncoder({ storeHost: "[::1]:124" });
    const record = recordOf(
      v6.encode({ ...message, bornHost: "1050:0:0:0:5:600:300c:326b:123" }, NOW),
    );
    expect(record.length).toBe(138);
    expect(record.readInt32BE(36) & (SYSFLAG_BORNHOST_V6 | SYSFLAG_STOREHOST_V6)).toBe(0x30);
  });

  it("recomputes the IPv6 host bits and keeps every other sysFlag bit", () => {
    const encoder = new MessageEncoder({ storeHost: "127.0.0.1:1" });
    const record = recordOf(
      encoder.encode({ topic: "T", body: Buffer.alloc(0), sysFlag: 0x7f }, NOW),
    );
    expect(record.readInt32BE(36)).toBe(0x4f);
  });

  it("stores a compressed body as given (ali-ons 5000 x deflated: 138-byte record)", () => {
    const body = Buffer.from("789cedc13101000000c2a0da8b6f0a3fa00000000080b70114162848", "hex");
    const encoder = new MessageEncoder({ storeHost: GOLDEN.storeHost });
    const message = {
      topic: "TopicTest",
      body,
      tags: "TagB",
      sysFlag: SYSFLAG_COMPRESSED,
      queueId: 1,
    };
    const record = recordOf(encoder.encode(message, NOW));
    expect(record.length).toBe(138);
    const decoded = decodeMessage(record);
    expect(decoded.ok && decoded.message.sysFlag).toBe(SYSFLAG_COMPRESSED);
    expect(decoded.ok && inflateSync(decoded.message.body).toString()).toBe("x".repeat(5000));
  });

  it("encodes the probe's retry copy in 230 bytes", () => {
    const encoder = new MessageEncoder({ storeHost: GOLDEN.storeHost });
    const message: MessageInput = {
      ...GOLDEN.message,
      topic: "%RETRY%GID_PROBE",
      reconsumeTimes: 1,
      properties: {
        [PROPERTY_RETRY_TOPIC]: "TopicTest",
        [PROPERTY_ORIGIN_MESSAGE_ID]: "7F00000100002A9F0000000000000000",
      },
    };
    expect(recordOf(encoder.encode(message, NOW)).length).toBe(230);
  });

  it("returns a view of one reused buffer, overwritten by the next encode", () => {
    const encoder = new MessageEncoder({ storeHost: "127.0.0.1:1" });
    const first = recordOf(encoder.encode({ topic: "A", body: Buffer.from("1") }, NOW));
    const second = recordOf(encoder.encode({ topic: "B", body: Buffer.from("2") }, NOW));
    expect(first.buffer).toBe(second.buffer);
    expect(first.byteOffset).toBe(second.byteOffset);
    expect(first.toString("latin1")).toContain("B");
  });

  describe("testPutLongMessage limits", () => {
    const encoder = new MessageEncoder({ storeHost: "127.0.0.1:10911" });
    const topic127 = "t".repeat(127);

    it("accepts body = maxMessageSize with a 127-byte topic and 32767 bytes of properties", () => {
      const message = {
        topic: topic127,
        body: Buffer.alloc(MAX),
        properties: propertiesOfLength(32767),
      };
      expect(recordOf(encoder.encode(message, NOW)).length).toBe(91 + MAX + 127 + 32767);
    });

    it("refuses body = maxMessageSize + 1 and + 64 KiB as MESSAGE_ILLEGAL", () => {
      for (const size of [MAX + 1, MAX + 64 * 1024]) {
        expect(encoder.encode({ topic: topic127, body: Buffer.alloc(size) }, NOW).status).toBe(
          "MESSAGE_ILLEGAL",
        );
      }
    });

    it("refuses 32768 bytes of properties as PROPERTIES_SIZE_EXCEEDED", () => {
      const message = {
        topic: topic127,
        body: Buffer.alloc(MAX),
        properties: propertiesOfLength(32768),
      };
      expect(encoder.encode(message, NOW).status).toBe("PROPERTIES_SIZE_EXCEEDED");
    });

    it("counts properties in UTF-8 bytes, not characters", () => {
      const properties = { K: "é".repeat(16383) };
      expect(encoder.encode({ topic: "T", body: Buffer.alloc(1), properties }, NOW).status).toBe(
        "PROPERTIES_SIZE_EXCEEDED",
      );
    });

    it("refuses a 32767-character topic as MESSAGE_ILLEGAL", () => {
      const message = {
        topic: "t".repeat(32767),
        body: Buffer.alloc(1),
        properties: propertiesOfLength(32767),
      };
      expect(encoder.encode(message, NOW).status).toBe("MESSAGE_ILLEGAL");
    });
  });

  describe("dynamic maxMessageSize (testDynamicMaxMessageSize)", () => {
    it("follows updateMaxMessageSize and resizes the buffer", () => {
      const encoder = new MessageEncoder({ storeHost: "127.0.0.1:1" });
      const message = { topic: "T", body: Buffer.alloc(MAX + 10) };
      expect(encoder.bufferCapacity).toBe(MAX + 64 * 1024);
      expect(encoder.encode(message, NOW).status).toBe("MESSAGE_ILLEGAL");
      expect(encoder.updateMaxMessageSize(MAX + 10)).toBe(true);
      expect(encoder.bufferCapacity).toBe(MAX + 10 + 64 * 1024);
      expect(encoder.encode(message, NOW).status).toBe("PUT_OK");
      expect(encoder.updateMaxMessageSize(10)).toBe(true);
      expect(encoder.bufferCapacity).toBe(10 + 64 * 1024);
      expect(encoder.encode(message, NOW).status).toBe("MESSAGE_ILLEGAL");
      expect(encoder.encode({ topic: "T", body: Buffer.alloc(10) }, NOW).status).toBe("PUT_OK");
    });

    it("ignores values below 10 and unchanged values, as RocketMQ does", () => {
      const encoder = new MessageEncoder({ maxMessageSize: 100, storeHost: "127.0.0.1:1" });
      expect(encoder.updateMaxMessageSize(9)).toBe(false);
      expect(encoder.updateMaxMessageSize(100)).toBe(false);
      expect(encoder.maxMessageSize).toBe(100);
    });

    it("throws INVALID_ARGUMENT for a non-integer or oversized limit", () => {
      const encoder = new MessageEncoder({ maxMessageSize: 100, storeHost: "127.0.0.1:1" });
      expect(() => encoder.updateMaxMessageSize(Number.NaN)).toThrow(MessageCodecError);
      expect(() => encoder.updateMaxMessageSize(2 ** 31)).toThrow(MessageCodecError);
      expect(() => new MessageEncoder({ maxMessageSize: 9, storeHost: "127.0.0.1:1" })).toThrow(
        MessageCodecError,
      );
    });
  });

  describe("refusals", () => {
    const encoder = new MessageEncoder({ maxMessageSize: 1024, storeHost: "127.0.0.1:1" });
    const body = Buffer.from("x");

    it.each([
      ["an empty topic", { topic: "", body }],
      ["a 128-character topic", { topic: "a".repeat(128), body }],
      ["a topic with a slash", { topic: "a/b", body }],
      ["a topic with a non-ASCII letter", { topic: "é", body }],
      ["a bad born host", { topic: "T", body, bornHost: "nowhere" }],
      ["a queueId beyond int32", { topic: "T", body, queueId: 2 ** 31 }],
      ["a fractional flag", { topic: "T", body, flag: 0.5 }],
      ["an unsafe born timestamp", { topic: "T", body, bornTimestamp: 2 ** 53 }],
      ["a property name with \\u0001", { topic: "T", body, properties: { "a\u0001": "v" } }],
      ["a property value with \\u0002", { topic: "T", body, properties: { a: "v\u0002" } }],
      ["an empty property name", { topic: "T", body, properties: { "": "v" } }],
      ["tags with \\u0002", { topic: "T", body, tags: "a\u0002" }],
    ] satisfies [string, MessageInput][])("refuses %s as MESSAGE_ILLEGAL", (_label, message) => {
      const result = encoder.encode(message, NOW);
      expect(result.status).toBe("MESSAGE_ILLEGAL");
      expect(result.status !== "PUT_OK" && result.reason.length).toBeGreaterThan(0);
    });

    it("refuses a non-Buffer body and an unsafe store timestamp", () => {
      const notABody = { topic: "T", body: "text" } as unknown as MessageInput;
      expect(encoder.encode(notABody, NOW).status).toBe("MESSAGE_ILLEGAL");
      expect(encoder.encode({ topic: "T", body }, Number.NaN).status).toBe("MESSAGE_ILLEGAL");
    });

    it("refuses every message when the store host does not parse", () => {
      const broken = new MessageEncoder({ storeHost: "broker-a" });
      const result = broken.encode({ topic: "T", body }, NOW);
      expect(result.status).toBe("MESSAGE_ILLEGAL");
      expect(result.status !== "PUT_OK" && result.reason).toContain("storeHost");
    });

    it("checks the topic before the properties size, and that before the body size", () => {
      const huge = { K: "v".repeat(40_000) };
      expect(
        encoder.encode({ topic: "", body: Buffer.alloc(5000), properties: huge }, NOW).status,
      ).toBe("MESSAGE_ILLEGAL");
      expect(
        encoder.encode({ topic: "T", body: Buffer.alloc(5000), properties: huge }, NOW).status,
      ).toBe("PROPERTIES_SIZE_EXCEEDED");
    });
  });
});
