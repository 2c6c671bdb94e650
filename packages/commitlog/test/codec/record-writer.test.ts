import { describe, expect, it } from "vitest";
import { HostCache, prepareMessage } from "../../src/codec/prepare-message.js";
import { writeRecord } from "../../src/codec/record-writer.js";
import { parseHostAddress } from "../../src/codec/host-address.js";

describe("writeRecord", () => {
  it("lays out every field with IPv6 hosts at the shifted offsets", () => {
    const prepared = prepareMessage(
      { topic: "Tp", body: Buffer.from("xyz"), queueId: 3, flag: -1, bornHost: "[::2]:7", reconsumeTimes: 4, tags: "g" },
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
});
