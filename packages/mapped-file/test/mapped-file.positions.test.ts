import { beforeEach, describe, expect, it } from "vitest";
import { MappedFile, OS_PAGE_SIZE, TransientStorePool } from "../src/index.js";
import { STAGING_BUFFER_BYTES } from "../src/staged-writes.js";
import { SimulatedDisk } from "../src/testing.js";
import { BLANK_MAGIC_CODE, blankRecord, bytesCallback, pattern, result } from "./helpers.js";

const PAGE = OS_PAGE_SIZE;
const FILE_SIZE = 64 * 1024;
const PATH = "/store/commitlog/00000000000000000000";

let disk: SimulatedDisk;

beforeEach(() => {
  disk = new SimulatedDisk();
});

function newPool(poolSize = 1, fileSize = FILE_SIZE): TransientStorePool {
  const pool = new TransientStorePool(poolSize, fileSize);
  pool.init();
  return pool;
}

function positions(file: MappedFile): number[] {
  return [file.wrotePosition, file.committedPosition, file.flushedPosition, file.readPosition];
}

describe("MappedFile positions without a pool (page-cache mode)", () => {
  it("stages the appends of a tick and writes them with one write before the tick ends", async () => {
    const file = await MappedFile.open(PATH, FILE_SIZE, { io: disk });
    expect(file.usesTransientStorePool).toBe(false);
    const writes = disk.counters.writes;
    const chunks = [pattern(1000, 1), pattern(3000, 2), pattern(1000, 3)];
    expect(file.appendMessage(chunks[0] as Buffer)).toBe(true);
    expect(file.appendMessage(chunks[1] as Buffer, bytesCallback).status).toBe("PUT_OK");
    expect(file.appendMessage(chunks[2] as Buffer)).toBe(true);
    expect(positions(file)).toEqual([5000, 0, 0, 5000]); // staged: readable, not yet in the file
    expect(disk.counters.writes).toBe(writes);
    const written = file.whenWritten();
    await Promise.resolve(); // the write is a microtask: done before an awaiting caller resumes
    expect(disk.counters.writes).toBe(writes + 1);
    expect(positions(file)).toEqual([5000, 5000, 0, 5000]);
    await written;
    const bytes = Buffer.concat(chunks);
    expect(disk.readFile(PATH).subarray(0, 5000).equals(bytes)).toBe(true);
    expect(disk.readFile(PATH, "durable").subarray(0, 5000).equals(Buffer.alloc(5000))).toBe(true);
    const read = await file.selectMappedBuffer(0);
    expect(read?.buffer.equals(bytes)).toBe(true);
    read?.release();
  });

  it("a read, commit or flush writes staged bytes first", async () => {
    const file = await MappedFile.open(PATH, FILE_SIZE, { io: disk });
    file.appendMessage(pattern(100, 1));
    const read = await file.selectMappedBuffer(0, 100);
    expect(read?.buffer.equals(pattern(100, 1))).toBe(true);
    read?.release();
    file.appendMessage(pattern(100, 2));
    expect(await file.commit(0)).toBe(200);
    expect(disk.readFile(PATH).subarray(100, 200).equals(pattern(100, 2))).toBe(true);
    file.appendMessage(pattern(100, 3));
    expect(await file.flush(0)).toBe(300);
    expect(disk.readFile(PATH, "durable").subarray(200, 300).equals(pattern(100, 3))).toBe(true);
  });

  it("writes a full staging buffer at once, and an append larger than one straight to the file", async () => {
    const big = 3 * STAGING_BUFFER_BYTES;
    const file = await MappedFile.open(PATH, big, { io: disk });
    const record = pattern(STAGING_BUFFER_BYTES / 4 + 1);
    for (let i = 0; i < 4; i++) file.appendMessage(record); // the 4th does not fit: the first 3 are written
    expect(file.committedPosition).toBe(3 * record.length);
    const huge = pattern(STAGING_BUFFER_BYTES + 10, 7);
    file.appendMessage(huge); // staged bytes first, then the huge one, in file order
    expect(file.committedPosition).toBe(4 * record.length + huge.length);
    expect(file.whenWritten()).toBeNull();
    expect(
      disk
        .readFile(PATH)
        .subarray(4 * record.length, 4 * record.length + huge.length)
        .equals(huge),
    ).toBe(true);
    await file.close();
  });

  it("commit writes staged bytes and reports the write position; nothing staged, nothing written", async () => {
    const file = await MappedFile.open(PATH, FILE_SIZE, { io: disk });
    file.appendMessage(pattern(100));
    const writes = disk.counters.writes;
    expect(await file.commit(4)).toBe(100);
    expect(disk.counters.writes).toBe(writes + 1);
    expect(await file.commit(0)).toBe(100);
    expect(disk.counters.writes).toBe(writes + 1);
  });

  it("selectMappedBuffer reads into a caller's buffer when the range fits, and allocates when it does not", async () => {
    const file = await MappedFile.open(PATH, FILE_SIZE, { io: disk });
    file.appendMessage(pattern(300, 4));
    const into = Buffer.alloc(200);
    const small = await file.selectMappedBuffer(50, 100, into);
    expect(small?.buffer.buffer).toBe(into.buffer); // a view of `into`
    expect(small?.buffer.equals(pattern(300, 4).subarray(50, 150))).toBe(true);
    expect(into.subarray(0, 100).equals(pattern(300, 4).subarray(50, 150))).toBe(true);
    small?.release();
    const large = await file.selectMappedBuffer(0, 300, into);
    expect(large?.buffer.buffer).not.toBe(into.buffer);
    expect(large?.buffer.equals(pattern(300, 4))).toBe(true);
    large?.release();
    await file.close();
  });

  it("writes staged bytes when it closes", async () => {
    const file = await MappedFile.open(PATH, FILE_SIZE, { io: disk });
    file.appendMessage(pattern(100));
    await file.close();
    expect(disk.readFile(PATH).subarray(0, 100).equals(pattern(100))).toBe(true);
  });

  it("flush makes the bytes durable and publishes the read position", async () => {
    const file = await MappedFile.open(PATH, FILE_SIZE, { io: disk });
    const bytes = pattern(300);
    file.appendMessage(bytes);
    expect(await file.flush(0)).toBe(300);
    expect(positions(file)).toEqual([300, 300, 300, 300]);
    expect(disk.readFile(PATH, "durable").subarray(0, 300).equals(bytes)).toBe(true);
    const fsyncs = disk.counters.fsyncs;
    expect(await file.flush(0)).toBe(300); // nothing new: no fdatasync
    expect(disk.counters.fsyncs).toBe(fsyncs);
  });

  it("flush(4) counts whole page indices (RocketMQ isAbleToFlush)", async () => {
    const file = await MappedFile.open(PATH, FILE_SIZE, { io: disk });
    file.appendMessage(pattern(16383));
    expect(await file.flush(4)).toBe(0); // write=16383 flush=0: 3 pages
    file.appendMessage(pattern(1));
    expect(await file.flush(4)).toBe(16384); // write=16384: 4 pages

    const other = await MappedFile.open("/store/commitlog/00000000000000065536", FILE_SIZE, {
      io: disk,
    });
    other.appendMessage(pattern(4097));
    expect(await other.flush(0)).toBe(4097);
    other.appendMessage(pattern(20000 - 4097));
    expect(await other.flush(4)).toBe(4097); // write=20000 flush=4097: 4 - 1 = 3 pages
    expect(await other.flush(3)).toBe(20000);
  });

  it("publishes flushedPosition only after the fdatasync completes, at the position read before it", async () => {
    const file = await MappedFile.open(PATH, FILE_SIZE, { io: disk });
    file.appendMessage(pattern(1000));
    const release = disk.stallFsyncs();
    const flushing = file.flush(0);
    await disk.whenFsyncStalled();
    expect(file.flushedPosition).toBe(0);
    file.appendMessage(pattern(500)); // lands after the flush took its position
    release();
    expect(await flushing).toBe(1000);
    expect(await file.flush(0)).toBe(1500);
  });
});

describe("MappedFile positions with a TransientStorePool (pool mode)", () => {
  it("borrows a buffer after open with useTransientStorePool, only before the first append", async () => {
    const pool = newPool(2);
    const file = await MappedFile.open(PATH, FILE_SIZE, { io: disk });
    expect(file.useTransientStorePool(pool)).toBe(true);
    expect(file.useTransientStorePool(pool)).toBe(false); // has one already
    expect(pool.availableBufferNums).toBe(1);
    file.appendMessage(pattern(100));
    expect(positions(file)).toEqual([100, 0, 0, 0]); // pool mode from the first append
    expect(await file.commit(0)).toBe(100);

    const written = await MappedFile.open("/store/commitlog/00000000000000065536", FILE_SIZE, {
      io: disk,
    });
    written.appendMessage(pattern(10));
    expect(written.useTransientStorePool(pool)).toBe(false); // bytes already in the file
    expect(pool.availableBufferNums).toBe(1);
    expect(() => written.useTransientStorePool(newPool(1, FILE_SIZE / 2))).toThrow(
      expect.objectContaining({ code: "BAD_ARGUMENT" }),
    );
    await file.close();
    await written.close();
    expect(pool.availableBufferNums).toBe(2);
  });

  it("keeps appends in the pool buffer: nothing reaches the file or readers before commit", async () => {
    const pool = newPool();
    const file = await MappedFile.open(PATH, FILE_SIZE, { io: disk, transientStorePool: pool });
    expect(file.usesTransientStorePool).toBe(true);
    expect(pool.availableBufferNums).toBe(0);
    const bytes = pattern(3000);
    const writes = disk.counters.writes;
    expect(file.appendMessage(bytes)).toBe(true);
    expect(file.appendMessage(bytes, bytesCallback).status).toBe("PUT_OK");
    expect(disk.counters.writes).toBe(writes);
    expect(positions(file)).toEqual([6000, 0, 0, 0]);
    expect(await file.selectMappedBuffer(0)).toBeNull();
    expect(await file.selectMappedBuffer(0, 1)).toBeNull();
    expect(await file.flush(0)).toBe(0); // nothing readable, nothing to flush

    expect(await file.commit(0)).toBe(6000);
    expect(positions(file)).toEqual([6000, 6000, 0, 6000]);
    expect(
      disk
        .readFile(PATH)
        .subarray(0, 6000)
        .equals(Buffer.concat([bytes, bytes])),
    ).toBe(true);
    const read = await file.selectMappedBuffer(2000, 2000);
    expect(read?.buffer.equals(Buffer.concat([bytes, bytes]).subarray(2000, 4000))).toBe(true);
    read?.release();
    expect(await file.flush(0)).toBe(6000);
  });

  it("lets readers see only the committed part", async () => {
    const file = await MappedFile.open(PATH, FILE_SIZE, {
      io: disk,
      transientStorePool: newPool(),
    });
    const first = pattern(100, 1);
    file.appendMessage(first);
    await file.commit(0);
    file.appendMessage(pattern(100, 2));
    const read = await file.selectMappedBuffer(0);
    expect(read?.buffer.equals(first)).toBe(true);
    read?.release();
    expect(await file.selectMappedBuffer(50, 100)).toBeNull();
  });

  it("commit(4) counts whole page indices (RocketMQ isAbleToCommit)", async () => {
    const file = await MappedFile.open(PATH, FILE_SIZE, {
      io: disk,
      transientStorePool: newPool(),
    });
    file.appendMessage(pattern(16383));
    expect(await file.commit(4)).toBe(0); // 3 pages
    expect(file.committedPosition).toBe(0);
    file.appendMessage(pattern(1));
    expect(await file.commit(4)).toBe(16384); // 4 pages

    file.appendMessage(pattern(PAGE - 1)); // committed 16384 (page 4), wrote 20479 (page 4)
    expect(await file.commit(0)).toBe(20479); // any byte
    file.appendMessage(pattern(3 * PAGE + 1)); // 12289 bytes, but page index 4 -> 8
    expect(await file.commit(4)).toBe(32768);
  });

  it("commits and flushes whatever is left once the file is full, whatever leastPages says", async () => {
    const fileSize = 4 * PAGE;
    const pool = newPool(1, fileSize);
    const file = await MappedFile.open(PATH, fileSize, { io: disk, transientStorePool: pool });
    file.appendMessage(pattern(fileSize - 100));
    expect(await file.commit(0)).toBe(fileSize - 100);
    expect(await file.flush(0)).toBe(fileSize - 100);
    file.appendMessage(pattern(100));
    expect(file.isFull()).toBe(true);
    expect(await file.commit(4)).toBe(fileSize);
    expect(await file.flush(4)).toBe(fileSize);
    const fsyncs = disk.counters.fsyncs;
    expect(await file.flush(4)).toBe(fileSize); // full and flushed: no more fdatasync
    expect(disk.counters.fsyncs).toBe(fsyncs);
  });

  it("gives the buffer back to the pool once the file is fully committed", async () => {
    const pool = newPool();
    const file = await MappedFile.open(PATH, FILE_SIZE, { io: disk, transientStorePool: pool });
    file.appendMessage(pattern(FILE_SIZE - 10));
    await file.commit(0);
    expect(pool.availableBufferNums).toBe(0);
    file.appendMessage(pattern(10));
    expect(pool.availableBufferNums).toBe(0); // full but not yet committed
    expect(await file.commit(4)).toBe(FILE_SIZE);
    expect(pool.availableBufferNums).toBe(1);
    expect(file.usesTransientStorePool).toBe(false);
    expect(positions(file)).toEqual([FILE_SIZE, FILE_SIZE, 0, FILE_SIZE]);
    expect(await file.commit(0)).toBe(FILE_SIZE);
    expect(await file.flush(0)).toBe(FILE_SIZE);
    await file.close();
    expect(pool.availableBufferNums).toBe(1); // not returned twice
  });

  it("works without a buffer when the pool is exhausted, and the next file gets the returned one", async () => {
    const pool = newPool(1);
    const first = await MappedFile.open(PATH, FILE_SIZE, { io: disk, transientStorePool: pool });
    const second = await MappedFile.open("/store/commitlog/00000000000000065536", FILE_SIZE, {
      io: disk,
      transientStorePool: pool,
    });
    expect(first.usesTransientStorePool).toBe(true);
    expect(second.usesTransientStorePool).toBe(false);
    expect(second.appendMessage(pattern(100))).toBe(true);
    await second.whenWritten(); // page-cache mode
    expect(positions(second)).toEqual([100, 100, 0, 100]);
    expect(
      disk.readFile("/store/commitlog/00000000000000065536").subarray(0, 100).equals(pattern(100)),
    ).toBe(true);

    first.appendMessage(pattern(FILE_SIZE));
    await first.commit(0);
    const third = await MappedFile.open("/store/commitlog/00000000000000131072", FILE_SIZE, {
      io: disk,
      transientStorePool: pool,
    });
    expect(third.usesTransientStorePool).toBe(true);
  });

  it("runs concurrent commits one after another, each writing its range once", async () => {
    const file = await MappedFile.open(PATH, FILE_SIZE, {
      io: disk,
      transientStorePool: newPool(),
    });
    const bytes = pattern(10_000);
    file.appendMessage(bytes.subarray(0, 5000));
    const firstCommit = file.commit(0);
    file.appendMessage(bytes.subarray(5000));
    const writes = disk.counters.bytesWritten;
    const committed = await Promise.all([firstCommit, file.commit(0), file.commit(0)]);
    expect(committed).toEqual([10_000, 10_000, 10_000]);
    expect(disk.counters.bytesWritten - writes).toBe(10_000);
    expect(disk.readFile(PATH).subarray(0, 10_000).equals(bytes)).toBe(true);
  });

  it("flushes only committed bytes", async () => {
    const file = await MappedFile.open(PATH, FILE_SIZE, {
      io: disk,
      transientStorePool: newPool(),
    });
    file.appendMessage(pattern(PAGE));
    await file.commit(0);
    file.appendMessage(pattern(PAGE));
    expect(await file.flush(0)).toBe(PAGE);
    expect(
      disk
        .readFile(PATH, "durable")
        .subarray(PAGE, 2 * PAGE)
        .equals(Buffer.alloc(PAGE)),
    ).toBe(true);
  });
});

describe("MappedFile END_OF_FILE through a callback", () => {
  it("fills the tail with a blank record: wroteBytes = maxBlank and the file is full", async () => {
    const file = await MappedFile.open(PATH, FILE_SIZE, { io: disk });
    const record = pattern(10_000);
    let appended = 0;
    for (;;) {
      const appendResult = file.appendMessage(record, bytesCallback);
      if (appendResult.status === "END_OF_FILE") {
        const maxBlank = FILE_SIZE - appended;
        expect(appendResult).toMatchObject({
          wroteOffset: appended,
          wroteBytes: maxBlank,
          storeTimestamp: 1234,
        });
        break;
      }
      expect(appendResult.status).toBe("PUT_OK");
      appended += record.length;
    }
    expect(appended).toBe(60_000);
    expect(file.isFull()).toBe(true);
    expect(file.wrotePosition).toBe(FILE_SIZE);
    expect(file.storeTimestamp).toBe(1234);
    const tail = disk.readFile(PATH).subarray(appended);
    expect(tail.readInt32BE(0)).toBe(FILE_SIZE - appended);
    expect(tail.readUInt32BE(4)).toBe(BLANK_MAGIC_CODE);
    expect(file.appendMessage(record, bytesCallback)).toMatchObject({
      status: "UNKNOWN_ERROR",
      wroteOffset: FILE_SIZE,
    });
  });

  it("never commits a reused pool buffer's stale bytes after the 8-byte blank", async () => {
    const pool = newPool(1);
    const dirty = pool.borrowBuffer();
    expect(dirty).not.toBeNull();
    if (dirty === null) return;
    dirty.fill(0xee);
    pool.returnBuffer(dirty);

    const file = await MappedFile.open(PATH, FILE_SIZE, { io: disk, transientStorePool: pool });
    expect(file.usesTransientStorePool).toBe(true);
    const record = pattern(1000);
    expect(file.appendMessage(record, bytesCallback).status).toBe("PUT_OK");
    const end = file.appendMessage(pattern(FILE_SIZE), bytesCallback);
    expect(end).toMatchObject({ status: "END_OF_FILE", wroteBytes: FILE_SIZE - 1000 });
    expect(file.isFull()).toBe(true);
    expect(await file.commit(4)).toBe(FILE_SIZE);
    expect(pool.availableBufferNums).toBe(1);

    const expected = Buffer.alloc(FILE_SIZE);
    record.copy(expected, 0);
    blankRecord(FILE_SIZE - 1000).copy(expected, 1000);
    expect(disk.readFile(PATH).equals(expected)).toBe(true);
  });

  it("zeroes a reused buffer behind a record that reserves more than it writes", async () => {
    const pool = newPool(1);
    const dirty = pool.borrowBuffer();
    if (dirty === null) throw new Error("pool is empty");
    dirty.fill(0xab);
    pool.returnBuffer(dirty);
    const file = await MappedFile.open(PATH, FILE_SIZE, { io: disk, transientStorePool: pool });
    const reserved = file.appendMessage(Buffer.from("abc"), {
      doAppend: (from, position, _maxBlank, msg) => ({
        result: result("PUT_OK", from + position, 16),
        data: msg,
      }),
    });
    expect(reserved.wroteBytes).toBe(16);
    await file.commit(0);
    expect(disk.readFile(PATH).subarray(0, 16)).toEqual(
      Buffer.concat([Buffer.from("abc"), Buffer.alloc(13)]),
    );
  });
});
