import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FILL_COPY_MIN_BYTES, copyBytes } from "../src/copy-bytes.js";

const TARGET_BYTES = 16 * 1024;

function target(shared: boolean): Buffer {
  const buffer = shared ? Buffer.from(new SharedArrayBuffer(TARGET_BYTES)) : Buffer.alloc(TARGET_BYTES);
  return buffer.fill(0xee);
}

describe("copyBytes", () => {
  it("copies every byte of the source at the position and touches nothing else, whatever the alignment", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 0, max: 7 }),
        fc.uint8Array({ minLength: 1, maxLength: 5000 }),
        fc.integer({ min: 0, max: TARGET_BYTES - 5000 }),
        (shared, sourceShift, bytes, position) => {
          // The source is a view at an arbitrary byte offset, as a body sliced out of a socket read is.
          const backing = Buffer.alloc(bytes.length + 8);
          const source = backing.subarray(sourceShift, sourceShift + bytes.length);
          source.set(bytes);
          const into = target(shared);
          const expected = Buffer.alloc(TARGET_BYTES, 0xee);
          expected.set(bytes, position);
          expect(copyBytes(into, source, position)).toBe(position + bytes.length);
          expect(into.equals(expected)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("copies into a view that starts inside shared memory (a pool buffer's slice)", () => {
    const whole = target(true);
    const view = whole.subarray(3, 3 + 4096);
    const source = Buffer.alloc(1024, 0x5a);
    expect(copyBytes(view, source, 10)).toBe(1034);
    expect(whole.subarray(13, 1037).every((byte) => byte === 0x5a)).toBe(true);
    expect(whole[12]).toBe(0xee);
    expect(whole[1037]).toBe(0xee);
  });

  it("copies from earlier bytes of the same shared buffer (a body read back from the log and put again)", () => {
    const buffer = target(true);
    for (let i = 0; i < 2048; i++) buffer[i] = i % 251;
    const before = Buffer.from(buffer.subarray(0, 2048));
    expect(copyBytes(buffer, buffer.subarray(0, 2048), 4099)).toBe(4099 + 2048);
    expect(buffer.subarray(4099, 4099 + 2048).equals(before)).toBe(true);
    expect(buffer.subarray(0, 2048).equals(before)).toBe(true);
  });

  it("copies an empty source and short sources below the fill threshold", () => {
    for (const shared of [true, false]) {
      const into = target(shared);
      expect(copyBytes(into, new Uint8Array(0), 7)).toBe(7);
      expect(into.every((byte) => byte === 0xee)).toBe(true);
      const short = Buffer.alloc(FILL_COPY_MIN_BYTES - 1, 1);
      expect(copyBytes(into, short, 3)).toBe(3 + short.length);
      expect(into.subarray(3, 3 + short.length).every((byte) => byte === 1)).toBe(true);
    }
  });
});
