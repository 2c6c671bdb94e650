import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MappedFile, StoreError, TransientStorePool } from "../src/index.js";
import { makeTempDir, thrown } from "./helpers.js";

describe("TransientStorePool", () => {
  it("rejects a pool or file size that is not a positive integer with BAD_ARGUMENT", () => {
    for (const [poolSize, fileSize] of [[0, 10], [-1, 10], [1.5, 10], [1, 0], [1, -5], [1, Number.NaN]] as const) {
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
    expect(thrown(() => pool.returnBuffer(Buffer.alloc(16)))).toMatchObject({ name: "StoreError", code: "POOL_BUFFER_INVALID" });
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

  it("backs its buffers with SharedArrayBuffers when asked, so a worker thread can fill them in place", () => {
    const shared = new TransientStorePool(1, 4096, { sharedMemory: true });
    shared.init();
    const buffer = shared.borrowBuffer();
    expect(buffer?.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(buffer?.equals(Buffer.alloc(4096))).toBe(true);
    const plain = new TransientStorePool(1, 4096);
    plain.init();
    expect(plain.borrowBuffer()?.buffer).not.toBeInstanceOf(SharedArrayBuffer);
  });
});

describe("TransientStorePool.beforeCommit", () => {
  async function poolFile(
    beforeCommit: TransientStorePool["beforeCommit"],
    afterAppend: TransientStorePool["afterAppend"] = null,
  ): Promise<{ file: MappedFile; pool: TransientStorePool; path: string; cleanup: () => Promise<void> }> {
    const { dir, cleanup } = await makeTempDir();
    const pool = new TransientStorePool(1, 4096, { beforeCommit, afterAppend });
    pool.init();
    const path = join(dir, "00000000000000000000");
    return { file: await MappedFile.open(path, 4096, { transientStorePool: pool }), pool, path, cleanup };
  }

  it("runs before each commit over exactly the bytes it writes, and the file gets what it left there", async () => {
    const ranges: [number, number][] = [];
    const { file, path, cleanup } = await poolFile(async (owner, buffer, from, to) => {
      expect(owner).toBe(file);
      ranges.push([from, to]);
      await Promise.resolve();
      buffer.fill(0x7a, from, from + 1); // e.g. a checksum filled in late
    });
    try {
      file.appendMessage(Buffer.from("abc"));
      expect(await file.commit(0)).toBe(3);
      file.appendMessage(Buffer.from("defg"));
      expect(await file.commit(0)).toBe(7);
      expect(await file.commit(0)).toBe(7); // nothing pending: not called
      expect(ranges).toEqual([[0, 3], [3, 7]]);
      expect((await readFile(path)).subarray(0, 8).toString("latin1")).toBe("zbczefg\0");
    } finally {
      await file.destroy(0);
      await cleanup();
    }
  });

  it("fails the commit when it rejects: nothing is written, and the next commit retries the same range", async () => {
    let fail = true;
    const ranges: [number, number][] = [];
    const { file, path, cleanup } = await poolFile((_file, _buffer, from, to) => {
      ranges.push([from, to]);
      return fail ? Promise.reject(new Error("checksum worker died")) : Promise.resolve();
    });
    try {
      file.appendMessage(Buffer.from("abc"));
      await expect(file.commit(0)).rejects.toMatchObject({ name: "StoreError", code: "IO_ERROR", message: expect.stringContaining("checksum worker died") as unknown });
      expect(file.committedPosition).toBe(0);
      expect((await readFile(path)).subarray(0, 3)).toEqual(Buffer.alloc(3));
      fail = false;
      file.appendMessage(Buffer.from("d"));
      expect(await file.commit(0)).toBe(4);
      expect(ranges).toEqual([[0, 3], [0, 4]]);
      expect((await readFile(path)).subarray(0, 4).toString("latin1")).toBe("abcd");
    } finally {
      await file.destroy(0);
      await cleanup();
    }
  });

  it("tells afterAppend once per tick which bytes the tick appended, and keeps the buffer from the pool until it settles", async () => {
    const told: [number, number][] = [];
    const finishers: (() => void)[] = [];
    const { file, pool, cleanup } = await poolFile(null, (owner, buffer, from, to) => {
      expect(owner).toBe(file);
      expect(buffer.subarray(from, to).toString("latin1")).toBe(told.length === 0 ? "abcde" : "fg");
      told.push([from, to]);
      return new Promise<void>((resolve) => finishers.push(resolve));
    });
    try {
      file.appendMessage(Buffer.from("abc"));
      file.appendMessage(Buffer.from("de")); // same tick: one call
      expect(told).toEqual([]);
      await Promise.resolve();
      expect(told).toEqual([[0, 5]]);
      file.appendMessage(Buffer.from("fg"));
      await new Promise((resolve) => setImmediate(resolve));
      expect(told).toEqual([[0, 5], [5, 7]]);
      // Closed while that work is still running: the buffer stays out of the pool until all of it is over.
      await file.destroy(0);
      expect(pool.availableBufferNums).toBe(0);
      finishers.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
      expect(pool.availableBufferNums).toBe(0);
      finishers.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
      expect(pool.availableBufferNums).toBe(1);
    } finally {
      await cleanup();
    }
  });
});
