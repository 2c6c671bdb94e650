import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { MappedFile } from "@store/mapped-file";
import { offsetToFileName } from "@store/mapped-file";
import { SimulatedDisk } from "@store/mapped-file/testing";
import { afterEach, describe, expect, it } from "vitest";
import type { Flushable, MappedFileQueueOptions } from "../src/index.js";
import { FileQueueError, MappedFileQueue } from "../src/index.js";
import { appendRaw, flushAll, putRecord, readAt, useTempDirs } from "./helpers.js";

const tempDir = useTempDirs();
const queues: MappedFileQueue[] = [];
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.shutdown(0);
});

function newQueue(options: Partial<MappedFileQueueOptions> = {}): MappedFileQueue {
  const queue = new MappedFileQueue({
    storePath: join(tempDir(), "commitlog"),
    mappedFileSize: 4096,
    preallocation: "sparse",
    ...options,
  });
  queues.push(queue);
  return queue;
}

function record(index: number, size: number): Buffer {
  return Buffer.alloc(size, index % 251);
}

class InspectableQueue extends MappedFileQueue {
  install(files: readonly MappedFile[]): void {
    this.replaceMappedFiles(files);
  }
}

describe("MappedFileQueue", () => {
  it("rolls over to a new file when a record does not fit, writing each record where its result says", async () => {
    const queue = newQueue();
    const offsets: number[] = [];
    for (let i = 0; i < 40; i++) {
      const result = await putRecord(queue, record(i, 300));
      expect(result.status).toBe("PUT_OK");
      offsets.push(result.wroteOffset);
    }
    // 13 records of 300 B fit in 4096 with room for the 8-byte blank record; the 14th rolls over.
    expect(queue.mappedFiles.map((f) => f.fileFromOffset)).toEqual([0, 4096, 8192, 12288]);
    expect(offsets[13]).toBe(4096);
    expect(queue.mappedFiles.slice(0, 3).every((f) => f.isFull())).toBe(true);
    for (let i = 0; i < 40; i++)
      expect(await readAt(queue, offsets[i] ?? -1, 300)).toEqual(record(i, 300));
    expect(queue.getMaxOffset()).toBe(12288 + 300);
    expect(queue.getMinOffset()).toBe(0);
    expect(readdirSync(queue.storePath).sort()).toEqual(
      [0, 4096, 8192, 12288].map(offsetToFileName),
    );
  });

  it("creates the first file at startOffset rounded down to a file boundary", async () => {
    const queue = newQueue();
    const file = await queue.getLastMappedFile(10_000);
    expect(file?.fileFromOffset).toBe(8192);
    expect(file?.firstCreateInQueue).toBe(true);
    expect(await queue.getLastMappedFile(0)).toBe(file);
  });

  it("does not create a file when needCreate is false", async () => {
    const queue = newQueue();
    expect(await queue.getLastMappedFile(0, false)).toBeNull();
    const file = await queue.getLastMappedFile(0);
    file?.setWrotePosition(4096);
    expect(await queue.getLastMappedFile(0, false)).toBe(file);
    expect(queue.mappedFiles).toHaveLength(1);
  });

  it("shares one creation between concurrent getLastMappedFile calls", async () => {
    const queue = newQueue();
    const files = await Promise.all(Array.from({ length: 8 }, () => queue.getLastMappedFile(0)));
    expect(new Set(files).size).toBe(1);
    files[0]?.setWrotePosition(4096);
    const next = await Promise.all(
      Array.from({ length: 8 }, (_, i) => queue.getLastMappedFile(i * 100)),
    );
    expect(new Set(next).size).toBe(1);
    expect(queue.mappedFiles.map((f) => f.fileFromOffset)).toEqual([0, 4096]);
  });

  it("returns null and keeps the reason when a file cannot be created, and works again once space returns", async () => {
    const disk = new SimulatedDisk();
    const queue = newQueue({ storePath: "/store/commitlog", io: disk, preallocation: "zero-fill" });
    disk.failOn("write", "ENOSPC", { times: Infinity });
    expect(await queue.getLastMappedFile(0)).toBeNull();
    expect(queue.lastCreateError).toBeInstanceOf(FileQueueError);
    expect(queue.lastCreateError?.code).toBe("DISK_FULL");
    expect(disk.listFiles()).toEqual([]); // no temp file left behind
    disk.heal();
    expect((await queue.getLastMappedFile(0))?.fileFromOffset).toBe(0);
  });

  it("flush(leastPages) waits for enough dirty pages, and returns false when nothing advanced", async () => {
    const queue = newQueue({ mappedFileSize: 64 * 1024 });
    await appendRaw(queue, Buffer.alloc(3 * 4096, 1));
    expect(await queue.flush(4)).toBe(false);
    expect(queue.flushedWhere).toBe(0);
    await appendRaw(queue, Buffer.alloc(4096, 2));
    expect(await queue.flush(4)).toBe(true);
    expect(queue.flushedWhere).toBe(4 * 4096);
    expect(await queue.flush(0)).toBe(false);
  });

  it("records storeTimestamp only on flush(0)", async () => {
    const queue = newQueue();
    const result = await putRecord(queue, record(1, 100));
    await appendRaw(queue, Buffer.alloc(4096 - 100 - 50));
    expect(await queue.flush(1)).toBe(false);
    expect(queue.storeTimestamp).toBe(0);
    expect(await queue.flush(0)).toBe(true);
    expect(queue.storeTimestamp).toBe(result.storeTimestamp);
  });

  it("serialises concurrent flushes: the position advances once per file and never goes back", async () => {
    const queue = newQueue();
    for (let i = 0; i < 3; i++) await appendRaw(queue, Buffer.alloc(4096, i));
    await appendRaw(queue, Buffer.alloc(100, 9));
    const seen: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const advanced = await queue.flush(0);
        seen.push(queue.flushedWhere);
        return advanced;
      }),
    );
    expect(results.filter(Boolean)).toHaveLength(4);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(queue.flushedWhere).toBe(3 * 4096 + 100);
    expect(await queue.commit(0)).toBe(true); // page-cache mode: committedWhere follows wrote, one file per call
    expect(queue.committedWhere).toBe(4096);
  });

  it("keeps flushedWhere when an fdatasync fails, and keeps failing on that file (fsyncgate)", async () => {
    const disk = new SimulatedDisk();
    const queue = newQueue({ storePath: "/store/commitlog", io: disk });
    await appendRaw(queue, Buffer.alloc(700, 3));
    disk.failOn("fsync", "EIO");
    await expect(queue.flush(0)).rejects.toMatchObject({ code: "IO_ERROR" });
    expect(queue.flushedWhere).toBe(0);
    // Linux may have dropped the dirty pages: a later "successful" fdatasync would prove nothing.
    await expect(queue.flush(0)).rejects.toMatchObject({ code: "IO_ERROR" });
    expect(queue.flushedWhere).toBe(0);
    expect(queue.getLastMappedFile()?.flushError?.code).toBe("IO_ERROR");
  });

  it("satisfies Flushable, the interface the flush services drive", async () => {
    const flushable: Flushable = newQueue();
    expect(await flushable.flush(0)).toBe(false);
    expect(await flushable.commit(0)).toBe(false);
    expect([flushable.flushedWhere, flushable.committedWhere, flushable.storeTimestamp]).toEqual([
      0, 0, 0,
    ]);
  });

  it("reports lag: howMuchFallBehind", async () => {
    const queue = newQueue();
    expect(queue.howMuchFallBehind()).toBe(0);
    await appendRaw(queue, Buffer.alloc(1000));
    expect(queue.howMuchFallBehind()).toBe(0); // 0 until the first flush, as RocketMQ
    await queue.flush(0);
    await appendRaw(queue, Buffer.alloc(500));
    expect(queue.howMuchFallBehind()).toBe(500);
    expect(queue.getMaxWrotePosition()).toBe(1500);
  });

  it("truncateDirtyFiles sets the positions of the file holding the offset and deletes later files from disk", async () => {
    const queue = newQueue();
    for (let i = 0; i < 4; i++) await appendRaw(queue, Buffer.alloc(4096, i + 1));
    await flushAll(queue);
    await queue.commit(0);
    const paths = queue.mappedFiles.map((f) => f.fileName);
    await queue.truncateDirtyFiles(4096 + 1000);
    expect(queue.mappedFiles.map((f) => f.fileFromOffset)).toEqual([0, 4096]);
    const cut = queue.getLastMappedFile() as MappedFile;
    expect([cut.wrotePosition, cut.committedPosition, cut.flushedPosition]).toEqual([
      1000, 1000, 1000,
    ]);
    expect(queue.getMaxOffset()).toBe(5096);
    expect(queue.flushedWhere).toBe(5096);
    expect(queue.committedWhere).toBeLessThanOrEqual(5096);
    expect(existsSync(paths[2] ?? "")).toBe(false);
    expect(existsSync(paths[3] ?? "")).toBe(false);
    expect(existsSync(paths[1] ?? "")).toBe(true);
    // appends continue at the cut
    expect(await appendRaw(queue, Buffer.from("next"))).toBe(true);
    expect(await readAt(queue, 5096, 4)).toEqual(Buffer.from("next"));
  });

  it("deleteExpiredFileByTime never deletes the last file, stops at a held file and honours the batch limit", async () => {
    const queue = newQueue();
    for (let i = 0; i < 6; i++) await appendRaw(queue, Buffer.alloc(4096));
    for (const file of queue.mappedFiles) file.lastModifiedTimestamp = Date.now() - 10_000;
    expect(await queue.deleteExpiredFileByTime(1000, 0, 60_000, false, 2)).toBe(2);
    expect(queue.getMinOffset()).toBe(8192);
    const held = queue.mappedFiles[1] as MappedFile;
    expect(held.hold()).toBe(true);
    expect(await queue.deleteExpiredFileByTime(1000, 0, 60_000, false)).toBe(1); // stops at the held file
    expect(queue.mappedFiles[0]).toBe(held);
    held.release();
    expect(await queue.retryDeleteFirstFile(60_000)).toBe(true);
    expect(await queue.deleteExpiredFileByTime(0, 1, 0, true)).toBe(1);
    expect(queue.mappedFiles).toHaveLength(1);
    expect(readdirSync(queue.storePath)).toEqual([offsetToFileName(20480)]);
  });

  it("deleteExpiredFileByOffset keeps files whose last unit points at or past the offset", async () => {
    const queue = newQueue({ mappedFileSize: 200 });
    const unit = Buffer.alloc(20);
    for (let i = 0; i < 50; i++) {
      unit.writeBigInt64BE(BigInt(i * 1000), 0);
      await appendRaw(queue, unit);
    }
    // 5 files of 10 units; the last unit of file k points at (10k + 9) * 1000
    expect(await queue.deleteExpiredFileByOffset(19_000, 20)).toBe(1);
    expect(await queue.deleteExpiredFileByOffset(19_001, 20)).toBe(1);
    expect(queue.getMinOffset()).toBe(400);
    expect(await queue.deleteExpiredFileByOffset(1e9, 20)).toBe(2); // never the last file
    expect(queue.mappedFiles).toHaveLength(1);
  });

  it("checkSelf returns the inconsistencies of the file list", async () => {
    const queue = new InspectableQueue({
      storePath: join(tempDir(), "q"),
      mappedFileSize: 4096,
      preallocation: "sparse",
    });
    queues.push(queue);
    for (let i = 0; i < 3; i++) await appendRaw(queue, Buffer.alloc(4096));
    expect(queue.checkSelf()).toEqual([]);
    queue.install([queue.mappedFiles[0] as MappedFile, queue.mappedFiles[2] as MappedFile]);
    const problems = queue.checkSelf();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/starts at 8192, expected 4096/);
  });

  it("mappedFiles is a snapshot: later changes do not alter it", async () => {
    const queue = newQueue();
    await appendRaw(queue, Buffer.alloc(4096));
    const before = queue.mappedFiles;
    await appendRaw(queue, Buffer.alloc(1));
    expect(before).toHaveLength(1);
    expect(queue.mappedFiles).toHaveLength(2);
    expect(Object.isFrozen(before)).toBe(true);
  });

  it("shutdown closes the files but keeps them on disk; destroy deletes them and the empty directory", async () => {
    const queue = newQueue();
    await appendRaw(queue, Buffer.alloc(4096, 7));
    await appendRaw(queue, Buffer.alloc(10, 7));
    await flushAll(queue);
    await queue.shutdown(0);
    expect(queue.mappedFiles.every((f) => !f.isAvailable())).toBe(true);
    expect(readFileSync(join(queue.storePath, offsetToFileName(0)))[4095]).toBe(7);

    const again = newQueue({ storePath: queue.storePath });
    await again.load();
    expect(again.mappedFiles).toHaveLength(2);
    again.flushedWhere = 100;
    expect(again.getLastMappedFile()?.fileFromOffset).toBe(4096);
    await again.destroy();
    expect(again.mappedFiles).toHaveLength(0);
    expect(again.getLastMappedFile()).toBeNull();
    expect(again.flushedWhere).toBe(0);
    expect(existsSync(queue.storePath)).toBe(false);
  });

  it("rejects bad arguments with BAD_ARGUMENT", async () => {
    expect(() => new MappedFileQueue({ storePath: "/x", mappedFileSize: 0 })).toThrow(
      FileQueueError,
    );
    const queue = newQueue();
    await expect(queue.getLastMappedFile(-1)).rejects.toMatchObject({ code: "BAD_ARGUMENT" });
    expect(() => (queue.flushedWhere = -5)).toThrow(/flushedWhere/);
    await expect(queue.truncateDirtyFiles(1.5)).rejects.toMatchObject({ code: "BAD_ARGUMENT" });
  });
});
