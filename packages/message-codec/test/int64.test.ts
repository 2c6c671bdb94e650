import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isInt32, isInt64, readInt64BE, writeInt32BE, writeInt64BE } from "../src/int64.js";

describe("writeInt64BE / readInt64BE", () => {
  it("writes the same bytes as Buffer.writeBigInt64BE for every safe integer", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
        (value) => {
          const ours = Buffer.alloc(10);
          const reference = Buffer.alloc(10);
          writeInt64BE(ours, 1, value);
          reference.writeBigInt64BE(BigInt(value), 1);
          expect(ours.equals(reference)).toBe(true);
          expect(readInt64BE(ours, 1)).toBe(value);
        },
      ),
    );
  });

  it("handles the edges exactly", () => {
    const bytes = Buffer.alloc(8);
    for (const value of [
      0,
      -1,
      1,
      2 ** 32,
      -(2 ** 32),
      2 ** 32 - 1,
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
    ]) {
      writeInt64BE(bytes, 0, value);
      expect(bytes.readBigInt64BE(0)).toBe(BigInt(value));
      expect(readInt64BE(bytes, 0)).toBe(value);
    }
  });

  it("rounds values beyond 2^53 to the nearest double", () => {
    const bytes = Buffer.alloc(8);
    bytes.writeBigInt64BE(0x7fffffffffffffffn);
    expect(readInt64BE(bytes, 0)).toBe(2 ** 63);
  });
});

describe("writeInt32BE", () => {
  it("writes the same bytes as Buffer's checked writers, for int32 and uint32 values, touching nothing else", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: -0x80000000, max: 0x7fffffff }),
          fc.integer({ min: 0, max: 0xffffffff }),
        ),
        (value) => {
          const ours = Buffer.alloc(6, 0xee);
          const reference = Buffer.alloc(6, 0xee);
          writeInt32BE(ours, 1, value);
          if (value > 0x7fffffff) reference.writeUInt32BE(value, 1);
          else reference.writeInt32BE(value, 1);
          expect(ours.equals(reference)).toBe(true);
        },
      ),
    );
  });
});

describe("isInt32 / isInt64", () => {
  it("accepts Java int and safe long ranges only", () => {
    expect(isInt32(-0x80000000)).toBe(true);
    expect(isInt32(0x7fffffff)).toBe(true);
    expect(isInt32(0x80000000)).toBe(false);
    expect(isInt32(1.5)).toBe(false);
    expect(isInt32("1")).toBe(false);
    expect(isInt64(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(isInt64(2 ** 53)).toBe(false);
    expect(isInt64(Number.NaN)).toBe(false);
  });
});
