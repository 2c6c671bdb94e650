import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { offsetToFileName } from "@store/mapped-file";
import { SimulatedDisk } from "@store/mapped-file/testing";
import { afterEach, describe, expect, it } from "vitest";
import { FileQueueError, MappedFileQueue } from "../src/index.js";
import { appendRaw, flushAll, readAt, useTempDirs } from "./helpers.js";

const SIZE = 4096;
const tempDir = useTempDirs();
const queues: MappedFileQueue[] = [];
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.shutdown(0);
});

function newQueue(storePath: string): MappedFileQueue {
  const queue = new MappedFileQueue({ storePath, mappedFileSize: SIZE, preallocation: "sparse" });
  queues.push(queue);
  return queue;
}

/** A directory with `count` full segment files written through a queue (file k filled with byte k+1). */
async function writtenDirectory(count: number): Promise<string> {
  const storePath = join(tempDir(), "commitlog");
  const queue = newQueue(storePath);
  for (let i = 0; i < count; i++) await appendRaw(queue, Buffer.alloc(SIZE, i + 1));
  await flushAll(queue);
  await queue.shutdown(0);
  return storePath;
}

describe("MappedFileQueue.load", () => {
  it("opens every file in offset order with all positions at the file size", async () => {
    const storePath = await writtenDirectory(3);
    const queue = newQueue(storePath);
    await queue.load();
    expect(queue.mappedFiles.map((f) => f.fileFromOffset)).toEqual([0, 4096, 8192]);
    for (const file of queue.mappedFiles) {
      expect([file.wrotePosition, file.committedPosition, file.flushedPosition]).toEqual([
        SIZE,
        SIZE,
        SIZE,
      ]);
    }
    expect(queue.getMinOffset()).toBe(0);
    expect(queue.getMaxOffset()).toBe(3 * SIZE);
    expect(queue.getMaxWrotePosition()).toBe(3 * SIZE);
    expect(await readAt(queue, 4096 + 10, 4)).toEqual(Buffer.alloc(4, 2));
    // recovery would now truncate; appends continue after that
    await queue.truncateDirtyFiles(8192 + 100);
    expect(queue.getMaxOffset()).toBe(8292);
  });

  it("loads a missing directory as an empty queue", async () => {
    const queue = newQueue(join(tempDir(), "nothing-here"));
    await queue.load();
    expect(queue.mappedFiles).toHaveLength(0);
    expect(queue.getMinOffset()).toBe(-1);
    expect(queue.getMaxOffset()).toBe(0);
  });

  it("deletes *.tmp leftovers of interrupted creations", async () => {
    const storePath = await writtenDirectory(2);
    const leftover = join(storePath, offsetToFileName(8192) + ".tmp");
    writeFileSync(leftover, Buffer.alloc(100));
    const queue = newQueue(storePath);
    await queue.load();
    expect(queue.mappedFiles).toHaveLength(2);
    expect(existsSync(leftover)).toBe(false);
  });

  it("deletes an empty last file (a creation cut short, RocketMQ 5.x)", async () => {
    const storePath = await writtenDirectory(2);
    writeFileSync(join(storePath, offsetToFileName(8192)), Buffer.alloc(0));
    const queue = newQueue(storePath);
    await queue.load();
    expect(queue.mappedFiles).toHaveLength(2);
    expect(readdirSync(storePath)).toHaveLength(2);
  });

  it("refuses a directory with a gap (DIRECTORY_GAP) and loads nothing", async () => {
    const storePath = await writtenDirectory(4);
    rmSync(join(storePath, offsetToFileName(4096)));
    const queue = newQueue(storePath);
    const error = await queue.load().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FileQueueError);
    expect(error).toMatchObject({ code: "DIRECTORY_GAP" });
    expect((error as Error).message).toMatch(
      /00000000000000008192 starts at 8192 but .* ends at 4096/,
    );
    expect(queue.mappedFiles).toHaveLength(0);
  });

  it("refuses a file whose name is not a segment name (BAD_FILE_NAME)", async () => {
    const storePath = await writtenDirectory(1);
    writeFileSync(join(storePath, "notes.txt"), "hello");
    await expect(newQueue(storePath).load()).rejects.toMatchObject({
      code: "BAD_FILE_NAME",
      message: /notes\.txt/,
    });
  });

  it("refuses a segment name that is not a multiple of the file size (BAD_FILE_NAME)", async () => {
    const storePath = join(tempDir(), "commitlog");
    mkdirSync(storePath);
    writeFileSync(join(storePath, offsetToFileName(100)), Buffer.alloc(SIZE));
    await expect(newQueue(storePath).load()).rejects.toMatchObject({
      code: "BAD_FILE_NAME",
      message: /not a multiple/,
    });
  });

  it("refuses a wrong-sized file (FILE_SIZE_MISMATCH), even in the middle, and opens nothing", async () => {
    const storePath = await writtenDirectory(3);
    writeFileSync(join(storePath, offsetToFileName(4096)), Buffer.alloc(SIZE - 1));
    const queue = newQueue(storePath);
    await expect(queue.load()).rejects.toMatchObject({
      code: "FILE_SIZE_MISMATCH",
      message: /4095 bytes, expected 4096/,
    });
    expect(queue.mappedFiles).toHaveLength(0);
  });

  it("refuses to load twice (LOAD_FAILED)", async () => {
    const storePath = await writtenDirectory(1);
    const queue = newQueue(storePath);
    await queue.load();
    await expect(queue.load()).rejects.toMatchObject({ code: "LOAD_FAILED" });
  });

  it("reports an I/O failure while opening as LOAD_FAILED and closes what it opened", async () => {
    const disk = new SimulatedDisk();
    const writer = new MappedFileQueue({ storePath: "/s/q", mappedFileSize: SIZE, io: disk });
    for (let i = 0; i < 3; i++) await appendRaw(writer, Buffer.alloc(SIZE, 1));
    await writer.shutdown(0);
    disk.failOn("open", "EIO", { after: 1 });
    const queue = new MappedFileQueue({ storePath: "/s/q", mappedFileSize: SIZE, io: disk });
    const error = await queue.load().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "LOAD_FAILED", cause: { code: "IO_ERROR" } });
    expect(queue.mappedFiles).toHaveLength(0);
    await queue.load(); // the fault was one-off: a retry loads everything
    expect(queue.mappedFiles).toHaveLength(3);
    await queue.shutdown(0);
  });
});
