import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CheckMessageResult, EncodeResult, MessageInput } from "../src/index.js";
import {
  bodyLengthPosition,
  calMsgLength,
  checkMessageAndReturnSize,
  encodeMessage,
  SCHEDULE_TOPIC,
  writeBlankRecord,
} from "../src/index.js";
import { loadGoldenRecord, messageCaseArbitrary } from "./fixtures/codec-fixtures.js";

const STORE_TIMESTAMP = 1_700_000_000_000;

function recordOf(result: EncodeResult): Buffer {
  if (result.status !== "PUT_OK") {
    throw new Error(`expected PUT_OK, got ${result.status}: ${result.reason}`);
  }
  return result.record;
}

function encode(message: MessageInput): Buffer {
  return recordOf(
    encodeMessage(message, { storeHost: "127.0.0.1:10911", storeTimestamp: STORE_TIMESTAMP }),
  );
}

function tagsCodeOf(result: CheckMessageResult): number | undefined {
  return result.kind === "MESSAGE" ? result.tagsCode : undefined;
}

describe("checkMessageAndReturnSize", () => {
  it("returns the dispatch request of the golden record", () => {
    const result = checkMessageAndReturnSize(loadGoldenRecord(), 0, true, true);
    expect(result).toMatchObject({
      kind: "MESSAGE",
      success: true,
      size: 150,
      topic: "TopicTest",
      queueId: 0,
      physicalOffset: 0,
      tagsCode: 2598919,
      storeTimestamp: 0x1a2106abcb3,
      queueOffset: 0,
      keys: "key1 key2",
      uniqKey: undefined,
      sysFlag: 0,
      preparedTransactionOffset: 0,
      bornTimestamp: 0x1a2106abcb2,
    });
    expect(result.kind === "MESSAGE" && { ...result.properties }).toEqual({
      TAGS: "TagA",
      KEYS: "key1 key2",
    });
  });

  it("reads keys as '' and tagsCode as 0 without properties, and the UNIQ_KEY", () => {
    expect(
      checkMessageAndReturnSize(encode({ topic: "T", body: Buffer.from("abc") })),
    ).toMatchObject({
      size: 95,
      keys: "",
      tagsCode: 0,
      uniqKey: undefined,
    });
    const withUniq = encode({
      topic: "T",
      body: Buffer.from("a"),
      properties: { UNIQ_KEY: "AC11000100002A9F" },
    });
    expect(checkMessageAndReturnSize(withUniq)).toMatchObject({ uniqKey: "AC11000100002A9F" });
  });

  it("returns { success: true, size: 0 } for the end-of-file blank record", () => {
    const file = Buffer.alloc(74);
    writeBlankRecord(file, 0, 74);
    expect(checkMessageAndReturnSize(file)).toEqual({
      kind: "BLANK",
      success: true,
      size: 0,
      blankLength: 74,
    });
  });

  it("returns { success: false, size: -1 } for zeroed space, fewer than 8 bytes and V2 magic", () => {
    expect(checkMessageAndReturnSize(Buffer.alloc(4096))).toMatchObject({
      success: false,
      size: -1,
      code: "BAD_MAGIC",
    });
    expect(checkMessageAndReturnSize(Buffer.alloc(7))).toMatchObject({
      success: false,
      size: -1,
      code: "UNDERFLOW",
    });
    const v2 = loadGoldenRecord();
    v2.writeUInt32BE(0xdaa320ab, 4);
    expect(checkMessageAndReturnSize(v2)).toMatchObject({
      success: false,
      size: -1,
      code: "BAD_MAGIC",
    });
  });

  it("returns { success: false, size: -1 } for a half record", () => {
    const golden = loadGoldenRecord();
    expect(checkMessageAndReturnSize(golden.subarray(0, 149))).toMatchObject({
      success: false,
      size: -1,
      code: "UNDERFLOW",
    });
  });

  it("returns { success: false, size: -1 } for a CRC mismatch unless the CRC or body is skipped", () => {
    const golden = loadGoldenRecord();
    golden[100] = (golden[100] ?? 0) ^ 1;
    expect(checkMessageAndReturnSize(golden)).toMatchObject({
      success: false,
      size: -1,
      code: "CRC_MISMATCH",
    });
    expect(checkMessageAndReturnSize(golden, 0, false)).toMatchObject({ success: true, size: 150 });
    expect(checkMessageAndReturnSize(golden, 0, true, false)).toMatchObject({
      success: true,
      size: 150,
    });
  });

  it("requires a stored CRC of 0 for an empty body", () => {
    const record = encode({ topic: "T", body: Buffer.alloc(0) });
    expect(checkMessageAndReturnSize(record)).toMatchObject({ success: true, size: 92 });
    record.writeInt32BE(5, 8);
    expect(checkMessageAndReturnSize(record)).toMatchObject({
      success: false,
      size: -1,
      code: "CRC_MISMATCH",
    });
  });

  it("returns { success: false, size: TOTALSIZE } after damageCommitLog zeroes the topic length", () => {
    const record = encode({ topic: "recoverTopic", body: Buffer.from("body"), tags: "TAG1" });
    const bodyLength = record.readInt32BE(84);
    record.fill(0, 84 + 4 + bodyLength, 84 + 4 + bodyLength + 16);
    expect(checkMessageAndReturnSize(record)).toMatchObject({
      kind: "INVALID",
      success: false,
      size: record.length,
      code: "SIZE_MISMATCH",
    });
  });

  it("returns { success: false, size: -1 } for a negative topic or body length", () => {
    const negativeTopic = loadGoldenRecord();
    negativeTopic[88 + 25] = 0x80;
    expect(checkMessageAndReturnSize(negativeTopic, 0, false)).toMatchObject({
      size: -1,
      code: "BAD_FIELD",
    });
    const negativeBody = loadGoldenRecord();
    negativeBody.writeInt32BE(-5, 84);
    expect(checkMessageAndReturnSize(negativeBody)).toMatchObject({ size: -1, code: "BAD_FIELD" });
  });

  it("uses the deliver time as tagsCode for a delayed SCHEDULE_TOPIC_XXXX record", () => {
    const delayed = (delay: string): Buffer =>
      encode({
        topic: SCHEDULE_TOPIC,
        body: Buffer.from("x"),
        tags: "abc",
        properties: { DELAY: delay },
      });
    expect(tagsCodeOf(checkMessageAndReturnSize(delayed("3")))).toBe(STORE_TIMESTAMP + 10_000);
    expect(tagsCodeOf(checkMessageAndReturnSize(delayed("99")))).toBe(STORE_TIMESTAMP + 7_200_000);
    expect(tagsCodeOf(checkMessageAndReturnSize(delayed("0")))).toBe(96354);
    expect(tagsCodeOf(checkMessageAndReturnSize(delayed("soon")))).toBe(96354);
    const custom = checkMessageAndReturnSize(delayed("2"), 0, true, true, {
      delayLevelTableMs: [7, 11],
    });
    expect(tagsCodeOf(custom)).toBe(STORE_TIMESTAMP + 11);
    const other = encode({
      topic: "T",
      body: Buffer.from("x"),
      tags: "abc",
      properties: { DELAY: "3" },
    });
    expect(tagsCodeOf(checkMessageAndReturnSize(other))).toBe(96354);
  });

  it("walks a file like recoverNormally: valid records, then stops at the zeroed tail", () => {
    const file = Buffer.alloc(1024);
    let position = 0;
    for (let index = 0; index < 5; index += 1) {
      position += encode({ topic: "T", body: Buffer.from(`m${index}`) }).copy(file, position);
    }
    let offset = 0;
    let result = checkMessageAndReturnSize(file, offset);
    while (result.success && result.size > 0) {
      offset += result.size;
      result = checkMessageAndReturnSize(file, offset);
    }
    expect(offset).toBe(5 * calMsgLength(0, 2, 1, 0));
    expect(result).toMatchObject({ success: false, size: -1 });
  });

  it("never throws and never succeeds inconsistently on arbitrary bytes", () => {
    const magic = Buffer.from("daa320a7", "hex");
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.boolean(),
        fc.boolean(),
        (bytes, withMagic, checkCRC) => {
          const buffer = Buffer.from(bytes);
          if (withMagic && buffer.length >= 8) {
            magic.copy(buffer, 4);
          }
          const result = checkMessageAndReturnSize(buffer, 0, checkCRC, true);
          if (result.kind === "MESSAGE") {
            expect(result.size).toBeGreaterThanOrEqual(91);
            expect(result.size).toBeLessThanOrEqual(buffer.length);
          }
          if (!result.success) {
            expect(result.size === -1 || result.code === "SIZE_MISMATCH").toBe(true);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("never reports success for a record whose BODYCRC was flipped", () => {
    fc.assert(
      fc.property(
        messageCaseArbitrary,
        fc.integer({ min: 1, max: 0xffffffff }),
        (messageCase, mask) => {
          const record = recordOf(
            encodeMessage(messageCase.message, {
              storeHost: messageCase.storeHost,
              storeTimestamp: 1,
            }),
          );
          record.writeUInt32BE((record.readUInt32BE(8) ^ mask) >>> 0, 8);
          expect(checkMessageAndReturnSize(record)).toMatchObject({
            success: false,
            size: -1,
            code: "CRC_MISMATCH",
          });
        },
      ),
    );
  });

  it("never throws on a valid record with one corrupted byte, and fails if it hit the CRC or body", () => {
    fc.assert(
      fc.property(
        messageCaseArbitrary,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (messageCase, where, mask) => {
          const record = recordOf(
            encodeMessage(messageCase.message, {
              storeHost: messageCase.storeHost,
              storeTimestamp: 1,
            }),
          );
          const bodyStart = bodyLengthPosition(record.readInt32BE(36)) + 4;
          const bodyEnd = bodyStart + messageCase.message.body.length;
          const position = where % record.length;
          record[position] = (record[position] ?? 0) ^ mask;
          const result = checkMessageAndReturnSize(record);
          if ((position >= 8 && position < 12) || (position >= bodyStart && position < bodyEnd)) {
            expect(result.success).toBe(false);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
