import { describe, expect, it } from "vitest";
import {
  BLANK_MAGIC_CODE,
  bodyLengthPosition,
  calMsgLength,
  END_FILE_MIN_BLANK_LENGTH,
  MESSAGE_MAGIC_CODE,
  PHYSICALOFFSET_POSITION,
  QUEUEOFFSET_POSITION,
  STORETIMESTAMP_POSITION,
  STORETIMESTAMP_POSITION_BORN_V6,
  storeTimestampPosition,
  SYSFLAG_BORNHOST_V6,
  SYSFLAG_POSITION,
  SYSFLAG_STOREHOST_V6,
  SYSFLAG_TRANSACTION_COMMIT_TYPE,
  SYSFLAG_TRANSACTION_PREPARED_TYPE,
  SYSFLAG_TRANSACTION_ROLLBACK_TYPE,
  transactionType,
} from "../src/index.js";

describe("message-format", () => {
  it("reads the message magic as -626843481 with readInt32BE", () => {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(MESSAGE_MAGIC_CODE);
    expect(bytes.toString("hex")).toBe("daa320a7");
    expect(bytes.readInt32BE(0)).toBe(-626843481);
  });

  it("defines the blank magic and the 8-byte minimum tail", () => {
    expect(BLANK_MAGIC_CODE).toBe(0xcbd43194);
    expect(END_FILE_MIN_BLANK_LENGTH).toBe(8);
  });

  it("places the patched fields at RocketMQ's offsets", () => {
    expect(QUEUEOFFSET_POSITION).toBe(20);
    expect(PHYSICALOFFSET_POSITION).toBe(28);
    expect(SYSFLAG_POSITION).toBe(36);
    expect(STORETIMESTAMP_POSITION).toBe(56);
    expect(STORETIMESTAMP_POSITION_BORN_V6).toBe(68);
    expect(storeTimestampPosition(0)).toBe(56);
    expect(storeTimestampPosition(SYSFLAG_BORNHOST_V6)).toBe(68);
    expect(storeTimestampPosition(SYSFLAG_STOREHOST_V6)).toBe(56);
  });

  it("puts BODYLEN at 84 with IPv4 hosts and 12 bytes later per IPv6 host", () => {
    expect(bodyLengthPosition(0)).toBe(84);
    expect(bodyLengthPosition(SYSFLAG_BORNHOST_V6)).toBe(96);
    expect(bodyLengthPosition(SYSFLAG_BORNHOST_V6 | SYSFLAG_STOREHOST_V6)).toBe(108);
  });

  it("computes 95 bytes for topic T, body abc and no properties (research 6.9)", () => {
    expect(calMsgLength(0, 3, 1, 0)).toBe(95);
  });

  it("computes 114 bytes for AppendCallbackTest's message and adds 12 per IPv6 host", () => {
    expect(calMsgLength(0, 4, 10, 9)).toBe(114);
    expect(calMsgLength(SYSFLAG_BORNHOST_V6, 4, 10, 9)).toBe(126);
    expect(calMsgLength(SYSFLAG_BORNHOST_V6 | SYSFLAG_STOREHOST_V6, 4, 10, 9)).toBe(138);
  });

  it("computes 150 bytes for the ali-ons golden record", () => {
    expect(calMsgLength(0, 25, 9, 25)).toBe(150);
  });

  it("extracts the transaction type bits", () => {
    expect(transactionType(0x1 | SYSFLAG_TRANSACTION_PREPARED_TYPE)).toBe(0x4);
    expect(transactionType(SYSFLAG_TRANSACTION_COMMIT_TYPE | SYSFLAG_BORNHOST_V6)).toBe(0x8);
    expect(transactionType(SYSFLAG_TRANSACTION_ROLLBACK_TYPE)).toBe(0xc);
    expect(transactionType(0x33)).toBe(0);
  });
});
