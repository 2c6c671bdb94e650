import { describe, expect, it } from "vitest";
import { SimulatedDisk } from "@store/mapped-file/testing";
import { AtomicStateFile } from "../../src/pop/atomic-state-file.js";

describe("AtomicStateFile", () => {
  it("reads null before the first write, then the last state written", async () => {
    const disk = new SimulatedDisk();
    await disk.mkdir("/c");
    const file = new AtomicStateFile("/c/state.json", disk);
    expect(await file.read()).toBeNull();
    await file.write(() => "one");
    await file.write(() => "two");
    expect(await file.read()).toBe("two");
  });

  it("keeps a written state across a power cut, and the old one when the cut hits mid-write", async () => {
    const disk = new SimulatedDisk();
    await disk.mkdir("/c");
    await disk.syncDirectory("/"); // "/c" itself survives the cut (a simulated disk keeps only synced names)
    const file = new AtomicStateFile("/c/state.json", disk);
    await file.write(() => "durable");
    const release = disk.stallFsyncs();
    const pending = file.write(() => "torn");
    await new Promise((resolve) => setImmediate(resolve));
    disk.powerCut();
    release();
    await pending.catch(() => undefined);
    expect(disk.readFile("/c/state.json", "durable").toString()).toBe("durable");
  });

  it("serves the writes made during one disk write with one more write (group commit)", async () => {
    const disk = new SimulatedDisk();
    await disk.mkdir("/c");
    const file = new AtomicStateFile("/c/state.json", disk);
    let snapshots = 0;
    const state = { value: 0 };
    const writes = [1, 2, 3, 4].map((value) => {
      state.value = value;
      return file.write(() => {
        snapshots++;
        return String(state.value);
      });
    });
    await Promise.all(writes);
    expect(snapshots).toBeLessThanOrEqual(2);
    expect(await file.read()).toBe("4");
  });

  it("rejects with PERSIST_FAILED when the disk fails", async () => {
    const disk = new SimulatedDisk();
    await disk.mkdir("/c");
    const file = new AtomicStateFile("/c/state.json", disk);
    disk.failOn("fsync", "EIO");
    await expect(file.write(() => "x")).rejects.toMatchObject({ code: "PERSIST_FAILED" });
  });
});
