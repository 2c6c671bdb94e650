import { describe, expect, it } from "vitest";
import {
  BLANK_MAGIC_CODE,
  checkMessageAndReturnSize,
  MessageCodecError,
  END_FILE_MIN_BLANK_LENGTH,
  MessageEncoder,
  patchRecord,
  writeBlankRecord,
} from "../src/index.js";

const FILE_SIZE = 1024;

/** DefaultAppendMessageCallback.doAppend over an in-memory file (research 6.4). */
function append(
  file: Buffer,
  fileFromOffset: number,
  position: number,
  record: Buffer,
  queueOffset: number,
): { status: "PUT_OK" | "END_OF_FILE"; wroteBytes: number } {
  const maxBlank = file.length - position;
  if (record.length + END_FILE_MIN_BLANK_LENGTH > maxBlank) {
    writeBlankRecord(file, position, maxBlank);
    return { status: "END_OF_FILE", wroteBytes: maxBlank };
  }
  patchRecord(record, queueOffset, fileFromOffset + position, 1_000 + queueOffset);
  record.copy(file, position);
  return { status: "PUT_OK", wroteBytes: record.length };
}

describe("patchRecord / writeBlankRecord", () => {
  it("reproduces research 6.9: ten 95-byte records, a 74-byte blank at 950, the 11th in file 1024", () => {
    const encoder = new MessageEncoder({ storeHost: "127.0.0.1:10911" });
    const files = [Buffer.alloc(FILE_SIZE), Buffer.alloc(FILE_SIZE)];
    const positions: number[] = [];
    let [fileIndex, position, queueOffset] = [0, 0, 0];
    for (let message = 0; message < 11; message += 1) {
      const encoded = encoder.encode({ topic: "T", body: Buffer.from("abc") }, 0);
      const record = encoded.status === "PUT_OK" ? encoded.record : Buffer.alloc(0);
      let result = append(
        files[fileIndex] ?? Buffer.alloc(0),
        fileIndex * FILE_SIZE,
        position,
        record,
        queueOffset,
      );
      if (result.status === "END_OF_FILE") {
        expect([message, position, result.wroteBytes]).toEqual([10, 950, 74]);
        [fileIndex, position] = [1, 0];
        result = append(files[1] ?? Buffer.alloc(0), FILE_SIZE, 0, record, queueOffset);
      }
      positions.push(fileIndex * FILE_SIZE + position);
      position += result.wroteBytes;
      queueOffset += 1;
    }
    expect(positions).toEqual([0, 95, 190, 285, 380, 475, 570, 665, 760, 855, 1024]);
    const first = files[0] ?? Buffer.alloc(0);
    expect(first.readInt32BE(950)).toBe(74);
    expect(first.readUInt32BE(954)).toBe(BLANK_MAGIC_CODE);
    expect(checkMessageAndReturnSize(first, 950)).toEqual({
      kind: "BLANK",
      success: true,
      size: 0,
      blankLength: 74,
    });
    expect(checkMessageAndReturnSize(files[1] ?? Buffer.alloc(0), 0)).toMatchObject({
      success: true,
      size: 95,
      queueOffset: 10,
      physicalOffset: 1024,
      storeTimestamp: 1_010,
    });
  });

  it("writes STORETIMESTAMP at 68 when the born host is IPv6", () => {
    const encoder = new MessageEncoder({ storeHost: "127.0.0.1:1" });
    const encoded = encoder.encode({ topic: "T", body: Buffer.alloc(1), bornHost: "[::1]:2" }, 0);
    const record = encoded.status === "PUT_OK" ? encoded.record : Buffer.alloc(0);
    patchRecord(record, 3, 4, 0x0102030405);
    expect(record.readBigInt64BE(20)).toBe(3n);
    expect(record.readBigInt64BE(28)).toBe(4n);
    expect(record.readBigInt64BE(68)).toBe(0x0102030405n);
    expect(checkMessageAndReturnSize(record)).toMatchObject({
      success: true,
      storeTimestamp: 0x0102030405,
    });
  });

  it("throws INVALID_RECORD for a short record and INVALID_ARGUMENT for unsafe values", () => {
    expect(() => patchRecord(Buffer.alloc(40), 0, 0, 0)).toThrow(MessageCodecError);
    const record = Buffer.alloc(100);
    expect(() => patchRecord(record, 2 ** 53, 0, 0)).toThrow(/queueOffset/);
    expect(() => patchRecord(record, 0, 0.5, 0)).toThrow(/physicalOffset/);
  });

  it("writes only the 8 blank bytes and refuses a blank below 8 or outside the target", () => {
    const file = Buffer.alloc(32, 0xee);
    expect(writeBlankRecord(file, 16, 16)).toBe(8);
    expect(file.subarray(16).toString("hex")).toBe("00000010cbd43194" + "ee".repeat(8));
    expect(() => writeBlankRecord(file, 0, 7)).toThrow(MessageCodecError);
    expect(() => writeBlankRecord(file, 25, 8)).toThrow(MessageCodecError);
  });
});
