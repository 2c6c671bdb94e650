import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  MappedFile,
  StoreError,
  TEMP_FILE_SUFFIX,
  TransientStorePool,
  nodeFileIO,
} from "../src/index.js";
import { SimulatedDisk } from "../src/testing.js";
import {
  bytesCallback,
  collectGarbage,
  failingCallback,
  makeTempDir,
  pattern,
  thrown,
} from "./helpers.js";

const KiB = 1024;
const MiB = 1024 * KiB;

let dir: string;
let cleanup: () => Promise<void>;
const opened: MappedFile[] = [];

beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
});

afterEach(async () => {
  for (const file of opened.splice(0)) await file.close();
  await cleanup();
});

async function openTracked(
  path: string,
  fileSize: number,
  options?: Parameters<typeof MappedFile.open>[2],
): Promise<MappedFile> {
  const file = await MappedFile.open(path, fileSize, options);
  opened.push(file);
  return file;
}

describe("MappedFile (RocketMQ MappedFileTest)", () => {
  it("testSelectMappedBuffer: reads back an append, and is destroyed once the reader releases", async () => {
    const path = join(dir, "MappedFileTest", "000");
    const mappedFile = await MappedFile.open(path, 64 * KiB);
    const storeMessage = "Once, there was a chance for me!";
    expect(mappedFile.appendMessage(Buffer.from(storeMessage))).toBe(true);

    const selectMappedBufferResult = await mappedFile.selectMappedBuffer(0);
    expect(selectMappedBufferResult).not.toBeNull();
    if (selectMappedBufferResult === null) return;
    expect(selectMappedBufferResult.size).toBe(32);
    expect(selectMappedBufferResult.buffer.toString()).toBe(storeMessage);

    mappedFile.shutdown(1000);
    expect(mappedFile.isAvailable()).toBe(false);
    selectMappedBufferResult.release();
    expect(mappedFile.isCleanupOver()).toBe(true);
    expect(await mappedFile.destroy(1000)).toBe(true);
    expect(existsSync(path)).toBe(false);
  });
});

describe("MappedFile (RocketMQ DefaultMappedFileErrorHandlingTest, 1 MiB)", () => {
  const fileSize = MiB;
  let file: MappedFile;

  beforeEach(async () => {
    file = await openTracked(join(dir, "00000000000000000000"), fileSize);
  });

  it("passes an UNKNOWN_ERROR from the callback through without moving", () => {
    const result = file.appendMessage(Buffer.from("x"), failingCallback("UNKNOWN_ERROR"));
    expect(result.status).toBe("UNKNOWN_ERROR");
    expect(file.wrotePosition).toBe(0);
  });

  it("appends fileSize - 100 bytes and reports that write position", () => {
    expect(file.appendMessage(Buffer.alloc(fileSize - 100, 1))).toBe(true);
    expect(file.wrotePosition).toBe(fileSize - 100);
  });

  it("refuses 20 more bytes after fileSize - 10, leaving the position alone", () => {
    expect(file.appendMessage(Buffer.alloc(fileSize - 10, 1))).toBe(true);
    expect(file.appendMessage(Buffer.alloc(20, 2))).toBe(false);
    expect(file.wrotePosition).toBe(fileSize - 10);
  });

  it("flush(0) returns > 0 after an append", async () => {
    expect(file.appendMessage(Buffer.from("hello"))).toBe(true);
    expect(await file.flush(0)).toBeGreaterThan(0);
    expect(file.flushedPosition).toBe(5);
  });
});

describe("MappedFile (RocketMQ DefaultMappedFileConcurrencyTest, 1 MiB)", () => {
  it("takes interleaved appends from 10 writers while 5 flush(0) run; nothing is lost", async () => {
    const file = await openTracked(join(dir, "00000000000000000000"), MiB);
    const writer = async (id: number): Promise<boolean[]> => {
      const results: boolean[] = [];
      for (let i = 0; i < 100; i++) {
        results.push(file.appendMessage(Buffer.alloc(100, id)));
        if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      return results;
    };
    const writers = Array.from({ length: 10 }, (_, id) => writer(id + 1));
    const flushes = Array.from({ length: 5 }, () => file.flush(0));
    const [appended, flushed] = await Promise.all([Promise.all(writers), Promise.all(flushes)]);
    expect(appended.flat().every(Boolean)).toBe(true);
    expect(file.wrotePosition).toBe(10 * 100 * 100);
    expect(flushed.some((position) => position > 0)).toBe(true);
    expect(await file.flush(0)).toBe(file.wrotePosition);
    expect(file.flushedPosition).toBe(file.wrotePosition);
  });

  it("serves 5 concurrent flush(0) after concurrent appends: all return the wrote position", async () => {
    const file = await openTracked(join(dir, "00000000000000000000"), MiB);
    await Promise.all(
      Array.from({ length: 10 }, async (_, id) => {
        await Promise.resolve();
        for (let i = 0; i < 100; i++)
          expect(file.appendMessage(pattern(64, id * 100 + i))).toBe(true);
      }),
    );
    const flushed = await Promise.all(Array.from({ length: 5 }, () => file.flush(0)));
    expect(flushed.some((position) => position > 0)).toBe(true);
    expect(file.flushedPosition).toBe(file.wrotePosition);
    expect(file.wrotePosition).toBe(64_000);
  });
});

describe("MappedFile", () => {
  it("names itself from the file: full path, offset from the digits, size", async () => {
    const path = join(dir, "00000000001073741824");
    const file = await openTracked(path, 4 * KiB);
    expect(file.fileName).toBe(path);
    expect(file.fileFromOffset).toBe(1073741824);
    expect(file.fileSize).toBe(4 * KiB);
  });

  it("creates a missing file at full size, zero-filled, and leaves no temp file", async () => {
    const path = join(dir, "nested", "00000000000000000000");
    await openTracked(path, 256 * KiB);
    expect(statSync(path).size).toBe(256 * KiB);
    expect(readFileSync(path).equals(Buffer.alloc(256 * KiB))).toBe(true);
    expect(existsSync(path + TEMP_FILE_SUFFIX)).toBe(false);
  });

  it("creates a sparse file of full size when asked", async () => {
    const disk = new SimulatedDisk();
    await openTracked("/store/00000000000000000000", 64 * KiB, {
      io: disk,
      preallocation: "sparse",
    });
    expect(disk.counters.writes).toBe(0);
    expect(disk.readFile("/store/00000000000000000000")).toEqual(Buffer.alloc(64 * KiB));
  });

  it("opens an existing file as is, with every position at 0 and its mtime", async () => {
    const path = join(dir, "00000000000000004096");
    const bytes = pattern(4 * KiB);
    writeFileSync(path, bytes);
    const file = await openTracked(path, 4 * KiB);
    expect([file.wrotePosition, file.committedPosition, file.flushedPosition]).toEqual([0, 0, 0]);
    expect(file.lastModifiedTimestamp).toBe(statSync(path).mtimeMs);
    file.resetPositions(4 * KiB);
    const read = await file.selectMappedBuffer(0);
    expect(read?.buffer.equals(bytes)).toBe(true);
    expect(read?.startOffset).toBe(4096);
    read?.release();
  });

  it("reuses a temp file a crash left behind", async () => {
    const path = join(dir, "00000000000000000000");
    writeFileSync(path + TEMP_FILE_SUFFIX, "left over from a crash");
    await openTracked(path, 8 * KiB);
    expect(readFileSync(path).equals(Buffer.alloc(8 * KiB))).toBe(true);
    expect(existsSync(path + TEMP_FILE_SUFFIX)).toBe(false);
  });

  it("keeps the descriptor of a newly created file usable across garbage collection", async () => {
    const file = await openTracked(join(dir, "00000000000000000000"), 8 * KiB);
    await collectGarbage();
    expect(file.appendMessage(Buffer.from("after gc"))).toBe(true);
    expect(await file.flush(0)).toBe(8);
  });

  it("reads a range or up to the read position; a range not fully readable is null", async () => {
    const file = await openTracked(join(dir, "00000000000000008192"), 8 * KiB);
    const bytes = pattern(1000);
    file.appendMessage(bytes);
    const whole = await file.selectMappedBuffer(10);
    expect(whole?.startOffset).toBe(8192 + 10);
    expect(whole?.buffer.equals(bytes.subarray(10))).toBe(true);
    whole?.release();
    const part = await file.selectMappedBuffer(100, 50);
    expect(part?.buffer.equals(bytes.subarray(100, 150))).toBe(true);
    expect(part?.size).toBe(50);
    part?.release();
    expect(await file.selectMappedBuffer(950, 51)).toBeNull();
    expect(await file.selectMappedBuffer(1000)).toBeNull();
    expect(await file.selectMappedBuffer(5000)).toBeNull();
    expect(await file.selectMappedBuffer(0, 0)).toBeNull();
    expect(file.refCount).toBe(1);
  });

  it("records the store timestamp of the last record and the time of the last append", async () => {
    const file = await openTracked(join(dir, "00000000000000000000"), 8 * KiB);
    const before = Date.now();
    const result = file.appendMessage(Buffer.from("record"), bytesCallback);
    expect(result).toMatchObject({ status: "PUT_OK", wroteOffset: 0, wroteBytes: 6 });
    expect(file.storeTimestamp).toBe(5678);
    expect(file.lastModifiedTimestamp).toBeGreaterThanOrEqual(before);
  });

  it("cannot be destroyed while a reader holds it; forced after the interval", async () => {
    const path = join(dir, "00000000000000000000");
    const file = await MappedFile.open(path, 8 * KiB);
    file.appendMessage(Buffer.from("data"));
    const read = await file.selectMappedBuffer(0);
    expect(await file.destroy(60_000)).toBe(false);
    expect(existsSync(path)).toBe(true);
    expect(await file.destroy(60_000)).toBe(false); // interval not over yet
    expect(await file.destroy(0)).toBe(true); // forced
    expect(existsSync(path)).toBe(false);
    read?.release();
    read?.release(); // idempotent, and harmless after a forced cleanup
    expect(file.isCleanupOver()).toBe(true);
    expect(await file.destroy(0)).toBe(true); // again: already gone
  });

  it("returns its pool buffer when destroyed", async () => {
    const pool = new TransientStorePool(1, 8 * KiB);
    pool.init();
    const file = await MappedFile.open(join(dir, "00000000000000000000"), 8 * KiB, {
      transientStorePool: pool,
    });
    expect(pool.availableBufferNums).toBe(0);
    expect(await file.destroy(0)).toBe(true);
    expect(pool.availableBufferNums).toBe(1);
  });

  it("closes without deleting; a reader still holding it is forced off", async () => {
    const path = join(dir, "00000000000000000000");
    const file = await MappedFile.open(path, 8 * KiB);
    file.appendMessage(Buffer.from("kept"));
    const read = await file.selectMappedBuffer(0);
    await file.close();
    expect(file.isCleanupOver()).toBe(true);
    expect(existsSync(path)).toBe(true);
    read?.release();
    expect(readFileSync(path).subarray(0, 4).toString()).toBe("kept");
  });
});

describe("MappedFile.clearStaleTail on the real file system", () => {
  /** nodeFileIO, counting reads. */
  function countingIO(): { io: typeof nodeFileIO; reads: () => number } {
    let reads = 0;
    const io = {
      ...nodeFileIO,
      pread: (...args: Parameters<typeof nodeFileIO.pread>) => (reads++, nodeFileIO.pread(...args)),
    };
    return { io, reads: () => reads };
  }

  it("does not read the tail of a sparse file that holds nothing past the write position", async () => {
    const { io, reads } = countingIO();
    const path = join(dir, "00000000000000000000");
    const file = await openTracked(path, 8 * MiB, { io, preallocation: "sparse" });
    file.appendMessage(pattern(30 * KiB));
    await file.flush(0);
    expect(await file.clearStaleTail()).toBe(0);
    expect(reads()).toBe(0);
  });

  it("zeroes bytes past the write position of a sparse file, and of a zero-filled one", async () => {
    for (const preallocation of ["sparse", "zero-fill"] as const) {
      const path = join(
        dir,
        preallocation === "sparse" ? "00000000000000000000" : "00000000000008388608",
      );
      const file = await openTracked(path, 8 * MiB, { preallocation });
      file.appendMessage(pattern(30 * KiB));
      await file.flush(0);
      const fd = openSync(path, "r+");
      writeSync(fd, pattern(5000, 2), 0, 5000, 3 * MiB); // what a crash left past the cut
      closeSync(fd);
      expect(await file.clearStaleTail()).toBe(MiB);
      expect(
        readFileSync(path)
          .subarray(30 * KiB)
          .every((byte) => byte === 0),
      ).toBe(true);
      expect(
        readFileSync(path)
          .subarray(0, 30 * KiB)
          .equals(pattern(30 * KiB)),
      ).toBe(true);
    }
  });
});

describe("MappedFile.warmPageCache on the real file system", () => {
  it("reads a sparse file's holes without giving it storage, and later appends land as usual", async () => {
    const path = join(dir, "00000000000000000000");
    const file = await openTracked(path, 8 * MiB, { preallocation: "sparse" });
    const blocks = statSync(path).blocks;
    expect(await file.warmPageCache()).toBe(8 * MiB);
    expect(statSync(path).blocks).toBe(blocks); // reading holes allocates nothing on disk
    file.appendMessage(pattern(30 * KiB));
    await file.flush(0);
    expect(
      readFileSync(path)
        .subarray(0, 30 * KiB)
        .equals(pattern(30 * KiB)),
    ).toBe(true);
    expect(
      readFileSync(path)
        .subarray(30 * KiB)
        .every((byte) => byte === 0),
    ).toBe(true);
  });
});

describe("MappedFile input checks", () => {
  it("rejects a file name that is not a decimal offset with BAD_FILE_NAME", async () => {
    for (const name of [
      "abc",
      "00000000000000000000.tmp",
      "-1",
      "123456789012345678901",
      "99999999999999999999",
    ]) {
      await expect(MappedFile.open(join(dir, name), 4 * KiB)).rejects.toMatchObject({
        name: "StoreError",
        code: "BAD_FILE_NAME",
      });
    }
    expect(existsSync(join(dir, "abc"))).toBe(false);
  });

  it("rejects an existing file of another size with FILE_SIZE_MISMATCH", async () => {
    writeFileSync(join(dir, "00000000000000000000"), Buffer.alloc(1000));
    await expect(MappedFile.open(join(dir, "00000000000000000000"), 4 * KiB)).rejects.toMatchObject(
      { code: "FILE_SIZE_MISMATCH" },
    );
    expect(statSync(join(dir, "00000000000000000000")).size).toBe(1000);
  });

  it("rejects a file size that is not a positive integer with BAD_ARGUMENT", async () => {
    for (const size of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(MappedFile.open(join(dir, "00000000000000000000"), size)).rejects.toMatchObject({
        code: "BAD_ARGUMENT",
      });
    }
  });

  it("rejects a pool whose buffers are smaller than the file with BAD_ARGUMENT", async () => {
    const pool = new TransientStorePool(1, 4 * KiB);
    pool.init();
    const path = join(dir, "00000000000000000000");
    await expect(
      MappedFile.open(path, 8 * KiB, { transientStorePool: pool }),
    ).rejects.toMatchObject({ code: "BAD_ARGUMENT" });
    expect(pool.availableBufferNums).toBe(1);
  });

  it("rejects positions outside [0, fileSize] with POSITION_OUT_OF_RANGE", async () => {
    const file = await openTracked(join(dir, "00000000000000000000"), 4 * KiB);
    const setters = [
      (p: number) => file.setWrotePosition(p),
      (p: number) => file.setCommittedPosition(p),
      (p: number) => file.setFlushedPosition(p),
      (p: number) => file.resetPositions(p),
    ];
    for (const set of setters) {
      for (const bad of [-1, 4 * KiB + 1, 0.5, Number.NaN]) {
        const error = thrown(() => set(bad));
        expect(error).toBeInstanceOf(StoreError);
        expect(error).toMatchObject({ code: "POSITION_OUT_OF_RANGE" });
      }
      set(4 * KiB);
      set(0);
    }
    file.resetPositions(100);
    expect([file.wrotePosition, file.committedPosition, file.flushedPosition]).toEqual([
      100, 100, 100,
    ]);
  });

  it("refuses appends once shut down or destroyed with FILE_DESTROYED", async () => {
    const file = await MappedFile.open(join(dir, "00000000000000000000"), 4 * KiB);
    file.shutdown(0);
    expect(thrown(() => file.appendMessage(Buffer.from("x")))).toMatchObject({
      code: "FILE_DESTROYED",
    });
    expect(thrown(() => file.appendMessage(Buffer.from("x"), bytesCallback))).toMatchObject({
      code: "FILE_DESTROYED",
    });
    expect(await file.destroy(0)).toBe(true);
    expect(thrown(() => file.appendMessage(Buffer.from("x")))).toMatchObject({
      code: "FILE_DESTROYED",
    });
    expect(await file.selectMappedBuffer(0)).toBeNull();
    expect(await file.flush(0)).toBe(0);
    expect(await file.commit(0)).toBe(0);
  });

  it("rejects a negative or fractional read position or size with BAD_ARGUMENT", async () => {
    const file = await openTracked(join(dir, "00000000000000000000"), 4 * KiB);
    file.appendMessage(Buffer.from("data"));
    await expect(file.selectMappedBuffer(-1)).rejects.toMatchObject({ code: "BAD_ARGUMENT" });
    await expect(file.selectMappedBuffer(0.5)).rejects.toMatchObject({ code: "BAD_ARGUMENT" });
    await expect(file.selectMappedBuffer(0, -1)).rejects.toMatchObject({ code: "BAD_ARGUMENT" });
    expect(file.refCount).toBe(1);
  });

  it("returns UNKNOWN_ERROR for a callback append to a full file without calling the callback", async () => {
    const file = await openTracked(join(dir, "00000000000000004096"), 4 * KiB);
    file.appendMessage(Buffer.alloc(4 * KiB));
    let calls = 0;
    const result = file.appendMessage(Buffer.from("x"), {
      doAppend: (...args) => {
        calls++;
        return bytesCallback.doAppend(...args);
      },
    });
    expect(result).toMatchObject({ status: "UNKNOWN_ERROR", wroteOffset: 8192, wroteBytes: 0 });
    expect(calls).toBe(0);
  });
});
