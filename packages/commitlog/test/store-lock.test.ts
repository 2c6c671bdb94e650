import { spawnSync } from "node:child_process";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { nodeFileIO } from "@store/mapped-file";
import { SimulatedDisk } from "@store/mapped-file/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MessageStore } from "../src/message-store.js";
import { StoreLock } from "../src/store-lock.js";
import { silentLogger, tempDir } from "./helpers.js";
import { SIM_ROOT, message, openOnDisk, putOk, readBodies, waitDispatched } from "./store-test-kit.js";

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", ""]);
  if (typeof child.pid !== "number") throw new Error("could not spawn a process");
  return child.pid;
}

describe("StoreLock", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir("lock-test-")));
  afterEach(async () => cleanup());

  const open = () => MessageStore.open({ storePathRootDir: dir, mappedFileSizeCommitLog: 64 * 1024, mappedFileSizeConsumeQueue: 100 * 20 }, { logger: silentLogger });

  // RocketMQ DefaultMessageStoreTest.test_repeat_restart
  it("refuses a second open of the same directory with STORE_LOCKED; the first store keeps working", async () => {
    const first = await open();
    try {
      await expect(open()).rejects.toMatchObject({ name: "StoreError", code: "STORE_LOCKED" });
      await expect(open()).rejects.toThrow(/one process per store directory/);
      await putOk(first, message("T", 0));
      await waitDispatched(first, "T", 1);
      expect(await readFile(join(dir, "lock"), "utf8")).toBe(`${process.pid}\n`);
    } finally {
      await first.shutdown();
    }
    const second = await open();
    try {
      expect(second.getMaxOffsetInQueue("T", 0)).toBe(1);
    } finally {
      await second.shutdown();
    }
  });

  it("takes over a stale lock file left by a process that is gone", async () => {
    const pid = deadPid();
    await writeFile(join(dir, "lock"), `${pid}\n`);
    const store = await open();
    try {
      expect(await readFile(join(dir, "lock"), "utf8")).toBe(`${process.pid}\n`);
    } finally {
      await store.shutdown();
    }
    await expect(stat(join(dir, "lock"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("takes over a lock file that holds no pid", async () => {
    await writeFile(join(dir, "lock"), "lock");
    const store = await open();
    await store.shutdown();
  });

  it("refuses a directory whose lock another live process holds, naming that process", async () => {
    await writeFile(join(dir, "lock"), `${process.ppid}\n`);
    await expect(open()).rejects.toMatchObject({ code: "STORE_LOCKED", message: expect.stringContaining(String(process.ppid)) as unknown });
    expect(await readFile(join(dir, "lock"), "utf8")).toBe(`${process.ppid}\n`);
  });

  it("acquire / release: release is idempotent and frees the path for the next owner", async () => {
    const path = join(dir, "lock");
    const lock = await StoreLock.acquire(path, nodeFileIO);
    await expect(StoreLock.acquire(path, nodeFileIO)).rejects.toMatchObject({ code: "STORE_LOCKED" });
    await lock.release();
    await lock.release();
    const again = await StoreLock.acquire(path, nodeFileIO);
    await again.release();
  });

  it("abandon() forgets the lock in this process but leaves the file, as a crash would", async () => {
    const path = join(dir, "lock");
    const lock = await StoreLock.acquire(path, nodeFileIO);
    lock.abandon();
    expect((await stat(path)).isFile()).toBe(true);
    const next = await StoreLock.acquire(path, nodeFileIO); // our own pid in the file: taken over
    await next.release();
  });

  it("on a simulated disk: a second open fails, and after halt() (a crash) the directory can be reopened", async () => {
    const disk = new SimulatedDisk();
    const store = await openOnDisk(disk);
    await putOk(store, message("T", 0));
    await expect(openOnDisk(disk)).rejects.toMatchObject({ code: "STORE_LOCKED" });
    disk.processCrash();
    await store.halt();
    expect(disk.exists(`${SIM_ROOT}/lock`)).toBe(true);
    const again = await openOnDisk(disk);
    try {
      expect(again.recovery.mode).toBe("abnormal");
      expect(await readBodies(again, "T")).toHaveLength(1);
    } finally {
      await again.shutdown();
    }
  });
});

describe("StoreLock against a racing process", () => {
  it("refuses an empty lock file another process has just created, and takes over an old empty one", async () => {
    const { mkdtemp, rm, utimes, writeFile: write } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const root = await mkdtemp(join(tmpdir(), "lock-race-"));
    try {
      const path = join(root, "lock");
      await write(path, "");
      await expect(StoreLock.acquire(path, nodeFileIO)).rejects.toMatchObject({ code: "STORE_LOCKED" });
      const old = new Date(Date.now() - 60_000);
      await utimes(path, old, old);
      const lock = await StoreLock.acquire(path, nodeFileIO);
      expect((await readFile(path, "utf8")).trim()).toBe(String(process.pid));
      await lock.release();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
