import { join } from "node:path";
import { TransientStorePool } from "@store/mapped-file";
import { SimulatedDisk } from "@store/mapped-file/testing";
import { afterEach, describe, expect, it } from "vitest";
import { MappedFileQueue } from "../src/index.js";
import { appendRaw, commitAll, flushAll, readAt, useTempDirs } from "./helpers.js";

const SIZE = 16 * 1024;
const tempDir = useTempDirs();
const queues: MappedFileQueue[] = [];
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.shutdown(0);
});

function poolQueue(
  poolSize: number,
  io?: SimulatedDisk,
): { queue: MappedFileQueue; pool: TransientStorePool } {
  const pool = new TransientStorePool(poolSize, SIZE);
  pool.init();
  const storePath = io ? "/store/commitlog" : join(tempDir(), "commitlog");
  const queue = new MappedFileQueue({
    storePath,
    mappedFileSize: SIZE,
    transientStorePool: pool,
    preallocation: "sparse",
    ...(io ? { io } : {}),
  });
  queues.push(queue);
  return { queue, pool };
}

describe("MappedFileQueue with a TransientStorePool", () => {
  it("keeps appends invisible to readers until commit", async () => {
    const { queue } = poolQueue(2);
    await appendRaw(queue, Buffer.alloc(1000, 5));
    expect(queue.getLastMappedFile()?.usesTransientStorePool).toBe(true);
    expect(await readAt(queue, 0, 1000)).toBeNull();
    expect(queue.getMaxOffset()).toBe(0);
    expect(queue.getMaxWrotePosition()).toBe(1000);
    expect(await queue.flush(0)).toBe(false); // nothing readable, nothing to flush
    expect(await queue.commit(0)).toBe(true);
    expect(queue.committedWhere).toBe(1000);
    expect(await readAt(queue, 0, 1000)).toEqual(Buffer.alloc(1000, 5));
    expect(await queue.flush(0)).toBe(true);
    expect(queue.flushedWhere).toBe(1000);
  });

  it("commits only once leastPages pages are pending", async () => {
    const { queue } = poolQueue(2);
    await appendRaw(queue, Buffer.alloc(4096 + 100));
    expect(await queue.commit(2)).toBe(false);
    expect(queue.committedWhere).toBe(0);
    await appendRaw(queue, Buffer.alloc(4096));
    expect(await queue.commit(2)).toBe(true);
    expect(queue.committedWhere).toBe(2 * 4096 + 100);
  });

  it("returns a file's buffer to the pool once the file is fully committed", async () => {
    const { queue, pool } = poolQueue(2);
    await appendRaw(queue, Buffer.alloc(SIZE, 1));
    await appendRaw(queue, Buffer.alloc(10, 2));
    expect(pool.availableBufferNums).toBe(0);
    expect(await queue.commit(0)).toBe(true); // the full first file
    expect(pool.availableBufferNums).toBe(1);
    expect(queue.mappedFiles[0]?.usesTransientStorePool).toBe(false);
    expect(queue.committedWhere).toBe(SIZE);
    expect(await commitAll(queue)).toBe(1);
    expect(queue.committedWhere).toBe(SIZE + 10);
    expect(await readAt(queue, SIZE - 1, 1)).toEqual(Buffer.from([1]));
    expect(await readAt(queue, SIZE, 10)).toEqual(Buffer.alloc(10, 2));
  });

  it("falls back to page-cache mode when the pool is exhausted", async () => {
    const { queue, pool } = poolQueue(2);
    for (let i = 0; i < 2; i++) await appendRaw(queue, Buffer.alloc(SIZE, i + 1));
    await appendRaw(queue, Buffer.alloc(100, 3));
    expect(pool.availableBufferNums).toBe(0);
    const third = queue.getLastMappedFile();
    expect(third?.usesTransientStorePool).toBe(false);
    expect(await readAt(queue, 2 * SIZE, 100)).toEqual(Buffer.alloc(100, 3)); // readable without commit
    expect(await commitAll(queue)).toBe(3);
    expect(pool.availableBufferNums).toBe(2);
    expect(queue.committedWhere).toBe(2 * SIZE + 100);
  });

  it("never writes uncommitted bytes to the file", async () => {
    const disk = new SimulatedDisk();
    const { queue } = poolQueue(2, disk);
    await appendRaw(queue, Buffer.alloc(300, 9));
    const path = queue.getLastMappedFile()?.fileName ?? "";
    expect(disk.readFile(path).subarray(0, 300)).toEqual(Buffer.alloc(300));
    await commitAll(queue);
    expect(disk.readFile(path).subarray(0, 300)).toEqual(Buffer.alloc(300, 9));
    expect(disk.readFile(path, "durable").subarray(0, 300)).toEqual(Buffer.alloc(300));
    await flushAll(queue);
    expect(disk.readFile(path, "durable").subarray(0, 300)).toEqual(Buffer.alloc(300, 9));
  });

  it("keeps committedWhere when a commit fails, and commits on retry", async () => {
    const disk = new SimulatedDisk();
    const { queue } = poolQueue(2, disk);
    await appendRaw(queue, Buffer.alloc(500, 4));
    disk.failOn("write", "EIO");
    await expect(queue.commit(0)).rejects.toMatchObject({ code: "IO_ERROR" });
    expect(queue.committedWhere).toBe(0);
    expect(await queue.commit(0)).toBe(true);
    expect(queue.committedWhere).toBe(500);
  });
});
