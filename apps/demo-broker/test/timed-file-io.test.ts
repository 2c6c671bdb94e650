import { join } from "node:path";
import type { FileIO } from "@store/mapped-file";
import { nodeFileIO } from "@store/mapped-file";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SyncedFileKind } from "../src/timed-file-io.js";
import { timedFileIO } from "../src/timed-file-io.js";
import { tempDir } from "./helpers.js";

describe("timedFileIO", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const syncs: [SyncedFileKind, number, boolean][] = [];
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    syncs.length = 0;
  });
  afterEach(() => cleanup());

  async function syncOnce(io: FileIO, path: string): Promise<void> {
    await io.mkdir(join(path, ".."));
    const fd = await io.open(path, true);
    const data = Buffer.from("hello");
    io.pwriteSync(fd, data, 0, data.length, 0);
    await io.fdatasync(fd);
    await io.close(fd);
  }

  it("reports each fdatasync with the kind of store file and its duration in seconds", async () => {
    const io = timedFileIO(nodeFileIO);
    const stop = io.onFdatasync((kind, seconds, ok) => syncs.push([kind, seconds, ok]));
    await syncOnce(io, join(dir, "commitlog", "00000000000000000000"));
    await syncOnce(io, join(dir, "consumequeue", "Topic", "0", "00000000000000000000"));
    await syncOnce(io, join(dir, "checkpoint"));
    await syncOnce(io, join(dir, "lock"));
    stop();
    await syncOnce(io, join(dir, "commitlog", "00000000000000000000"));
    expect(syncs.map(([kind]) => kind)).toEqual([
      "commitlog",
      "consumequeue",
      "checkpoint",
      "other",
    ]);
    for (const [, seconds, ok] of syncs) {
      expect(ok).toBe(true);
      expect(seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThan(10);
    }
  });

  it("reports a failed fdatasync as not ok and still rejects with the error", async () => {
    const failing: FileIO = {
      ...nodeFileIO,
      fdatasync: () => Promise.reject(Object.assign(new Error("EIO: i/o error"), { code: "EIO" })),
    };
    const io = timedFileIO(failing);
    io.onFdatasync((kind, seconds, ok) => syncs.push([kind, seconds, ok]));
    const path = join(dir, "commitlog", "00000000000000000000");
    await io.mkdir(join(dir, "commitlog"));
    const fd = await io.open(path, true);
    await expect(io.fdatasync(fd)).rejects.toThrow("EIO");
    await io.close(fd);
    expect(syncs).toEqual([["commitlog", expect.any(Number), false]]);
  });

  it("gives the same FileIO the same wrapper (the store lock tells a second open in this process by it)", () => {
    expect(timedFileIO(nodeFileIO)).toBe(timedFileIO(nodeFileIO));
    expect(timedFileIO({ ...nodeFileIO })).not.toBe(timedFileIO(nodeFileIO));
  });

  it("keeps syncing when the listener throws, and passes every other call through", async () => {
    const io = timedFileIO({ ...nodeFileIO });
    io.onFdatasync(() => {
      throw new Error("listener bug");
    });
    const path = join(dir, "file");
    await syncOnce(io, path);
    const buffer = Buffer.alloc(5);
    const fd = await io.open(path, false);
    expect(await io.pread(fd, buffer, 0, 5, 0)).toBe(5);
    await io.close(fd);
    expect(buffer.toString()).toBe("hello");
    expect((await io.stat(path))?.size).toBe(5);
    expect(await io.readdir(dir)).toEqual(["file"]);
  });
});
