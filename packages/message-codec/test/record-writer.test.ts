import { describe, expect, it } from "vitest";
import type { PreparedMessage } from "../src/prepare-message.js";
import { HostCache, prepareMessage } from "../src/prepare-message.js";
import { writeRecord } from "../src/record-writer.js";
import { parseHostAddress } from "../src/host-address.js";

describe("writeRecord", () => {
  it("lays out every field with IPv6 hosts at the shifted offsets", () => {
    const prepared = prepareMessage(
      {
        topic: "Tp",
        body: Buffer.from("xyz"),
        queueId: 3,
        flag: -1,
        bornHost: "[::2]:7",
        reconsumeTimes: 4,
        tags: "g",
      },
      99,
      {
        limits: { maxBodySize: 100, maxRecordSize: 1000 },
        storeHost: parseHostAddress("[::1]:8"),
        storeHostText: "[::1]:8",
        bornHosts: new HostCache(),
      },
    );
    if ("status" in prepared) {
      throw new Error(prepared.reason);
    }
    const target = Buffer.alloc(prepared.totalSize + 10, 0xff);
    expect(writeRecord(target, 5, prepared, 77)).toBe(5 + prepared.totalSize);
    const record = target.subarray(5);
    expect(prepared.totalSize).toBe(91 + 24 + 3 + 2 + 7);
    expect(record.readInt32BE(12)).toBe(3);
    expect(record.readInt32BE(16)).toBe(-1);
    expect(record.subarray(20, 36).equals(Buffer.alloc(16))).toBe(true);
    expect(record.readInt32BE(36)).toBe(0x30);
    expect(record.readBigInt64BE(40)).toBe(99n);
    expect(record.subarray(48, 68).toString("hex")).toBe("0".repeat(31) + "2" + "00000007");
    expect(record.readBigInt64BE(68)).toBe(77n);
    expect(record.subarray(76, 96).toString("hex")).toBe("0".repeat(31) + "1" + "00000008");
    expect(record.readInt32BE(96)).toBe(4);
    expect(record.readBigInt64BE(100)).toBe(0n);
    expect(record.readInt32BE(108)).toBe(3);
    expect(record.subarray(112, 115).toString()).toBe("xyz");
    expect(record[115]).toBe(2);
    expect(record.subarray(116, 118).toString()).toBe("Tp");
    expect(record.readInt16BE(118)).toBe(7);
    expect(record.subarray(120, 127).toString()).toBe("TAGS\u0001g\u0002");
    expect(target.subarray(5 + prepared.totalSize).equals(Buffer.alloc(5, 0xff))).toBe(true);
  });

  function prepared(): PreparedMessage {
    const result = prepareMessage(
      { topic: "T", body: Buffer.from("body"), bornTimestamp: 2 ** 41 + 3 },
      2 ** 42 + 1,
      {
        limits: { maxBodySize: 100, maxRecordSize: 1000 },
        storeHost: parseHostAddress("10.1.2.3:10911"),
        storeHostText: "10.1.2.3:10911",
        bornHosts: new HostCache(),
      },
    );
    if ("status" in result) throw new Error(result.reason);
    return result;
  }

  it("writes 64-bit fields above 2^32 exactly, through a caller's DataView of a buffer inside a larger one", () => {
    const message = prepared();
    const backing = new ArrayBuffer(message.totalSize + 64);
    const target = Buffer.from(backing, 16, message.totalSize + 8);
    const view = new DataView(backing, 16, message.totalSize + 8);
    expect(writeRecord(target, 8, message, 2 ** 42 + 1, 2 ** 40 + 5, 2 ** 52 + 7, view)).toBe(
      8 + message.totalSize,
    );
    const record = target.subarray(8);
    expect(record.readBigInt64BE(20)).toBe(2n ** 40n + 5n);
    expect(record.readBigInt64BE(28)).toBe(2n ** 52n + 7n);
    expect(record.readBigInt64BE(40)).toBe(2n ** 41n + 3n);
    expect(record.readBigInt64BE(56)).toBe(2n ** 42n + 1n);
    const fresh = Buffer.alloc(message.totalSize);
    writeRecord(fresh, 0, message, 2 ** 42 + 1, 2 ** 40 + 5, 2 ** 52 + 7); // its own DataView
    expect(record.equals(fresh)).toBe(true);
    expect(Buffer.from(backing, 0, 24).equals(Buffer.alloc(24))).toBe(true); // nothing before the target
  });

  it("refuses a record that does not fit the target, writing nothing", () => {
    const message = prepared();
    const target = Buffer.alloc(message.totalSize + 3);
    expect(() => writeRecord(target, 4, message, 1)).toThrow(/record does not fit the target/);
    expect(() => writeRecord(target, -1, message, 1)).toThrow(/record does not fit the target/);
    expect(target.equals(Buffer.alloc(message.totalSize + 3))).toBe(true);
  });
});
