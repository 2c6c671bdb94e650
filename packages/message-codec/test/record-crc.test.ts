import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { EncodeResult, MessageInput } from "../src/index.js";
import {
  checkMessageAndReturnSize,
  decodeMessage,
  encodeMessage,
  patchRecord,
  stringToMessageProperties,
} from "../src/index.js";
import { MessageEncoder } from "../src/message-encoder.js";
import {
  CRC32_RESERVED_LENGTH,
  fillPropertiesCrc,
  hasPropertiesCrc,
  storedPropertiesCrc,
} from "../src/record-crc.js";

const STORE_HOST = "127.0.0.1:10911";
const MESSAGE: MessageInput = {
  topic: "Orders",
  body: Buffer.from("order #1"),
  tags: "new",
  keys: ["o-1"],
  properties: { region: "eu" },
};

function recordOf(result: EncodeResult): Buffer {
  if (result.status !== "PUT_OK") throw new Error(`${result.status}: ${result.reason}`);
  return Buffer.from(result.record);
}

function encode(message: MessageInput, appendPropCRC: boolean): Buffer {
  return recordOf(
    encodeMessage(message, {
      storeHost: STORE_HOST,
      storeTimestamp: 1_700_000_000_000,
      queueOffset: 7,
      physicalOffset: 4096,
      appendPropCRC,
    }),
  );
}

/** RocketMQ's reading (CommitLog.checkMessageAndReturnSize, forceVerifyPropCRC): the digits, last one first. */
function rocketMqExpectedCrc(record: Buffer): number {
  const text = record.toString("utf8");
  const value =
    stringToMessageProperties(text.slice(text.lastIndexOf("__CRC32#")))["__CRC32#"] ?? "";
  let expected = 0;
  for (let i = value.length - 1; i >= 0; i--) expected = expected * 10 + (value.charCodeAt(i) - 48);
  return expected;
}

function flip(record: Buffer, at: number): Buffer {
  const copy = Buffer.from(record);
  copy[at] = (copy[at] ?? 0) ^ 0x01;
  return copy;
}

describe("the whole-record CRC property (RocketMQ 5 enabledAppendPropCRC)", () => {
  it("ends the properties with __CRC32# \\u0001 and 10 digits, least significant first, of the CRC of everything before", () => {
    const record = encode(MESSAGE, true);
    const slot = record.subarray(record.length - CRC32_RESERVED_LENGTH);
    expect(slot.subarray(0, 9).toString("latin1")).toBe("__CRC32#\u0001");
    expect(slot[19]).toBe(0x02);
    const crc = crc32(record.subarray(0, record.length - CRC32_RESERVED_LENGTH)) & 0x7fffffff;
    expect(slot.subarray(9, 19).toString("latin1")).toBe(
      String(crc).split("").reverse().join("").padEnd(10, "0"),
    );
    expect(rocketMqExpectedCrc(record)).toBe(crc);
    expect(storedPropertiesCrc(record, 0, record.length)).toBe(crc);
    expect(record.length).toBe(encode(MESSAGE, false).length + CRC32_RESERVED_LENGTH);
  });

  it("writes a value's digits as createCrc32 does (123456789 -> 9876543210, 5 -> 5000000000)", () => {
    const record = encode(MESSAGE, true);
    const digitsAt = record.length - 11;
    const fake = (value: number): string => {
      let v = value;
      let text = "";
      for (let i = 0; i < 10; i++) {
        text += String(v > 0 ? v % 10 : 0);
        v = Math.floor(v / 10);
      }
      return text;
    };
    expect(fake(123456789)).toBe("9876543210");
    expect(fake(5)).toBe("5000000000");
    record.write(fake(123456789), digitsAt, "latin1");
    expect(storedPropertiesCrc(record, 0, record.length)).toBe(123456789);
  });

  it("is left out of decoded properties, and a producer's own __CRC32# is never stored", () => {
    const record = encode(
      { ...MESSAGE, properties: { region: "eu", "__CRC32#": "0000000042" } },
      true,
    );
    expect(record.toString("latin1").match(/__CRC32#/g)).toHaveLength(1);
    const decoded = decodeMessage(record);
    if (!decoded.ok) throw new Error(decoded.reason);
    expect({ ...decoded.message.properties }).toEqual({ TAGS: "new", KEYS: "o-1", region: "eu" });
    expect(decoded.message.totalSize).toBe(record.length);
    const checked = checkMessageAndReturnSize(record, 0, true, true, { forceVerifyPropCRC: true });
    expect(checked.kind === "MESSAGE" && { ...checked.properties }).toEqual({
      TAGS: "new",
      KEYS: "o-1",
      region: "eu",
    });
  });

  it("catches damage the body CRC cannot see: a flipped byte in the topic, a property, the header", () => {
    const record = encode(MESSAGE, true);
    const propertyByte = record.indexOf("region\u0001eu", 0, "latin1") + 7;
    for (const at of [
      record.indexOf("Orders", 0, "latin1"),
      propertyByte,
      16 /* FLAG */,
      20 /* QUEUEOFFSET */,
    ]) {
      const damaged = flip(record, at);
      expect(
        checkMessageAndReturnSize(damaged, 0, true, true, { forceVerifyPropCRC: true }),
      ).toMatchObject({ kind: "INVALID", code: "CRC_MISMATCH" });
      expect(decodeMessage(damaged)).toMatchObject({ ok: false, code: "CRC_MISMATCH" });
      expect(checkMessageAndReturnSize(damaged, 0, true, true).kind).toBe("MESSAGE"); // RocketMQ 4's checks: the body only
    }
  });

  it("forced: a record torn inside its properties is invalid, with or without the CRC property", () => {
    for (const appendPropCRC of [true, false]) {
      const record = encode(MESSAGE, appendPropCRC);
      const torn = Buffer.from(record);
      torn.fill(0, record.length - 8); // the tail of a write that never reached the disk
      expect(
        checkMessageAndReturnSize(torn, 0, true, true, { forceVerifyPropCRC: true }).kind,
      ).toBe("INVALID");
      expect(checkMessageAndReturnSize(torn, 0, true, true).kind).toBe("MESSAGE"); // what recovery accepted before
    }
  });

  it("forced: a record without the property (written before, or with it off) is read when it ends complete", () => {
    const record = encode(MESSAGE, false);
    expect(hasPropertiesCrc(record, 0, record.length)).toBe(false);
    expect(
      checkMessageAndReturnSize(record, 0, true, true, { forceVerifyPropCRC: true }).kind,
    ).toBe("MESSAGE");
    const bare = encode({ topic: "Orders", body: Buffer.from("no properties") }, false);
    expect(checkMessageAndReturnSize(bare, 0, true, true, { forceVerifyPropCRC: true }).kind).toBe(
      "MESSAGE",
    );
    const tornTopic = Buffer.from(bare);
    tornTopic.fill(0, bare.length - 4); // the topic's last two bytes and the properties length
    expect(
      checkMessageAndReturnSize(tornTopic, 0, true, true, { forceVerifyPropCRC: true }).kind,
    ).toBe("INVALID");
  });

  it("stays valid when patchRecord stamps the offsets and store time", () => {
    const record = encode(MESSAGE, true);
    patchRecord(record, 99, 123_456, 1_800_000_000_000);
    expect(decodeMessage(record)).toMatchObject({
      ok: true,
      message: { queueOffset: 99, physicalOffset: 123_456 },
    });
    expect(
      checkMessageAndReturnSize(record, 0, true, true, { forceVerifyPropCRC: true }).kind,
    ).toBe("MESSAGE");
  });

  it("counts toward the 32767-byte properties limit", () => {
    const encoder = new MessageEncoder({ storeHost: STORE_HOST, appendPropCRC: true });
    const plain = new MessageEncoder({ storeHost: STORE_HOST });
    const value = "v".repeat(32767 - 3 - 20 + 1); // "k\u0001" + value + "\u0002" + 20 bytes = 32768
    const message = { topic: "T", body: Buffer.from("x"), properties: { k: value } };
    expect(encoder.encode(message, 1).status).toBe("PROPERTIES_SIZE_EXCEEDED");
    expect(plain.encode(message, 1).status).toBe("PUT_OK");
  });

  it("fillPropertiesCrc leaves a record without the property untouched", () => {
    const record = encode(MESSAGE, false);
    const copy = Buffer.from(record);
    expect(fillPropertiesCrc(copy, 0, copy.length, crc32)).toBe(false);
    expect(copy.equals(record)).toBe(true);
  });
});
