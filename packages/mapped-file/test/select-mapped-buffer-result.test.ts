import { describe, expect, it } from "vitest";
import { SelectMappedBufferResult } from "../src/index.js";

describe("SelectMappedBufferResult", () => {
  it("exposes the start offset, the bytes and their size", () => {
    const result = new SelectMappedBufferResult(4096, Buffer.from("abc"), null);
    expect(result.startOffset).toBe(4096);
    expect(result.buffer.toString()).toBe("abc");
    expect(result.size).toBe(3);
  });

  it("releases its owner exactly once, however often release() is called", () => {
    let releases = 0;
    const result = new SelectMappedBufferResult(0, Buffer.alloc(1), { release: () => releases++ });
    result.release();
    result.release();
    expect(releases).toBe(1);
  });

  it("tolerates having no owner", () => {
    expect(() => new SelectMappedBufferResult(0, Buffer.alloc(0), null).release()).not.toThrow();
  });
});
