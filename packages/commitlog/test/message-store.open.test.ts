import { StoreError } from "@store/mapped-file";
import { SimulatedDisk, VirtualClock } from "@store/mapped-file/testing";
import { describe, expect, it } from "vitest";
import { MessageStore } from "../src/message-store.js";
import { silentLogger } from "./helpers.js";
import {
  SIM_COMMITLOG,
  SIM_ROOT,
  commitLogFile,
  message,
  openOnDisk,
  putOk,
  readBodies,
} from "./store-test-kit.js";

describe("MessageStore.open failures", () => {
  it("a failure at the end of open (the abort file) is an IO_ERROR, releases the lock and leaves no service running", async () => {
    const disk = new SimulatedDisk();
    const first = await openOnDisk(disk);
    await putOk(first, message("T", 0));
    await first.shutdown();
    disk.failOn("open", "EIO", { pathIncludes: `${SIM_ROOT}/abort` });
    // Every service waits on the store's clock: with a VirtualClock its pending timers are theirs.
    const clock = new VirtualClock(Date.now());
    const failure: unknown = await openOnDisk(disk, {}, { clock }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreError);
    expect(failure).toMatchObject({ code: "IO_ERROR" });
    expect(disk.exists(`${SIM_ROOT}/lock`)).toBe(false);
    expect(disk.openDescriptors).toBe(0); // segments, index files and checkpoint closed again
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(60_000); // nothing left to wake: a service still running would touch the disk
    expect(disk.openDescriptors).toBe(0);
    const again = await openOnDisk(disk);
    try {
      expect(again.recovery.mode).toBe("normal");
      expect(await readBodies(again, "T")).toHaveLength(1);
    } finally {
      await again.shutdown();
    }
  });

  it("refuses a commit-log directory with a gap, naming the problem, and releases the lock", async () => {
    const disk = new SimulatedDisk();
    const first = await openOnDisk(disk);
    await putOk(first, message("T", 0));
    await first.shutdown();
    await disk.mkdir(SIM_COMMITLOG);
    const fd = await disk.open(commitLogFile(3 * 4096), true);
    await disk.pwrite(fd, Buffer.alloc(4096), 0, 4096, 0);
    await disk.close(fd);
    const failure: unknown = await openOnDisk(disk).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreError);
    expect(failure).toMatchObject({ code: "DIRECTORY_GAP" });
    expect(disk.exists(`${SIM_ROOT}/lock`)).toBe(false);
  });

  it("rejects an unknown or out-of-range config key with INVALID_CONFIG naming it, creating nothing", async () => {
    const disk = new SimulatedDisk();
    const open = (config: Record<string, unknown>) =>
      MessageStore.open(
        { storePathRootDir: SIM_ROOT, ...config },
        { io: disk, logger: silentLogger },
      );
    await expect(open({ flushIntervalComitLog: 5 })).rejects.toMatchObject({
      code: "INVALID_CONFIG",
      message: expect.stringContaining("flushIntervalComitLog") as unknown,
    });
    await expect(open({ maxMessageSize: 5 })).rejects.toMatchObject({
      code: "INVALID_CONFIG",
      message: expect.stringContaining("maxMessageSize") as unknown,
    });
    expect(disk.listFiles()).toEqual([]);
  });
});
