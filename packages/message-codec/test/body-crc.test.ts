import { crc32 } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fillBodyCrcs } from "../src/body-crc.js";
import { encodeMessage } from "../src/encode-message.js";
import { BODYCRC_POSITION } from "../src/message-format.js";
import { MessageEncoder } from "../src/message-encoder.js";
import { writeBlankRecord } from "../src/record-patch.js";
import { writeRecord } from "../src/record-writer.js";
import type { MessageInput } from "../src/types.js";

const STORE_HOSTS = ["127.0.0.1:10911", "[2001:db8::1]:10911"];
const STORE_TIMESTAMP = 1_700_000_000_000;

/** Writes `messages` back to back as the pool-mode put path does: body CRC left 0. */
function writeWithoutCrc(messages: readonly MessageInput[], storeHost: string, room = 0): { buffer: Buffer; end: number } {
  const encoder = new MessageEncoder({ storeHost });
  const prepared = messages.map((message) => {
    const result = encoder.prepare(message, STORE_TIMESTAMP, false);
    if ("status" in result) throw new Error(result.reason);
    expect(result.bodyCRC).toBe(0);
    return result;
  });
  const buffer = Buffer.alloc(prepared.reduce((sum, message) => sum + message.totalSize, 0) + room);
  let end = 0;
  for (const message of prepared) end = writeRecord(buffer, end, message, STORE_TIMESTAMP);
  return { buffer, end };
}

function reference(messages: readonly MessageInput[], storeHost: string): Buffer {
  return Buffer.concat(
    messages.map((message) => {
      const encoded = encodeMessage(message, { storeHost, storeTimestamp: STORE_TIMESTAMP });
      if (encoded.status !== "PUT_OK") throw new Error(encoded.reason);
      return Buffer.from(encoded.record);
    }),
  );
}

const messageArbitrary: fc.Arbitrary<MessageInput> = fc.record(
  {
    topic: fc.constantFrom("Orders", "%RETRY%group", "T"),
    body: fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes)),
    bornHost: fc.constantFrom("10.0.0.7:5000", "[::1]:5000"),
    tags: fc.constantFrom("TagA", "tag-b"),
    properties: fc.dictionary(fc.constantFrom("a", "UNIQ_KEY", "k"), fc.string({ maxLength: 8 }).filter((v) => !v.includes("\u0001") && !v.includes("\u0002"))),
  },
  { requiredKeys: ["topic", "body"] },
);

describe("fillBodyCrcs", () => {
  it("fills each record's BODYCRC exactly as the encoder computes it, for IPv4 and IPv6 hosts", () => {
    fc.assert(
      fc.property(fc.array(messageArbitrary, { minLength: 1, maxLength: 12 }), fc.constantFrom(...STORE_HOSTS), (messages, storeHost) => {
        const { buffer, end } = writeWithoutCrc(messages, storeHost);
        expect(fillBodyCrcs(buffer, 0, end, crc32)).toBe(messages.length);
        expect(buffer.equals(reference(messages, storeHost))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("fills only the range asked for, from a record boundary", () => {
    const messages = [1, 2, 3].map((n) => ({ topic: "T", body: Buffer.alloc(100 * n, n) }));
    const { buffer } = writeWithoutCrc(messages, STORE_HOSTS[0] as string);
    const expected = reference(messages, STORE_HOSTS[0] as string);
    const first = expected.readInt32BE(0);
    const second = expected.readInt32BE(first);
    expect(fillBodyCrcs(buffer, first, first + second, crc32)).toBe(1);
    expect(buffer.readInt32BE(BODYCRC_POSITION)).toBe(0); // before the range
    expect(buffer.readInt32BE(first + BODYCRC_POSITION)).toBe(expected.readInt32BE(first + BODYCRC_POSITION));
    expect(buffer.readInt32BE(first + second + BODYCRC_POSITION)).toBe(0); // after it
  });

  it("stops at the end-of-file blank record", () => {
    const messages = [{ topic: "T", body: Buffer.from("last") }];
    const { buffer, end } = writeWithoutCrc(messages, STORE_HOSTS[0] as string, 64);
    writeBlankRecord(buffer, end, 64);
    expect(fillBodyCrcs(buffer, 0, buffer.length, crc32)).toBe(1);
    expect(buffer.subarray(0, end).equals(reference(messages, STORE_HOSTS[0] as string))).toBe(true);
  });

  it("refuses a range that does not hold whole records, before writing past it", () => {
    const { buffer, end } = writeWithoutCrc([{ topic: "T", body: Buffer.alloc(50, 1) }], STORE_HOSTS[0] as string);
    expect(() => fillBodyCrcs(buffer, 0, end - 1, crc32)).toThrow(/no whole message record at 0/);
    expect(() => fillBodyCrcs(buffer, 4, end, crc32)).toThrow(/no whole message record at 4/);
    expect(() => fillBodyCrcs(buffer, 0, 5, crc32)).toThrow(/partial record at 0/);
    expect(buffer.readInt32BE(BODYCRC_POSITION)).toBe(0);
  });
});
