import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrameDecoder, RemotingCommand, RemotingError } from "../src/index.js";
import { Prng, mutatedFrame, randomChunks, seedFrames } from "./fixtures/frame-fuzzer.js";

function frameOf(code: number, bodyLength: number): Buffer {
  return RemotingCommand.request(
    code,
    code,
    { k: String(code) },
    Buffer.alloc(bodyLength, code & 0xff),
  ).encode();
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
          expect(got.map((frame) => frame.toString("hex"))).toEqual(
            frames.map((frame) => frame.subarray(4).toString("hex")),
          );
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

/**
 * Decodes what the decoder hands over: only RemotingErrors may be thrown, and a command must hold
 * integers and string fields and survive re-encoding. (Plain checks: `expect` per frame is slow.)
 */
function checkFrame(frame: Buffer): "command" | "refused" {
  let command: RemotingCommand;
  try {
    command = RemotingCommand.decode(frame);
  } catch (error) {
    if (!(error instanceof RemotingError)) throw error;
    return "refused";
  }
  const fields = Object.entries(command.extFields);
  const integers = [command.code, command.opaque, command.flag, command.version].every(
    (value) => Number.isSafeInteger(value) && !Object.is(value, -0),
  );
  if (!integers || fields.some(([, value]) => typeof value !== "string"))
    throw new Error(`bad command ${JSON.stringify(command)}`);
  const again = RemotingCommand.decode(command.encode().subarray(4));
  const same =
    again.code === command.code &&
    again.opaque === command.opaque &&
    again.flag === command.flag &&
    again.remark === command.remark &&
    JSON.stringify(Object.entries(again.extFields)) === JSON.stringify(fields);
  if (!same) throw new Error(`${JSON.stringify(command)} re-encoded as ${JSON.stringify(again)}`);
  return "command";
}

describe("FrameDecoder and RemotingCommand.decode under fuzzing", () => {
  it("take 100,000 random and mutated frames without an error other than BAD_FRAME", () => {
    const seed = 0x5eed15;
    const prng = new Prng(seed);
    const seeds = seedFrames();
    const outcomes = { command: 0, refused: 0, badStream: 0 };
    let decoder = new FrameDecoder();
    for (let n = 0; n < 100_000; n++) {
      // Mostly one frame per stream; sometimes several back to back, as one connection sends them.
      const frames =
        prng.next() < 0.8
          ? [mutatedFrame(prng, seeds)]
          : Array.from({ length: prng.int(2, 6) }, () => mutatedFrame(prng, seeds));
      n += frames.length - 1;
      if (prng.next() < 0.8) decoder = new FrameDecoder();
      try {
        for (const chunk of randomChunks(prng, Buffer.concat(frames))) {
          for (const frame of decoder.push(chunk)) outcomes[checkFrame(frame)]++;
        }
      } catch (error) {
        if (!(error instanceof RemotingError) || error.code !== "BAD_FRAME")
          throw new Error(`seed ${seed}, frame ${n}`, { cause: error });
        outcomes.badStream++;
        decoder = new FrameDecoder();
      }
      if (decoder.bufferedBytes > 16 * 1024 * 1024 + 4)
        throw new Error(`seed ${seed}, frame ${n}: ${decoder.bufferedBytes} bytes buffered`);
    }
    // Every kind of outcome occurred: the mutations reach past the length checks into the header.
    expect(outcomes.command).toBeGreaterThan(10_000);
    expect(outcomes.refused).toBeGreaterThan(5_000);
    expect(outcomes.badStream).toBeGreaterThan(5_000);
  });
});
