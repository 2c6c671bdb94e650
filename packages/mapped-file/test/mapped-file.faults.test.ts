import { beforeEach, describe, expect, it } from "vitest";
import { MappedFile, StoreError, TEMP_FILE_SUFFIX, TransientStorePool } from "../src/index.js";
import { SimulatedDisk } from "../src/testing.js";
import { bytesCallback, pattern, thrown } from "./helpers.js";

const MiB = 1024 * 1024;
const DIR = "/store/commitlog";
const PATH = `${DIR}/00000000000000000000`;

let disk: SimulatedDisk;

beforeEach(() => {
  disk = new SimulatedDisk();
});

describe("MappedFile creation is atomic", () => {
  it("leaves neither the file nor a temp file after ENOSPC during the zero-fill, and works after heal()", async () => {
    disk.failOn("write", "ENOSPC", { after: 2 }); // the third 1 MiB chunk
    const error: unknown = await MappedFile.open(PATH, 4 * MiB, { io: disk }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: "DISK_FULL" });
    expect((error as StoreError).cause).toMatchObject({ code: "ENOSPC" });
    expect(disk.listFiles()).toEqual([]);
    expect(await disk.readdir(DIR)).toEqual([]);

    disk.heal();
    const file = await MappedFile.open(PATH, 4 * MiB, { io: disk });
    expect(disk.listFiles()).toEqual([PATH]);
    expect(disk.readFile(PATH, "durable").length).toBe(4 * MiB);
    expect(file.appendMessage(Buffer.from("ok"))).toBe(true);
  });

  it("cleans up when the disk runs out of capacity mid-fill", async () => {
    disk.setCapacity(MiB + MiB / 2);
    await expect(MappedFile.open(PATH, 2 * MiB, { io: disk })).rejects.toMatchObject({
      code: "DISK_FULL",
    });
    expect(disk.listFiles()).toEqual([]);
    expect(disk.usedBytes).toBe(0);
    disk.heal();
    await MappedFile.open(PATH, 2 * MiB, { io: disk });
    expect(disk.usedBytes).toBe(2 * MiB);
  });

  it("maps other failures to IO_ERROR and still cleans up (fsync of the temp file, rename)", async () => {
    disk.failOn("fsync", "EIO");
    await expect(MappedFile.open(PATH, MiB, { io: disk })).rejects.toMatchObject({
      code: "IO_ERROR",
    });
    expect(disk.listFiles()).toEqual([]);
    disk.failOn("rename", "EIO");
    await expect(MappedFile.open(PATH, MiB, { io: disk })).rejects.toMatchObject({
      code: "IO_ERROR",
    });
    expect(disk.listFiles()).toEqual([]);
    await MappedFile.open(PATH, MiB, { io: disk });
    expect(disk.listFiles()).toEqual([PATH]);
  });

  it("makes the zeros durable before the file appears under its name", async () => {
    await MappedFile.open(PATH, MiB, { io: disk });
    expect(disk.unsyncedWrites).toBe(0);
    disk.powerCut();
    expect(disk.readFile(PATH).equals(Buffer.alloc(MiB))).toBe(true);
  });

  it("never shows a short segment under the final name while it is being filled", async () => {
    const release = disk.stallFsyncs();
    const opening = MappedFile.open(PATH, 2 * MiB, { io: disk });
    await disk.whenFsyncStalled(); // the zero-fill is written and being synced, not yet renamed
    expect(disk.exists(PATH)).toBe(false);
    expect(disk.exists(PATH + TEMP_FILE_SUFFIX)).toBe(true);
    release();
    await opening;
    expect(disk.listFiles()).toEqual([PATH]);
  });

  it("reports an open failure of an existing file as IO_ERROR", async () => {
    await (await MappedFile.open(PATH, MiB, { io: disk })).close();
    disk.failOn("open", "EIO");
    await expect(MappedFile.open(PATH, MiB, { io: disk })).rejects.toMatchObject({
      code: "IO_ERROR",
    });
  });
});

describe("MappedFile I/O errors", () => {
  async function openFile(pool?: TransientStorePool, fileSize = MiB): Promise<MappedFile> {
    return MappedFile.open(PATH, fileSize, { io: disk, transientStorePool: pool ?? null });
  }

  it("page-cache mode: a failed write of staged bytes rejects whenWritten; the bytes stay staged and the next append writes them first", async () => {
    const file = await openFile();
    file.appendMessage(Buffer.from("first"), bytesCallback);
    expect(await file.whenWritten()).toBeUndefined();
    expect(file.whenWritten()).toBeNull(); // nothing staged
    disk.failOn("write", "EIO");
    expect(file.appendMessage(pattern(100), bytesCallback)).toMatchObject({
      status: "PUT_OK",
      wroteOffset: 5,
    });
    const error = await file.whenWritten()?.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: "IO_ERROR" });
    expect([file.wrotePosition, file.committedPosition]).toEqual([105, 5]);
    expect(disk.readFile(PATH).subarray(5, 105).equals(Buffer.alloc(100))).toBe(true);

    expect(file.appendMessage(pattern(10, 2), bytesCallback)).toMatchObject({
      status: "PUT_OK",
      wroteOffset: 105,
    });
    expect(file.committedPosition).toBe(105); // the retry wrote the staged bytes before staging these
    await file.whenWritten();
    expect(
      disk
        .readFile(PATH)
        .subarray(5, 115)
        .equals(Buffer.concat([pattern(100), pattern(10, 2)])),
    ).toBe(true);
  });

  it("returns UNKNOWN_ERROR (DISK_FULL) from an append while staged bytes still cannot be written; the position stays", async () => {
    const file = await openFile();
    file.appendMessage(pattern(100), bytesCallback);
    disk.failOn("write", "ENOSPC", { times: 2 });
    await expect(file.whenWritten()).rejects.toMatchObject({ code: "DISK_FULL" });
    const failed = file.appendMessage(pattern(50, 2), bytesCallback);
    expect(failed.status).toBe("UNKNOWN_ERROR");
    expect(failed.wroteBytes).toBe(0);
    expect(failed.wroteOffset).toBe(100);
    expect(failed.error?.code).toBe("DISK_FULL");
    expect([file.wrotePosition, file.committedPosition]).toEqual([100, 0]);
    // space is back: the next append writes the staged bytes, then its own
    expect(file.appendMessage(pattern(50, 3), bytesCallback)).toMatchObject({
      status: "PUT_OK",
      wroteOffset: 100,
    });
    await file.whenWritten();
    expect(
      disk
        .readFile(PATH)
        .subarray(0, 150)
        .equals(Buffer.concat([pattern(100), pattern(50, 3)])),
    ).toBe(true);
  });

  it("throws from a raw append when staged bytes cannot be written, without moving", async () => {
    const file = await openFile();
    file.appendMessage(pattern(10));
    disk.failOn("write", "EIO", { times: 2 });
    await expect(file.whenWritten()).rejects.toMatchObject({ code: "IO_ERROR" });
    expect(thrown(() => file.appendMessage(pattern(10, 2)))).toMatchObject({
      name: "StoreError",
      code: "IO_ERROR",
    });
    expect(file.wrotePosition).toBe(10);
    disk.failOn("write", "ENOSPC");
    await expect(file.flush(0)).rejects.toMatchObject({ code: "DISK_FULL" }); // a flush writes staged bytes first
    expect(file.flushError).toBeNull(); // a failed write is not a failed fdatasync: nothing is poisoned
    expect(file.appendMessage(pattern(10, 3))).toBe(true);
    expect(await file.flush(0)).toBe(20);
    expect(
      disk
        .readFile(PATH, "durable")
        .subarray(0, 20)
        .equals(Buffer.concat([pattern(10), pattern(10, 3)])),
    ).toBe(true);
  });

  it("rejects a failed commit without moving committedPosition; the retry writes the same range", async () => {
    const pool = new TransientStorePool(1, MiB);
    pool.init();
    const file = await openFile(pool);
    const bytes = pattern(5000);
    file.appendMessage(bytes);
    disk.failOn("write", "EIO");
    await expect(file.commit(0)).rejects.toMatchObject({ code: "IO_ERROR" });
    expect(file.committedPosition).toBe(0);
    expect(file.refCount).toBe(1);
    disk.failOn("write", "ENOSPC");
    await expect(file.commit(0)).rejects.toMatchObject({ code: "DISK_FULL" });
    expect(await file.commit(0)).toBe(5000);
    expect(disk.readFile(PATH).subarray(0, 5000).equals(bytes)).toBe(true);
  });

  it("clearStaleTail zeroes what a crash left past the write position, durably, and only where there is data", async () => {
    const file = await openFile(undefined, 4 * MiB);
    const stale = pattern(3000, 7);
    await disk.pwrite(await disk.open(PATH, false), stale, 0, stale.length, 2 * MiB + 2000); // bytes past the cut, inside one chunk
    file.resetPositions(1000); // what recovery kept
    const writes = disk.counters.writes;
    expect(await file.clearStaleTail()).toBe(MiB); // one 1 MiB chunk held data
    expect(disk.counters.writes - writes).toBe(1);
    disk.powerCut();
    expect(
      disk
        .readFile(PATH, "durable")
        .subarray(1000)
        .every((byte) => byte === 0),
    ).toBe(true);
    const reopened = await MappedFile.open(PATH, 4 * MiB, { io: disk });
    reopened.resetPositions(1000);
    expect(await reopened.clearStaleTail()).toBe(0); // nothing left: reads only
  });

  it("clearStaleTail(true) also makes durable what a kill -9 left in the page cache below the write position", async () => {
    await openFile(undefined, MiB);
    const kept = pattern(3000, 5);
    await disk.pwrite(await disk.open(PATH, false), kept, 0, kept.length, 0); // written, never synced
    disk.processCrash();
    const reopened = await MappedFile.open(PATH, MiB, { io: disk });
    reopened.resetPositions(3000); // what recovery read and kept
    const fsyncs = disk.counters.fsyncs;
    expect(await reopened.clearStaleTail()).toBe(0);
    expect(disk.counters.fsyncs).toBe(fsyncs); // nothing to clear: no fdatasync
    expect(await reopened.clearStaleTail(true)).toBe(0);
    expect(disk.counters.fsyncs).toBe(fsyncs + 1);
    disk.powerCut();
    expect(disk.readFile(PATH, "durable").subarray(0, 3000).equals(kept)).toBe(true);
  });

  it("warmPageCache reads from the write position to the end, 1 MiB at a time, and changes nothing", async () => {
    const file = await openFile(undefined, 4 * MiB);
    const bytes = pattern(MiB + 500, 3);
    file.appendMessage(bytes);
    await file.flush(0);
    const { reads, writes, fsyncs } = disk.counters;
    expect(await file.warmPageCache()).toBe(3 * MiB - 500);
    expect(disk.counters.reads - reads).toBe(3); // [MiB + 500, 4 MiB): two whole chunks and a short one
    expect(disk.counters.writes - writes).toBe(0);
    expect(disk.counters.fsyncs - fsyncs).toBe(0);
    expect([file.wrotePosition, file.committedPosition, file.flushedPosition]).toEqual([
      bytes.length,
      bytes.length,
      bytes.length,
    ]);
    expect(disk.readFile(PATH).subarray(0, bytes.length).equals(bytes)).toBe(true);
    expect(file.refCount).toBe(1); // every read's hold released
  });

  it("warmPageCache stops between reads once told to, or once the file is shut down", async () => {
    const file = await openFile(undefined, 4 * MiB);
    let asked = 0;
    expect(await file.warmPageCache(() => ++asked <= 2)).toBe(2 * MiB);
    const reads = disk.counters.reads;
    const warming = file.warmPageCache(); // its first read is under way
    expect(await file.destroy(0)).toBe(false); // held by that read: not deleted under it
    expect(await warming).toBe(MiB); // the read finished; no other started on the shut-down file
    expect(disk.counters.reads - reads).toBe(1);
    expect(await file.destroy(0)).toBe(true);
    expect(disk.listFiles()).toEqual([]);
  });

  it("warmPageCache reports a failing read as IO_ERROR and releases the file", async () => {
    const file = await openFile(undefined, 4 * MiB);
    disk.failOn("read", "EIO", { after: 1 });
    await expect(file.warmPageCache()).rejects.toMatchObject({ code: "IO_ERROR" });
    expect(file.refCount).toBe(1);
    disk.heal();
    expect(await file.warmPageCache()).toBe(4 * MiB);
  });

  it("commits a large range as parallel writes of 1 MiB or more, at most eight", async () => {
    const pool = new TransientStorePool(1, 32 * MiB);
    pool.init();
    const file = await openFile(pool, 32 * MiB);
    const first = pattern(3 * MiB + 100, 4);
    file.appendMessage(first);
    let writes = disk.counters.writes;
    expect(await file.commit(0)).toBe(first.length);
    expect(disk.counters.writes - writes).toBe(4); // 1 + 1 + 1 MiB + 100 bytes
    const second = pattern(20 * MiB, 5);
    file.appendMessage(second);
    writes = disk.counters.writes;
    expect(await file.commit(0)).toBe(first.length + second.length);
    expect(disk.counters.writes - writes).toBe(8); // 2.5 MiB each
    expect(
      disk
        .readFile(PATH)
        .subarray(0, first.length + second.length)
        .equals(Buffer.concat([first, second])),
    ).toBe(true);
  });

  it("keeps committedPosition when one of a commit's parallel writes fails; the retry rewrites the whole range", async () => {
    const pool = new TransientStorePool(1, 8 * MiB);
    pool.init();
    const file = await openFile(pool, 8 * MiB);
    const bytes = pattern(4 * MiB, 6);
    file.appendMessage(bytes);
    disk.failOn("write", "ENOSPC", { after: 2 }); // the third of four writes
    await expect(file.commit(0)).rejects.toMatchObject({ code: "DISK_FULL" });
    expect(file.committedPosition).toBe(0);
    expect(file.readPosition).toBe(0); // readers see none of it, though some chunks reached the file
    expect(file.refCount).toBe(1);
    expect(await file.commit(0)).toBe(4 * MiB);
    expect(
      disk
        .readFile(PATH)
        .subarray(0, 4 * MiB)
        .equals(bytes),
    ).toBe(true);
    expect(await file.flush(0)).toBe(4 * MiB);
    disk.powerCut();
    expect(
      disk
        .readFile(PATH, "durable")
        .subarray(0, 4 * MiB)
        .equals(bytes),
    ).toBe(true);
  });

  it("rejects a failed fdatasync without moving flushedPosition, and refuses every later flush (fsyncgate)", async () => {
    const file = await openFile();
    const bytes = pattern(3000);
    file.appendMessage(bytes);
    disk.failOn("fsync", "EIO");
    await expect(file.flush(0)).rejects.toMatchObject({ code: "IO_ERROR" });
    expect(file.flushError?.code).toBe("IO_ERROR");
    expect(file.refCount).toBe(1);
    // The disk "works" again, but the pages the failed call covered were marked clean unwritten:
    // a later success would claim bytes that are not on disk, so the file keeps refusing.
    disk.heal();
    await expect(file.flush(0)).rejects.toMatchObject({ code: "IO_ERROR" });
    expect(file.flushedPosition).toBe(0);
    disk.powerCut();
    expect(disk.readFile(PATH).subarray(0, 3000).equals(Buffer.alloc(3000))).toBe(true);
  });

  it("wraps a failed read as IO_ERROR and drops the reference it took", async () => {
    const file = await openFile();
    file.appendMessage(pattern(100));
    disk.failOn("read", "EIO");
    await expect(file.selectMappedBuffer(0)).rejects.toMatchObject({ code: "IO_ERROR" });
    expect(file.refCount).toBe(1);
    const read = await file.selectMappedBuffer(0);
    expect(read?.size).toBe(100);
    read?.release();
  });

  it("reports a failed unlink on destroy as IO_ERROR, and succeeds on retry", async () => {
    const file = await openFile();
    disk.failOn("unlink", "EIO");
    await expect(file.destroy(0)).rejects.toMatchObject({ code: "IO_ERROR" });
    expect(disk.exists(PATH)).toBe(true);
    expect(await file.destroy(0)).toBe(true);
    expect(disk.exists(PATH)).toBe(false);
  });
});
