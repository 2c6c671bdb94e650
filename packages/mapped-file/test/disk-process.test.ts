import { describe, expect, it } from "vitest";
import { ensureDirectory } from "../src/index.js";
import { SimulatedDisk } from "../src/testing.js";

describe("DiskProcess", () => {
  it("forwards calls until killed, then fails every call without touching the disk", async () => {
    const disk = new SimulatedDisk();
    const process = disk.process();
    await process.mkdir("/d");
    const fd = await process.open("/d/a", true);
    await process.pwrite(fd, Buffer.from("alive"), 0, 5, 0);
    expect(process.calls).toBe(3);
    process.kill();
    expect(process.isKilled).toBe(true);
    await expect(process.pwrite(fd, Buffer.from("dead!"), 0, 5, 0)).rejects.toMatchObject({
      code: "EIO",
    });
    expect(() => process.pwriteSync(fd, Buffer.from("dead!"), 0, 5, 0)).toThrow(/killed/);
    await expect(process.open("/d/b", true)).rejects.toMatchObject({ code: "EIO" });
    await expect(process.unlink("/d/a")).rejects.toMatchObject({ code: "EIO" });
    expect(disk.listFiles()).toEqual(["/d/a"]);
    expect(disk.readFile("/d/a").toString()).toBe("alive");
    const next = disk.process();
    expect(await next.stat("/d/a")).toMatchObject({ size: 5 });
  });

  it("lets beforeCall crash the process at any call: that call fails too", async () => {
    const disk = new SimulatedDisk();
    await disk.mkdir("/d");
    await disk.syncDirectory("/");
    const seen: string[] = [];
    const process = disk.process({
      beforeCall: (call) => {
        seen.push(call);
        if (call === "fdatasync") {
          disk.powerCut();
          process.kill();
        }
      },
    });
    const fd = await process.open("/d/a", true);
    await process.syncDirectory("/d");
    await process.pwrite(fd, Buffer.from("lost"), 0, 4, 0);
    await expect(process.fdatasync(fd)).rejects.toMatchObject({ code: "EIO" });
    expect(seen).toEqual(["open", "syncDirectory", "pwrite", "fdatasync"]);
    expect(disk.readFile("/d/a").length).toBe(0);
  });

  it("never tells a killed process that its fdatasync completed", async () => {
    const disk = new SimulatedDisk();
    await disk.mkdir("/d");
    const process = disk.process();
    const fd = await process.open("/d/a", true);
    const release = disk.stallFsyncs();
    const sync = process.fdatasync(fd);
    process.kill();
    release();
    await expect(sync).rejects.toMatchObject({ code: "EIO" });
  });
});

describe("ensureDirectory", () => {
  it("makes every directory it creates durable, nearest the root first", async () => {
    const disk = new SimulatedDisk();
    await disk.mkdir("/store");
    await disk.syncDirectory("/");
    const synced: string[] = [];
    const io = disk.process({
      beforeCall: (call, target) => void (call === "syncDirectory" && synced.push(String(target))),
    });
    await ensureDirectory(io, "/store/consumequeue/T/0");
    expect(synced).toEqual(["/store", "/store/consumequeue", "/store/consumequeue/T"]);
    await ensureDirectory(io, "/store/consumequeue/T/0");
    expect(synced).toHaveLength(3); // it existed: nothing to sync
    disk.powerCut();
    expect(disk.listDirectories()).toContain("/store/consumequeue/T/0");
  });
});
