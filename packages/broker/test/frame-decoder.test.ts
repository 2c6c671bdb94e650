import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrameDecoder, RemotingCommand, RemotingError } from "../src/index.js";

function frameOf(code: number, bodyLength: number): Buffer {
  return RemotingCommand.request(code, code, { k: String(code) }, Buffer.alloc(bodyLength, code & 0xff)).encode();
}

describe("FrameDecoder", () => {
  it("returns the same frames however the stream is cut into chunks", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 40 }),
        (bodyLengths, cuts) => {
          const frames = bodyLengths.map((length, index) => frameOf(index + 1, length));
          const stream = Buffer.concat(frames);
          const decoder = new FrameDecoder();
          const got: Buffer[] = [];
          let offset = 0;
          for (let i = 0; offset < stream.length; i++) {
            const size = cuts[i % cuts.length]!;
            got.push(...decoder.push(stream.subarray(offset, offset + size)));
            offset += size;
          }
          expect(got.map((frame) => frame.toString("hex"))).toEqual(frames.map((frame) => frame.subarray(4).toString("hex")));
          expect(decoder.bufferedBytes).toBe(0);
        },
      ),
    );
  });

  it("refuses a frame longer than frameMaxLength as soon as its length arrives", () => {
    const decoder = new FrameDecoder({ frameMaxLength: 1024, headerMaxLength: 512 });
    const head = Buffer.alloc(8);
    head.writeInt32BE(1025, 0);
    head.writeInt32BE(10, 4);
    expect(() => decoder.push(head)).toThrow(RemotingError);
  });

  it("refuses a header longer than headerMaxLength or than the frame, and a negative length", () => {
    const decoder = () => new FrameDecoder({ frameMaxLength: 1 << 20, headerMaxLength: 100 });
    const head = (length: number, headerLength: number) => {
      const buffer = Buffer.alloc(8);
      buffer.writeInt32BE(length, 0);
      buffer.writeInt32BE(headerLength, 4);
      return buffer;
    };
    expect(() => decoder().push(head(1000, 101))).toThrow(/header length 101/);
    expect(() => decoder().push(head(50, 60))).toThrow(/header length 60/);
    expect(() => decoder().push(head(-1, 0))).toThrow(/frame length -1/);
  });

  it("checks a split frame's lengths before it is complete", () => {
    const decoder = new FrameDecoder({ frameMaxLength: 1024, headerMaxLength: 512 });
    const head = Buffer.alloc(8);
    head.writeInt32BE(5000, 0);
    expect(decoder.push(head.subarray(0, 3))).toEqual([]);
    expect(() => decoder.push(head.subarray(3))).toThrow(/frame length 5000/);
  });
});
