// Ports of RocketMQ's MappedFileQueueTest (research §9.1): same inputs, same expected numbers, except
// that flush() returns true when it advanced (DESIGN §4 fixes RocketMQ's inverted boolean).
import { join } from "node:path";
import type { MappedFile } from "@store/mapped-file";
import { afterEach, describe, expect, it } from "vitest";
import { MappedFileQueue } from "../src/index.js";
import { useTempDirs } from "./helpers.js";

const tempDir = useTempDirs();
const queues: MappedFileQueue[] = [];
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.shutdown(0);
});

function newQueue(mappedFileSize: number): MappedFileQueue {
  const queue = new MappedFileQueue({
    storePath: join(tempDir(), "queue"),
    mappedFileSize,
    preallocation: "sparse",
  });
  queues.push(queue);
  return queue;
}

async function appendAll(queue: MappedFileQueue, data: Buffer, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const file = await queue.getLastMappedFile(0);
    expect(file).not.toBeNull();
    expect(file?.appendMessage(data)).toBe(true);
  }
}

class ReorderableQueue extends MappedFileQueue {
  swap(a: number, b: number): void {
    const files = [...this.mappedFiles];
    [files[a], files[b]] = [files[b] as MappedFile, files[a] as MappedFile];
    this.replaceMappedFiles(files);
  }
}

describe("MappedFileQueue (RocketMQ MappedFileQueueTest)", () => {
  it("testGetLastMappedFile: 1024 appends of 16 B give a file for every append (16 files)", async () => {
    const queue = newQueue(1024);
    await appendAll(queue, Buffer.from("0123456789abcdef"), 1024);
    expect(queue.mappedFiles).toHaveLength(16);
  });

  it("testFindMappedFileByOffset: finds files by offset, 4096 bytes mapped", async () => {
    const queue = newQueue(1024);
    await appendAll(queue, Buffer.from("abcd"), 1024);
    const from = (offset: number): number | undefined =>
      queue.findMappedFileByOffset(offset)?.fileFromOffset;
    expect(from(0)).toBe(0);
    expect(from(100)).toBe(0);
    expect(from(1024)).toBe(1024);
    expect(from(1024 + 100)).toBe(1024);
    expect(from(2048)).toBe(2048);
    expect(from(2048 + 100)).toBe(2048);
    expect(queue.findMappedFileByOffset(4096)).toBeNull();
    expect(queue.findMappedFileByOffset(4096 + 100)).toBeNull();
  });

  it("testFindMappedFileByOffset_StartOffsetIsNonZero: a queue starting at 1024", async () => {
    const queue = newQueue(1024);
    const file = await queue.getLastMappedFile(1024);
    expect(file?.fileFromOffset).toBe(1024);
    expect(queue.findMappedFileByOffset(1025)).toBe(file);
    expect(queue.findMappedFileByOffset(0)).toBeNull();
    expect(queue.findMappedFileByOffset(123, false)).toBeNull();
    expect(queue.findMappedFileByOffset(123, true)).toBe(file);
    expect(queue.findMappedFileByOffset(0, false)).toBeNull();
    expect(queue.findMappedFileByOffset(0, true)).toBe(file);
  });

  it("testAppendMessage: each flush(0) flushes one file and returns true (advanced)", async () => {
    const queue = newQueue(1024);
    await appendAll(queue, Buffer.from("0123456789abcdef"), 1024);
    for (const expected of [1024, 2048, 3072, 4096, 5120, 6144]) {
      expect(await queue.flush(0)).toBe(true);
      expect(queue.flushedWhere).toBe(expected);
    }
  });

  it("testDeleteExpiredFileByOffset: a held file blocks deletion, then 7 files go", async () => {
    const queue = newQueue(5120);
    const unit = Buffer.alloc(20);
    for (let i = 0; i < 2048; i++) {
      unit.writeBigInt64BE(BigInt(i), 0);
      unit.fill("0", 8);
      await appendAll(queue, unit, 1);
    }
    expect(queue.mappedFiles).toHaveLength(8);
    const first = queue.getFirstMappedFile() as MappedFile;
    expect(first.hold()).toBe(true);
    expect(await queue.deleteExpiredFileByOffset(20480, 20)).toBe(0);
    first.release();
    expect(await queue.deleteExpiredFileByOffset(20480, 20)).toBe(7);
    expect(queue.getFirstMappedFile()?.fileFromOffset).toBe(35840);
  });

  it("testDeleteExpiredFileByTime: deletion stops at the first file that is not expired (50 -> 45)", async () => {
    const queue = newQueue(1024);
    await appendAll(queue, Buffer.alloc(512, 1), 100);
    expect(queue.mappedFiles).toHaveLength(50);
    queue.mappedFiles.forEach((file, i) => {
      if (i < 5 || i > 20) file.lastModifiedTimestamp = Date.now() - 200_000;
    });
    expect(await queue.deleteExpiredFileByTime(100_000, 0, 0, false, 50)).toBe(5);
    expect(queue.mappedFiles).toHaveLength(45);
  });

  it("testFindMappedFile_ByIteration: a misordered list still finds the file by linear search", async () => {
    const queue = new ReorderableQueue({
      storePath: join(tempDir(), "queue"),
      mappedFileSize: 1024,
      preallocation: "sparse",
    });
    queues.push(queue);
    for (let i = 0; i < 3; i++) (await queue.getLastMappedFile(1024 * i))?.setWrotePosition(1024);
    expect(queue.findMappedFileByOffset(1028)?.fileFromOffset).toBe(1024);
    queue.swap(1, 2);
    expect(queue.mappedFiles[1]?.fileFromOffset).toBe(2048);
    expect(queue.findMappedFileByOffset(1028)?.fileFromOffset).toBe(1024);
  });

  it("testReset (5.x): resetOffset(0) keeps one file", async () => {
    const queue = newQueue(64);
    await appendAll(queue, Buffer.from("0123456789abcdef"), 8);
    expect(queue.mappedFiles).toHaveLength(2);
    expect(await queue.resetOffset(0)).toBe(true);
    expect(queue.mappedFiles).toHaveLength(1);
  });
});
