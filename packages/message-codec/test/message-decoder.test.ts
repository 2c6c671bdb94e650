import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DecodedMessage, EncodeResult, MessageInput } from "../src/index.js";
import {
  bodyLengthPosition,
  decodeMessage,
  decodeMessages,
  encodeMessage,
  writeBlankRecord,
} from "../src/index.js";
import { hostAddressToString, parseHostAddress } from "../src/host-address.js";
import type { MessageCase } from "./fixtures/codec-fixtures.js";
import { GOLDEN, loadGoldenRecord, messageCaseArbitrary } from "./fixtures/codec-fixtures.js";

function recordOf(result: EncodeResult): Buffer {
  if (result.status !== "PUT_OK") {
    throw new Error(`expected PUT_OK, got ${result.status}: ${result.reason}`);
  }
  return result.record;
}

function decoded(buffer: Buffer, offset = 0): DecodedMessage {
  const result = decodeMessage(buffer, offset);
  if (!result.ok) {
    throw new Error(`expected a message, got ${result.code}: ${result.reason}`);
  }
  return result.message;
}

function encodeCase({ message, storeHost, storeTimestamp }: MessageCase): Buffer {
  return recordOf(encodeMessage(message, { storeHost, storeTimestamp }));
}

function normalizedHost(text: string): { text: string; v6: boolean } {
  const host = parseHostAddress(text);
  if (host === undefined) {
    throw new Error(`arbitrary produced a bad host ${text}`);
  }
  return { text: hostAddressToString(host), v6: host.ip.length === 16 };
}

/** The properties a decoder must return for `message`: TAGS/KEYS fields win over properties. */
function expectedProperties(message: MessageInput): Record<string, string> {
  const keys = Array.isArray(message.keys)
    ? message.keys.join(" ")
    : (message.keys as string | undefined);
  const hasTags = message.tags !== undefined && message.tags !== "";
  const hasKeys = keys !== undefined && keys !== "";
  const expected = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(message.properties ?? {})) {
    if (!((name === "TAGS" && hasTags) || (name === "KEYS" && hasKeys))) {
      expected[name] = value;
    }
  }
  if (hasTags) {
    expected["TAGS"] = message.tags ?? "";
  }
  if (hasKeys) {
    expected["KEYS"] = keys;
  }
  return expected;
}

describe("decodeMessage", () => {
  it("decodes every field of the ali-ons golden record", () => {
    const golden = loadGoldenRecord();
    const message = decoded(golden);
    expect({
      ...message,
      body: message.body.toString(),
      properties: { ...message.properties },
    }).toEqual({
      totalSize: 150,
      magic: 0xdaa320a7,
      bodyCRC: 0x7da9359f,
      queueId: 0,
      flag: 0,
      queueOffset: 0,
      physicalOffset: 0,
      sysFlag: 0,
      bornTimestamp: GOLDEN.message.bornTimestamp,
      bornHost: "127.0.0.1:45228",
      storeTimestamp: GOLDEN.storeTimestamp,
      storeHost: "127.0.0.1:10911",
      reconsumeTimes: 0,
      preparedTransactionOffset: 0,
      body: "Hello ONS via fake broker",
      topic: "TopicTest",
      properties: { TAGS: "TagA", KEYS: "key1 key2" },
      tags: "TagA",
      keys: "key1 key2",
      msgId: "7F00000100002A9F0000000000000000",
    });
  });

  it("returns the body as a view into the input, not a copy", () => {
    const golden = loadGoldenRecord();
    const body = decoded(golden).body;
    expect(body.buffer).toBe(golden.buffer);
    expect(body.byteOffset).toBe(golden.byteOffset + 88);
  });

  it("decodes a record at a non-zero offset", () => {
    const buffer = Buffer.concat([Buffer.alloc(13, 7), loadGoldenRecord()]);
    expect(decoded(buffer, 13).topic).toBe("TopicTest");
  });

  it("round-trips every field of arbitrary valid messages", () => {
    fc.assert(
      fc.property(messageCaseArbitrary, (messageCase) => {
        const { message, storeHost, storeTimestamp } = messageCase;
        const record = encodeCase(messageCase);
        const bornHost = normalizedHost(message.bornHost ?? storeHost);
        const store = normalizedHost(storeHost);
        const result = decoded(record);
        const properties = expectedProperties(message);
        expect({ ...result, properties: { ...result.properties } }).toEqual({
          totalSize: record.length,
          magic: 0xdaa320a7,
          bodyCRC: result.bodyCRC,
          queueId: message.queueId ?? 0,
          flag: message.flag ?? 0,
          queueOffset: 0,
          physicalOffset: 0,
          sysFlag:
            ((message.sysFlag ?? 0) & ~0x30) | (bornHost.v6 ? 0x10 : 0) | (store.v6 ? 0x20 : 0),
          bornTimestamp: message.bornTimestamp ?? storeTimestamp,
          bornHost: bornHost.text,
          storeTimestamp,
          storeHost: store.text,
          reconsumeTimes: message.reconsumeTimes ?? 0,
          preparedTransactionOffset: message.preparedTransactionOffset ?? 0,
          body: Buffer.from(message.body),
          topic: message.topic,
          properties: { ...properties },
          tags: properties["TAGS"],
          keys: properties["KEYS"],
          msgId: result.msgId,
        });
        expect(result.msgId).toHaveLength(store.v6 ? 56 : 32);
      }),
      { numRuns: 300 },
    );
  });

  it("re-encodes a decoded message to the same bytes", () => {
    fc.assert(
      fc.property(messageCaseArbitrary, (messageCase) => {
        const record = encodeCase(messageCase);
        const message = decoded(record);
        // JS objects list integer-like names first, so only other names keep their stored order.
        const reordered = Object.keys(message.properties).some((name) =>
          /^(0|[1-9]\d*)$/.test(name),
        );
        const again = encodeCase({
          storeHost: message.storeHost,
          storeTimestamp: message.storeTimestamp,
          message: { ...message, body: message.body, tags: undefined, keys: undefined },
        });
        expect(reordered ? again.length : again.toString("hex")).toBe(
          reordered ? record.length : record.toString("hex"),
        );
      }),
      { numRuns: 200 },
    );
  });

  it("skips the body and its CRC when readBody is false", () => {
    const golden = loadGoldenRecord();
    golden[90] = (golden[90] ?? 0) ^ 0xff;
    expect(decodeMessage(golden)).toMatchObject({ ok: false, code: "CRC_MISMATCH", size: -1 });
    const result = decodeMessage(golden, 0, { readBody: false });
    expect(result.ok && result.message.body).toBeNull();
    expect(result.ok && result.message.topic).toBe("TopicTest");
    const all = decodeMessages(Buffer.concat([golden, golden]), { readBody: false });
    expect(all.messages.map((message) => message.body)).toEqual([null, null]);
    expect(decodeMessage(golden, 0, { checkCRC: false }).ok).toBe(true);
  });

  it("fails a record with a single flipped body byte when checking the CRC", () => {
    fc.assert(
      fc.property(
        messageCaseArbitrary.filter((c) => c.message.body.length > 0),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (messageCase, where, mask) => {
          const record = encodeCase(messageCase);
          const bodyLength = messageCase.message.body.length;
          const position = bodyLengthPosition(record.readInt32BE(36)) + 4 + (where % bodyLength);
          record[position] = (record[position] ?? 0) ^ mask;
          expect(decodeMessage(record)).toMatchObject({
            ok: false,
            code: "CRC_MISMATCH",
            size: -1,
          });
        },
      ),
    );
  });

  it("reports UNDERFLOW for every truncated prefix of a record", () => {
    const golden = loadGoldenRecord();
    for (let length = 0; length < golden.length; length += 1) {
      expect(decodeMessage(golden.subarray(0, length))).toMatchObject({
        ok: false,
        code: "UNDERFLOW",
        size: -1,
      });
    }
  });

  it("reports UNDERFLOW for offsets outside the buffer or not integers", () => {
    const golden = loadGoldenRecord();
    for (const offset of [-1, 0.5, 150, 1e9, Number.NaN]) {
      expect(decodeMessage(golden, offset)).toMatchObject({ ok: false, code: "UNDERFLOW" });
    }
  });

  it("never throws on arbitrary bytes, with or without a valid magic", () => {
    const magic = Buffer.from("daa320a7", "hex");
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.boolean(),
        fc.nat(40),
        (bytes, withMagic, offset) => {
          const buffer = Buffer.from(bytes);
          if (withMagic && buffer.length >= 8) {
            magic.copy(buffer, 4);
            buffer.writeInt32BE(Math.min(buffer.length, buffer.readUInt8(0) + 91), 0);
          }
          const result = decodeMessage(buffer, offset % (buffer.length + 1));
          expect(typeof result.ok).toBe("boolean");
          expect(decodeMessages(buffer).bytesRead).toBeLessThanOrEqual(buffer.length);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("decodeMessages", () => {
  it("decodes N back-to-back records and consumes every byte", () => {
    const records = [1, 2, 3].map((n) =>
      recordOf(
        encodeMessage(
          { topic: `T${n}`, body: Buffer.from([n]) },
          { storeHost: "1.2.3.4:5", storeTimestamp: n },
        ),
      ),
    );
    const buffer = Buffer.concat(records);
    const result = decodeMessages(buffer);
    expect(result.failure).toBeUndefined();
    expect(result.bytesRead).toBe(buffer.length);
    expect(result.messages.map((m) => m.topic)).toEqual(["T1", "T2", "T3"]);
  });

  it("stops at the first invalid record and says where", () => {
    const golden = loadGoldenRecord();
    const buffer = Buffer.concat([golden, golden, Buffer.alloc(40)]);
    const result = decodeMessages(buffer);
    expect(result.messages).toHaveLength(2);
    expect(result.bytesRead).toBe(300);
    expect(result.failure).toMatchObject({ ok: false, code: "BAD_MAGIC", offset: 300, size: -1 });
  });

  it("stops at a blank record", () => {
    const golden = loadGoldenRecord();
    const buffer = Buffer.concat([golden, Buffer.alloc(50)]);
    writeBlankRecord(buffer, 150, 50);
    expect(decodeMessages(buffer).failure).toMatchObject({ code: "BLANK", offset: 150, size: 0 });
  });

  it("returns nothing for an empty buffer", () => {
    expect(decodeMessages(Buffer.alloc(0))).toEqual({
      messages: [],
      bytesRead: 0,
      failure: undefined,
    });
  });
});
