import { describe, expect, it } from "vitest";
import { StoreError, TransientStorePool } from "../src/index.js";
import { thrown } from "./helpers.js";

describe("TransientStorePool", () => {
  it("rejects a pool or file size that is not a positive integer with BAD_ARGUMENT", () => {
    for (const [poolSize, fileSize] of [
      [0, 10],
      [-1, 10],
      [1.5, 10],
      [1, 0],
      [1, -5],
      [1, Number.NaN],
    ] as const) {
      const error = thrown(() => new TransientStorePool(poolSize, fileSize));
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ code: "BAD_ARGUMENT" });
    }
  });

  it("allocates nothing until init(), then poolSize zeroed buffers of fileSize bytes", () => {
    const pool = new TransientStorePool(3, 1024);
    expect(pool.availableBufferNums).toBe(0);
    expect(pool.borrowBuffer()).toBeNull();
    pool.init();
    expect(pool.availableBufferNums).toBe(3);
    const buffers = [pool.borrowBuffer(), pool.borrowBuffer(), pool.borrowBuffer()];
    for (const buffer of buffers) expect(buffer?.equals(Buffer.alloc(1024))).toBe(true);
    expect(new Set(buffers).size).toBe(3);
    expect(pool.availableBufferNums).toBe(0);
  });

  it("returns null when every buffer is lent out", () => {
    const pool = new TransientStorePool(1, 16);
    pool.init();
    expect(pool.borrowBuffer()).not.toBeNull();
    expect(pool.borrowBuffer()).toBeNull();
  });

  it("lends the most recently returned buffer first (LIFO), contents as left", () => {
    const pool = new TransientStorePool(2, 16);
    pool.init();
    const first = pool.borrowBuffer();
    const second = pool.borrowBuffer();
    if (first === null || second === null) throw new Error("pool is empty");
    first.fill(1);
    pool.returnBuffer(second);
    pool.returnBuffer(first);
    expect(pool.availableBufferNums).toBe(2);
    const next = pool.borrowBuffer();
    expect(next).toBe(first);
    expect(next?.[0]).toBe(1);
  });

  it("rejects a buffer it did not lend, or one returned twice, with POOL_BUFFER_INVALID", () => {
    const pool = new TransientStorePool(1, 16);
    pool.init();
    expect(thrown(() => pool.returnBuffer(Buffer.alloc(16)))).toMatchObject({
      name: "StoreError",
      code: "POOL_BUFFER_INVALID",
    });
    const buffer = pool.borrowBuffer();
    if (buffer === null) throw new Error("pool is empty");
    pool.returnBuffer(buffer);
    expect(thrown(() => pool.returnBuffer(buffer))).toMatchObject({ code: "POOL_BUFFER_INVALID" });
    expect(pool.availableBufferNums).toBe(1);
    const other = new TransientStorePool(1, 16);
    other.init();
    const foreign = other.borrowBuffer();
    if (foreign === null) throw new Error("pool is empty");
    expect(thrown(() => pool.returnBuffer(foreign))).toMatchObject({ code: "POOL_BUFFER_INVALID" });
  });

  it("drops free buffers on destroy; lent ones can still come back but are not lent again", () => {
    const pool = new TransientStorePool(2, 16);
    pool.init();
    const lent = pool.borrowBuffer();
    if (lent === null) throw new Error("pool is empty");
    pool.destroy();
    expect(pool.availableBufferNums).toBe(0);
    expect(pool.borrowBuffer()).toBeNull();
    pool.returnBuffer(lent);
    expect(pool.availableBufferNums).toBe(0);
    expect(thrown(() => pool.returnBuffer(lent))).toMatchObject({ code: "POOL_BUFFER_INVALID" });
  });

  it("tops up to poolSize on a second init, counting buffers still lent", () => {
    const pool = new TransientStorePool(3, 16);
    pool.init();
    const lent = pool.borrowBuffer();
    pool.init();
    expect(pool.availableBufferNums).toBe(2);
    pool.destroy();
    pool.init();
    expect(pool.availableBufferNums).toBe(2); // one is still out
    if (lent) pool.returnBuffer(lent);
    expect(pool.availableBufferNums).toBe(3);
  });
});
