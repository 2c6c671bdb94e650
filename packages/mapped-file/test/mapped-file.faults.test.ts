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
    const error: unknown = await MappedFile.open(PATH, 4 * MiB, { io: disk }).catch((e: unknown) => e);
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
    await expect(MappedFile.open(PATH, 2 * MiB, { io: disk })).rejects.toMatchObject({ code: "DISK_FULL" });
    expect(disk.listFiles()).toEqual([]);
    expect(disk.usedBytes).toBe(0);
    disk.heal();
    await MappedFile.open(PATH, 2 * MiB, { io: disk });
    expect(disk.usedBytes).toBe(2 * MiB);
  });

  it("maps other failures to IO_ERROR and still cleans up (fsync of the temp file, rename)", async () => {
    disk.failOn("fsync", "EIO");
    await expect(MappedFile.open(PATH, MiB, { io: disk })).rejects.toMatchObject({ code: "IO_ERROR" });
    expect(disk.listFiles()).toEqual([]);
    disk.failOn("rename", "EIO");
    await expect(MappedFile.open(PATH, MiB, { io: disk })).rejects.toMatchObject({ code: "IO_ERROR" });
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
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(disk.exists(PATH)).toBe(false);
    expect(disk.exists(PATH + TEMP_FILE_SUFFIX)).toBe(true);
    release();
    await opening;
    expect(disk.listFiles()).toEqual([PATH]);
  });

  it("reports an open failure of an existing file as IO_ERROR", async () => {
    await (await MappedFile.open(PATH, MiB, { io: disk })).close();
    disk.failOn("open", "EIO");
    await expect(MappedFile.open(PATH, MiB, { io: disk })).rejects.toMatchObject({ code: "IO_ERROR" });
  });
});

describe("MappedFile I/O errors", () => {
  async function openFile(pool?: TransientStorePool): Promise<MappedFile> {
    return MappedFile.open(PATH, MiB, { io: disk, transientStorePool: pool ?? null });
  }

  it("returns UNKNOWN_ERROR with an IO_ERROR cause when the write fails; the position stays", async () => {
    const file = await openFile();
    file.appendMessage(Buffer.from("first"), bytesCallback);
    disk.failOn("write", "EIO");
    const failed = file.appendMessage(pattern(100), bytesCallback);
    expect(failed.status).toBe("UNKNOWN_ERROR");
    expect(failed.wroteBytes).toBe(0);
    expect(failed.wroteOffset).toBe(5);
    expect(failed.error).toBeInstanceOf(StoreError);
    expect(failed.error?.code).toBe("IO_ERROR");
    expect(file.wrotePosition).toBe(5);
    expect(file.committedPosition).toBe(5);

    const retried = file.appendMessage(pattern(100), bytesCallback);
    expect(retried).toMatchObject({ status: "PUT_OK", wroteOffset: 5 });
    expect(disk.readFile(PATH).subarray(5, 105).equals(pattern(100))).toBe(true);
  });

  it("reports ENOSPC on an append write as DISK_FULL", async () => {
    const file = await openFile();
    disk.failOn("write", "ENOSPC");
    const failed = file.appendMessage(pattern(100), bytesCallback);
    expect(failed.status).toBe("UNKNOWN_ERROR");
    expect(failed.error?.code).toBe("DISK_FULL");
    expect(file.wrotePosition).toBe(0);
  });

  it("throws from a raw append whose write fails, without moving", async () => {
    const file = await openFile();
    disk.failOn("write", "EIO");
    expect(thrown(() => file.appendMessage(pattern(10)))).toMatchObject({ name: "StoreError", code: "IO_ERROR" });
    disk.failOn("write", "ENOSPC");
    expect(thrown(() => file.appendMessage(pattern(10)))).toMatchObject({ code: "DISK_FULL" });
    expect(file.wrotePosition).toBe(0);
    expect(file.appendMessage(pattern(10))).toBe(true);
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
