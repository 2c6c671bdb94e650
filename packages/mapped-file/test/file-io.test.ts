import { existsSync, openSync, closeSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { nodeFileIO as io } from "../src/index.js";
import { collectGarbage, makeTempDir } from "./helpers.js";

describe("nodeFileIO", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const open: number[] = [];

  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir());
  });

  afterEach(async () => {
    for (const fd of open.splice(0)) await io.close(fd).catch(() => undefined);
    await cleanup();
  });

  async function openTracked(path: string, create: boolean | "exclusive"): Promise<number> {
    const fd = await io.open(path, create);
    open.push(fd);
    return fd;
  }

  it("creates a missing file when asked, and refuses to open a missing one otherwise", async () => {
    const path = join(dir, "a");
    await expect(io.open(path, false)).rejects.toMatchObject({ code: "ENOENT" });
    await openTracked(path, true);
    expect(await io.stat(path)).toMatchObject({ size: 0 });
  });

  it("creates exclusively: a second exclusive create of the same path fails with EEXIST", async () => {
    const path = join(dir, "lock");
    await openTracked(path, "exclusive");
    await expect(io.open(path, "exclusive")).rejects.toMatchObject({ code: "EEXIST" });
  });

  it("opens an existing file on create without truncating it", async () => {
    const path = join(dir, "a");
    writeFileSync(path, "hello");
    const fd = await openTracked(path, true);
    const buffer = Buffer.alloc(5);
    expect(await io.pread(fd, buffer, 0, 5, 0)).toBe(5);
    expect(buffer.toString()).toBe("hello");
  });

  it("stats a missing path as null and reports size and mtime of a file", async () => {
    expect(await io.stat(join(dir, "missing"))).toBeNull();
    writeFileSync(join(dir, "b"), Buffer.alloc(1234));
    const stat = await io.stat(join(dir, "b"));
    expect(stat?.size).toBe(1234);
    expect(stat?.mtimeMs).toBeGreaterThan(0);
  });

  it("writes at a position, async and sync, and reads the bytes back", async () => {
    const path = join(dir, "c");
    const fd = await openTracked(path, true);
    await io.pwrite(fd, Buffer.from("xxabcdefxx"), 2, 6, 10);
    io.pwriteSync(fd, Buffer.from("012"), 0, 3, 0);
    const contents = readFileSync(path);
    expect(contents.length).toBe(16);
    expect(contents.subarray(0, 3).toString()).toBe("012");
    expect(contents.subarray(3, 10)).toEqual(Buffer.alloc(7)); // a hole reads as zeros
    expect(contents.subarray(10, 16).toString()).toBe("abcdef");
    const buffer = Buffer.alloc(8, 0xff);
    expect(await io.pread(fd, buffer, 2, 6, 10)).toBe(6);
    expect(buffer.subarray(2).toString()).toBe("abcdef");
  });

  it("returns a short count when a read runs past the end of the file, and 0 wholly past it", async () => {
    const path = join(dir, "d");
    writeFileSync(path, "0123456789");
    const fd = await openTracked(path, false);
    const buffer = Buffer.alloc(100);
    expect(await io.pread(fd, buffer, 0, 100, 4)).toBe(6);
    expect(buffer.subarray(0, 6).toString()).toBe("456789");
    expect(await io.pread(fd, buffer, 0, 10, 10)).toBe(0);
    expect(await io.pread(fd, buffer, 0, 10, 500)).toBe(0);
  });

  it("truncates a file up (zeros) and down", async () => {
    const path = join(dir, "e");
    writeFileSync(path, "0123456789");
    const fd = await openTracked(path, false);
    await io.truncate(fd, 4);
    expect(readFileSync(path).toString()).toBe("0123");
    await io.truncate(fd, 8);
    expect(readFileSync(path)).toEqual(Buffer.concat([Buffer.from("0123"), Buffer.alloc(4)]));
  });

  it("fdatasyncs an open file", async () => {
    const fd = await openTracked(join(dir, "f"), true);
    await io.pwrite(fd, Buffer.from("durable"), 0, 7, 0);
    await expect(io.fdatasync(fd)).resolves.toBeUndefined();
  });

  it("closes a descriptor: later calls on it fail with EBADF", async () => {
    const fd = await io.open(join(dir, "g"), true);
    await io.close(fd);
    await expect(io.fdatasync(fd)).rejects.toMatchObject({ code: "EBADF" });
  });

  it("reads a missing directory as empty and lists the names in an existing one", async () => {
    expect(await io.readdir(join(dir, "missing"))).toEqual([]);
    writeFileSync(join(dir, "x"), "");
    mkdirSync(join(dir, "sub"));
    expect((await io.readdir(dir)).sort()).toEqual(["sub", "x"]);
  });

  it("creates directories with their parents, and tolerates an existing one", async () => {
    const deep = join(dir, "a", "b", "c");
    await io.mkdir(deep);
    await io.mkdir(deep);
    expect(existsSync(deep)).toBe(true);
  });

  it("removes an empty directory, tolerates a missing one, and refuses a non-empty one", async () => {
    await io.rmdir(join(dir, "missing"));
    mkdirSync(join(dir, "empty"));
    await io.rmdir(join(dir, "empty"));
    expect(existsSync(join(dir, "empty"))).toBe(false);
    mkdirSync(join(dir, "full"));
    writeFileSync(join(dir, "full", "x"), "");
    await expect(io.rmdir(join(dir, "full"))).rejects.toMatchObject({ code: "ENOTEMPTY" });
  });

  it("renames over an existing file and unlinks (ENOENT for a missing file)", async () => {
    writeFileSync(join(dir, "from"), "new");
    writeFileSync(join(dir, "to"), "old");
    await io.rename(join(dir, "from"), join(dir, "to"));
    expect(readFileSync(join(dir, "to"), "utf8")).toBe("new");
    expect(existsSync(join(dir, "from"))).toBe(false);
    await io.unlink(join(dir, "to"));
    expect(existsSync(join(dir, "to"))).toBe(false);
    await expect(io.unlink(join(dir, "to"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("syncs a directory, and fails for a missing one", async () => {
    await expect(io.syncDirectory(dir)).resolves.toBeUndefined();
    await expect(io.syncDirectory(join(dir, "missing"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("keeps a descriptor it created valid across garbage collection (no FileHandle left to close it)", async () => {
    // Regression: open(path, true) used to take the fd out of a FileHandle and drop the handle. When the
    // handle was collected, Node closed "its" fd, which by then could be another file's descriptor.
    const created = await io.open(join(dir, "created"), true);
    await io.close(created);
    const other = openSync(join(dir, "other"), "w+");
    try {
      await collectGarbage();
      await io.pwrite(other, Buffer.from("still open"), 0, 10, 0);
      expect(readFileSync(join(dir, "other"), "utf8")).toBe("still open");
    } finally {
      closeSync(other);
    }
  });
});
