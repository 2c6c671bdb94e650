import { beforeEach, describe, expect, it } from "vitest";
import { SimulatedDisk } from "../src/testing.js";

const A = "/d/a";
const B = "/d/b";

let disk: SimulatedDisk;

beforeEach(async () => {
  disk = new SimulatedDisk();
  await disk.mkdir("/d");
  await disk.syncDirectory("/"); // "/d" survives a cut: these tests are about what is inside it
});

async function write(path: string, text: string, position = 0): Promise<number> {
  const created = !disk.exists(path);
  const fd = await disk.open(path, true);
  if (created) await disk.syncDirectory("/d"); // its name survives a cut: these tests are about data
  await disk.pwrite(fd, Buffer.from(text), 0, text.length, position);
  return fd;
}

function text(path: string, view: "current" | "durable" = "current"): string {
  return disk.readFile(path, view).toString();
}

describe("SimulatedDisk files", () => {
  it("creates files only in existing directories, and opens missing ones only with create", async () => {
    await expect(disk.open("/missing/x", true)).rejects.toMatchObject({ code: "ENOENT" });
    await expect(disk.open(A, false)).rejects.toMatchObject({ code: "ENOENT" });
    await disk.open(A, true);
    expect(disk.exists(A)).toBe(true);
    expect(await disk.stat(A)).toMatchObject({ size: 0 });
    expect(await disk.stat(B)).toBeNull();
  });

  it("creates exclusively only when the path is free (EEXIST otherwise)", async () => {
    await disk.open(A, "exclusive");
    await expect(disk.open(A, "exclusive")).rejects.toMatchObject({ code: "EEXIST" });
    await disk.open(A, true);
  });

  it("writes and reads at positions, zero-filling holes, with short reads at the end", async () => {
    const fd = await write(A, "abc", 5);
    disk.pwriteSync(fd, Buffer.from("XY"), 0, 2, 0);
    expect(disk.readFile(A)).toEqual(Buffer.from([0x58, 0x59, 0, 0, 0, 0x61, 0x62, 0x63]));
    const buffer = Buffer.alloc(10);
    expect(await disk.pread(fd, buffer, 1, 10, 4)).toBe(4);
    expect(buffer.subarray(1, 5)).toEqual(Buffer.from([0, 0x61, 0x62, 0x63]));
    expect(await disk.pread(fd, buffer, 0, 5, 8)).toBe(0);
    expect(await disk.pread(fd, buffer, 0, 5, 100)).toBe(0);
  });

  it("truncates up with zeros and down, in both the page cache and the durable view", async () => {
    const fd = await write(A, "0123456789");
    await disk.fdatasync(fd);
    await disk.truncate(fd, 4);
    expect(text(A)).toBe("0123");
    expect(text(A, "durable")).toBe("0123");
    await disk.truncate(fd, 6);
    expect(disk.readFile(A)).toEqual(Buffer.from([0x30, 0x31, 0x32, 0x33, 0, 0]));
  });

  it("closes descriptors: later calls on them fail with EBADF", async () => {
    const fd = await write(A, "x");
    await disk.close(fd);
    await expect(disk.fdatasync(fd)).rejects.toMatchObject({ code: "EBADF" });
    expect(() => disk.pwriteSync(fd, Buffer.from("y"), 0, 1, 0)).toThrow(/EBADF/);
    await expect(disk.close(fd)).rejects.toMatchObject({ code: "EBADF" });
  });

  it("renames a file (replacing the target) with its unsynced writes, and unlinks", async () => {
    await write(B, "old");
    const fd = await write(A, "new");
    await disk.rename(A, B);
    expect(disk.exists(A)).toBe(false);
    expect(text(B)).toBe("new");
    await disk.close(fd);
    await disk.unlink(B);
    expect(disk.listFiles()).toEqual([]);
    await expect(disk.unlink(B)).rejects.toMatchObject({ code: "ENOENT" });
    await expect(disk.rename(A, B)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("lists the immediate children of a directory, files and directories, and nothing for a missing one", async () => {
    await disk.mkdir("/d/sub/deeper");
    await write(A, "1");
    await write("/d/sub/c", "2");
    expect(await disk.readdir("/d")).toEqual(["a", "sub"]);
    expect(await disk.readdir("/d/")).toEqual(["a", "sub"]);
    expect(await disk.readdir("/d/sub")).toEqual(["c", "deeper"]);
    expect(await disk.readdir("/nope")).toEqual([]);
    expect(disk.listFiles()).toEqual(["/d/a", "/d/sub/c"]);
  });

  it("removes empty directories only, tolerating missing ones", async () => {
    await disk.mkdir("/d/empty");
    await disk.rmdir("/d/empty");
    expect(await disk.readdir("/d")).toEqual([]);
    await disk.rmdir("/d/empty");
    await write(A, "x");
    await expect(disk.rmdir("/d")).rejects.toMatchObject({ code: "ENOTEMPTY" });
  });

  it("syncs existing directories and fails for missing ones", async () => {
    await expect(disk.syncDirectory("/d")).resolves.toBeUndefined();
    await expect(disk.syncDirectory("/nope")).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("sets a file's mtime", async () => {
    await write(A, "x");
    disk.setMtime(A, 12345);
    expect(await disk.stat(A)).toEqual({ size: 1, mtimeMs: 12345 });
  });

  it("counts writes, bytes written, reads and fsyncs", async () => {
    const fd = await write(A, "abcd");
    disk.pwriteSync(fd, Buffer.from("ef"), 0, 2, 4);
    await disk.pread(fd, Buffer.alloc(6), 0, 6, 0);
    await disk.fdatasync(fd);
    expect(disk.counters).toEqual({ writes: 2, bytesWritten: 6, reads: 1, fsyncs: 1, faults: 0 });
  });
});

describe("SimulatedDisk durability", () => {
  it("loses unsynced writes in a power cut and keeps synced ones; descriptors die", async () => {
    const fd = await write(A, "synced");
    await disk.fdatasync(fd);
    await disk.pwrite(fd, Buffer.from("SY"), 0, 2, 0);
    await disk.pwrite(fd, Buffer.from("++"), 0, 2, 6);
    expect(disk.unsyncedWrites).toBe(2);
    expect(text(A)).toBe("SYnced++");
    expect(text(A, "durable")).toBe("synced");
    expect(disk.powerCut()).toEqual({ dropped: 2 });
    expect(text(A)).toBe("synced");
    expect(disk.unsyncedWrites).toBe(0);
    await expect(disk.fdatasync(fd)).rejects.toMatchObject({ code: "EBADF" });
  });

  it("syncs only the file it is given", async () => {
    const fdA = await write(A, "a");
    await write(B, "b");
    await disk.fdatasync(fdA);
    expect(disk.unsyncedWrites).toBe(1);
    disk.powerCut();
    expect(text(A)).toBe("a");
    expect(text(B)).toBe("");
  });

  it("keeps the oldest unsynced writes when asked", async () => {
    const fd = await write(A, "1");
    await disk.pwrite(fd, Buffer.from("2"), 0, 1, 1);
    await disk.pwrite(fd, Buffer.from("3"), 0, 1, 2);
    expect(disk.powerCut({ keepUnsyncedWrites: 2 })).toEqual({ dropped: 1 });
    expect(text(A)).toBe("12");
  });

  it("keeps any subset of the unsynced writes when asked (writeback in any order)", async () => {
    const fd = await write(A, "1");
    await disk.pwrite(fd, Buffer.from("2"), 0, 1, 1);
    await disk.pwrite(fd, Buffer.from("3"), 0, 1, 2);
    expect(
      disk.powerCut({ keepOnly: (w) => w.index !== 1 && w.path === A && w.length === 1 }),
    ).toEqual({ dropped: 1 });
    expect(text(A)).toBe("1\u00003");
  });

  it("tears the next write at a 512-byte sector boundary", async () => {
    const fd = await write(A, "k");
    await disk.pwrite(fd, Buffer.alloc(1300, 7), 0, 1300, 100);
    disk.powerCut({ keepUnsyncedWrites: 1, tearNextWrite: true });
    const after = disk.readFile(A);
    expect(after.length).toBe(1024); // 100 + 1300 = 1400 -> sectors [0, 1024) survive
    expect(after[0]).toBe("k".charCodeAt(0));
    expect(after.subarray(100)).toEqual(Buffer.alloc(924, 7));
  });

  it("drops a torn write that does not reach the end of its first sector", async () => {
    const fd = await disk.open(A, true);
    await disk.syncDirectory("/d");
    await disk.pwrite(fd, Buffer.alloc(100, 1), 0, 100, 600);
    disk.powerCut({ tearNextWrite: true });
    expect(disk.readFile(A).length).toBe(0);
  });

  it("covers only the writes completed before the fdatasync call", async () => {
    const fd = await write(A, "before");
    const release = disk.stallFsyncs();
    const syncing = disk.fdatasync(fd);
    await disk.pwrite(fd, Buffer.from("++"), 0, 2, 6);
    release();
    await syncing;
    expect(text(A, "durable")).toBe("before");
    expect(disk.unsyncedWrites).toBe(1);
  });

  it("keeps the page cache in a process crash but closes every descriptor", async () => {
    const fd = await write(A, "cached");
    disk.processCrash();
    expect(text(A)).toBe("cached");
    expect(disk.unsyncedWrites).toBe(1);
    await expect(disk.pread(fd, Buffer.alloc(1), 0, 1, 0)).rejects.toMatchObject({ code: "EBADF" });
    const again = await disk.open(A, false);
    const buffer = Buffer.alloc(6);
    await disk.pread(again, buffer, 0, 6, 0);
    expect(buffer.toString()).toBe("cached");
  });

  it("with directoryEntries at-once, keeps creates, renames and unlinks through a cut without syncing", async () => {
    const eager = new SimulatedDisk({ directoryEntries: "at-once" });
    await eager.mkdir("/d");
    const fd = await eager.open(A, true);
    await eager.truncate(fd, 100);
    await eager.rename(A, B);
    await eager.open("/d/c", true);
    await eager.unlink("/d/c");
    eager.powerCut();
    expect(eager.listFiles()).toEqual([B]);
    expect(eager.readFile(B)).toEqual(Buffer.alloc(100));
  });

  it("by default, a cut keeps only the directory entries synced with syncDirectory", async () => {
    const fd = await disk.open(A, true);
    await disk.truncate(fd, 100); // sizes are durable at once
    await disk.open("/d/lost", true); // never synced into its directory
    disk.powerCut();
    expect(disk.listFiles()).toEqual([]);

    await disk.open(A, true);
    await disk.open("/d/c", true);
    await disk.syncDirectory("/d");
    await disk.rename(A, B); // not synced: undone by a cut
    await disk.unlink("/d/c"); // not synced: the file comes back
    disk.powerCut();
    expect(disk.listFiles()).toEqual([A, "/d/c"]);

    await disk.rename(A, B);
    await disk.unlink("/d/c");
    await disk.syncDirectory("/d");
    disk.powerCut();
    expect(disk.listFiles()).toEqual([B]);
  });

  it("syncs only the entries of the directory it is given", async () => {
    await disk.mkdir("/e");
    await disk.syncDirectory("/");
    await disk.open("/d/x", true);
    await disk.open("/e/y", true);
    await disk.syncDirectory("/e");
    disk.powerCut();
    expect(disk.listFiles()).toEqual(["/e/y"]);
  });

  it("by default, a cut loses a directory never synced into its parent, with every file under it", async () => {
    expect(await disk.mkdir("/d/q/0")).toBe("/d/q"); // the first directory it had to create
    expect(await disk.mkdir("/d/q/0")).toBeUndefined();
    const fd = await disk.open("/d/q/0/unit", true);
    await disk.pwrite(fd, Buffer.from("unit"), 0, 4, 0);
    await disk.fdatasync(fd);
    await disk.syncDirectory("/d/q/0"); // the file is durable in its directory, the directory is not
    disk.powerCut();
    expect(disk.listDirectories()).toEqual(["/", "/d"]);
    expect(disk.listFiles()).toEqual([]);

    await disk.mkdir("/d/q/0");
    await disk.syncDirectory("/d");
    await disk.syncDirectory("/d/q"); // now every name on the path is durable
    await disk.open("/d/q/0/unit", true);
    await disk.syncDirectory("/d/q/0");
    disk.powerCut();
    expect(disk.listFiles()).toEqual(["/d/q/0/unit"]);
  });

  it("brings back a removed directory until its parent is synced", async () => {
    await disk.mkdir("/d/gone");
    await disk.syncDirectory("/d");
    await disk.rmdir("/d/gone");
    disk.powerCut();
    expect(disk.listDirectories()).toContain("/d/gone");
    await disk.rmdir("/d/gone");
    await disk.syncDirectory("/d");
    disk.powerCut();
    expect(disk.listDirectories()).not.toContain("/d/gone");
  });

  it("drops the unsynced writes of an unlinked file", async () => {
    await write(A, "gone");
    await disk.unlink(A);
    expect(disk.unsyncedWrites).toBe(0);
  });
});

describe("SimulatedDisk faults", () => {
  it("fails the next call of a kind once by default", async () => {
    const fd = await write(A, "x");
    disk.failOn("write", "EIO");
    expect(() => disk.pwriteSync(fd, Buffer.from("y"), 0, 1, 0)).toThrow(
      expect.objectContaining({ code: "EIO", syscall: "write" }),
    );
    disk.pwriteSync(fd, Buffer.from("y"), 0, 1, 0);
    expect(text(A)).toBe("y");
  });

  it("lets `after` calls succeed first, then fails `times` calls", async () => {
    const fd = await write(A, "x");
    disk.failOn("fsync", "EIO", { after: 2, times: 2 });
    const outcomes: string[] = [];
    for (let i = 0; i < 5; i++) {
      outcomes.push(
        await disk.fdatasync(fd).then(
          () => "ok",
          (e: unknown) => (e as { code: string }).code,
        ),
      );
    }
    expect(outcomes).toEqual(["ok", "ok", "EIO", "EIO", "ok"]);
    expect(disk.counters.faults).toBe(2);
  });

  it("fails until heal() with times Infinity", async () => {
    disk.failOn("open", "ENOSPC", { times: Number.POSITIVE_INFINITY });
    for (let i = 0; i < 3; i++)
      await expect(disk.open(A, true)).rejects.toMatchObject({ code: "ENOSPC" });
    disk.heal();
    await disk.open(A, true);
  });

  it("matches pathIncludes only, and counts `after` on matching calls only", async () => {
    const fdA = await write(A, "a");
    const fdB = await write(B, "b");
    disk.failOn("read", "EIO", { pathIncludes: "/b", after: 1 });
    const buffer = Buffer.alloc(1);
    await disk.pread(fdA, buffer, 0, 1, 0);
    await disk.pread(fdB, buffer, 0, 1, 0); // the one skipped
    await disk.pread(fdA, buffer, 0, 1, 0);
    await expect(disk.pread(fdB, buffer, 0, 1, 0)).rejects.toMatchObject({ code: "EIO" });
    await disk.pread(fdB, buffer, 0, 1, 0);
  });

  it("injects faults into truncate, unlink and rename", async () => {
    const fd = await write(A, "x");
    disk.failOn("truncate", "EIO");
    disk.failOn("unlink", "EIO");
    disk.failOn("rename", "EIO");
    await expect(disk.truncate(fd, 0)).rejects.toMatchObject({ code: "EIO" });
    await expect(disk.unlink(A)).rejects.toMatchObject({ code: "EIO" });
    await expect(disk.rename(A, B)).rejects.toMatchObject({ code: "EIO" });
    expect(disk.listFiles()).toEqual([A]);
  });

  it("refuses growth past its capacity with ENOSPC, and still allows overwrites in place", async () => {
    const limited = new SimulatedDisk({ capacityBytes: 100 });
    await limited.mkdir("/d");
    const fd = await limited.open(A, true);
    await limited.pwrite(fd, Buffer.alloc(80), 0, 80, 0);
    await expect(limited.pwrite(fd, Buffer.alloc(30), 0, 30, 80)).rejects.toMatchObject({
      code: "ENOSPC",
    });
    await expect(limited.truncate(fd, 101)).rejects.toMatchObject({ code: "ENOSPC" });
    await limited.pwrite(fd, Buffer.alloc(20, 1), 0, 20, 80);
    await limited.pwrite(fd, Buffer.alloc(50, 2), 0, 50, 10);
    expect(limited.usedBytes).toBe(100);
    limited.setCapacity(200);
    await limited.truncate(fd, 200);
    limited.setCapacity(10);
    limited.heal(); // heal lifts the limit too
    await limited.truncate(fd, 1000);
    expect(limited.usedBytes).toBe(1000);
  });

  it("holds every fdatasync behind stallFsyncs until released", async () => {
    const fd = await write(A, "x");
    const release = disk.stallFsyncs();
    let done = false;
    const syncing = disk.fdatasync(fd).then(() => (done = true));
    await disk.whenFsyncStalled();
    expect(done).toBe(false);
    expect(disk.counters.fsyncs).toBe(0);
    release();
    await syncing;
    expect(done).toBe(true);
    await disk.fdatasync(fd); // not held any more
    expect(disk.counters.fsyncs).toBe(2);
  });

  it("keeps holding while a second gate is open", async () => {
    const fd = await write(A, "x");
    const first = disk.stallFsyncs();
    const second = disk.stallFsyncs();
    let done = false;
    const syncing = disk.fdatasync(fd).then(() => (done = true));
    await disk.whenFsyncStalled();
    first();
    await new Promise((resolve) => setImmediate(resolve)); // every continuation of the release has run
    expect(done).toBe(false);
    second();
    await syncing;
  });

  it("ends stalled fdatasyncs with EBADF on a power cut instead of leaving them hanging", async () => {
    const fd = await write(A, "x");
    disk.stallFsyncs();
    const syncing = disk.fdatasync(fd);
    await disk.whenFsyncStalled();
    disk.powerCut();
    await expect(syncing).rejects.toMatchObject({ code: "EBADF" });
    expect(text(A)).toBe("");
  });

  it("delays fdatasync by fsyncLatencyMs", async () => {
    const slow = new SimulatedDisk({ fsyncLatencyMs: 30 });
    await slow.mkdir("/d");
    const fd = await slow.open(A, true);
    const started = performance.now();
    await slow.fdatasync(fd);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it("corrupts bytes by flipping every bit, in the page cache and on the platter", async () => {
    const fd = await disk.open(A, true);
    await disk.pwrite(fd, Buffer.from([0x00, 0x0f, 0xff]), 0, 3, 0);
    await disk.fdatasync(fd);
    disk.corrupt(A, 1, 5); // past the end: ignored
    expect(disk.readFile(A)).toEqual(Buffer.from([0x00, 0xf0, 0x00]));
    expect(disk.readFile(A, "durable")).toEqual(Buffer.from([0x00, 0xf0, 0x00]));
    disk.corrupt(A, 0);
    expect(disk.readFile(A)[0]).toBe(0xff);
    expect(() => disk.corrupt(B, 0)).toThrow(/ENOENT/);
  });

  it("overwrites bytes durably, growing the file if needed", async () => {
    await write(A, "abc");
    disk.overwrite(A, 2, Buffer.from("XYZ"));
    expect(text(A)).toBe("abXYZ");
    disk.powerCut();
    expect(text(A)).toBe("\x00\x00XYZ"); // "abc" was never synced; the overwrite was
  });
});
