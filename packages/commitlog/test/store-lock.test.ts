import { spawnSync } from "node:child_process";
import { readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { FileIO } from "@store/mapped-file";
import { nodeFileIO } from "@store/mapped-file";
import { SimulatedDisk } from "@store/mapped-file/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MessageStore } from "../src/message-store.js";
import { StoreLock, TAKEOVER_SUFFIX, claimLockFile } from "../src/store-lock.js";
import { silentLogger, tempDir } from "./helpers.js";
import {
  SIM_ROOT,
  message,
  openOnDisk,
  putOk,
  readBodies,
  waitDispatched,
} from "./store-test-kit.js";

/** The pid a lock file names (its first line). */
async function lockOwner(path: string): Promise<number> {
  return Number((await readFile(path, "utf8")).split("\n")[0]);
}

/** The start time /proc gives for `pid` (clock ticks since boot), as the lock file records it. */
async function startTicks(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, "latin1");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] as string;
}

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

  const open = () =>
    MessageStore.open(
      {
        storePathRootDir: dir,
        mappedFileSizeCommitLog: 64 * 1024,
        mappedFileSizeConsumeQueue: 100 * 20,
      },
      { logger: silentLogger },
    );

  // RocketMQ DefaultMessageStoreTest.test_repeat_restart
  it("refuses a second open of the same directory with STORE_LOCKED; the first store keeps working", async () => {
    const first = await open();
    try {
      await expect(open()).rejects.toMatchObject({ name: "StoreError", code: "STORE_LOCKED" });
      await expect(open()).rejects.toThrow(/one process per store directory/);
      await putOk(first, message("T", 0));
      await waitDispatched(first, "T", 1);
      expect(await lockOwner(join(dir, "lock"))).toBe(process.pid);
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
      expect(await lockOwner(join(dir, "lock"))).toBe(process.pid);
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
    await expect(open()).rejects.toMatchObject({
      code: "STORE_LOCKED",
      message: expect.stringContaining(String(process.ppid)) as unknown,
    });
    expect(await readFile(join(dir, "lock"), "utf8")).toBe(`${process.ppid}\n`);
  });

  it("acquire / release: release is idempotent and frees the path for the next owner", async () => {
    const path = join(dir, "lock");
    const lock = await StoreLock.acquire(path, nodeFileIO);
    await expect(StoreLock.acquire(path, nodeFileIO)).rejects.toMatchObject({
      code: "STORE_LOCKED",
    });
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
      await expect(StoreLock.acquire(path, nodeFileIO)).rejects.toMatchObject({
        code: "STORE_LOCKED",
      });
      const old = new Date(Date.now() - 60_000);
      await utimes(path, old, old);
      const lock = await StoreLock.acquire(path, nodeFileIO);
      expect(await lockOwner(path)).toBe(process.pid);
      await lock.release();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe("StoreLock takeovers", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir("lock-takeover-")));
  afterEach(async () => cleanup());

  /** A FileIO of its own (a separate "process" for the held set) whose first unlink waits for `until`. */
  function unlinkWaitsFor(until: () => Promise<unknown>): FileIO {
    let first = true;
    return {
      ...nodeFileIO,
      unlink: async (path: string) => {
        if (first) {
          first = false;
          await until().catch(() => undefined);
        }
        return nodeFileIO.unlink(path);
      },
    };
  }

  // Two starters read the same dead owner; the slower one's unlink comes after the faster one has
  // created its lock. Without the takeover guard it removed that lock and both held the store.
  for (const slow of ["the StoreLock", "the other process"] as const) {
    it(`gives a stale lock to exactly one of two racing starters (${slow} slower)`, async () => {
      const path = join(dir, "lock");
      await writeFile(path, `${deadPid()}\n`);
      const other = process.ppid; // a live pid that is not ours stands for the second process
      let storeLock: Promise<StoreLock>;
      let otherClaim: Promise<void>;
      if (slow === "the StoreLock") {
        otherClaim = claimLockFile(path, { ...nodeFileIO }, other);
        storeLock = StoreLock.acquire(
          path,
          unlinkWaitsFor(() => otherClaim),
        );
      } else {
        storeLock = StoreLock.acquire(path, { ...nodeFileIO });
        otherClaim = claimLockFile(
          path,
          unlinkWaitsFor(() => storeLock),
          other,
        );
      }
      const [mine, theirs] = await Promise.allSettled([storeLock, otherClaim]);
      const winners = [mine, theirs].filter((outcome) => outcome.status === "fulfilled");
      expect(winners).toHaveLength(1);
      const loser = [mine, theirs].find((outcome) => outcome.status === "rejected");
      expect(loser).toMatchObject({ reason: { code: "STORE_LOCKED" } });
      expect(await lockOwner(path)).toBe(mine.status === "fulfilled" ? process.pid : other);
      expect(await readdir(dir)).toEqual(["lock"]); // no takeover file left behind
      if (mine.status === "fulfilled") await mine.value.release();
    });
  }

  it("takes over a lock whose pid is alive again but names a process that started at another time (a reused pid)", async () => {
    const path = join(dir, "lock");
    const start = await startTicks(process.ppid);
    await writeFile(path, `${process.ppid}\nstart=${Number(start) + 1}\n`);
    const lock = await StoreLock.acquire(path, nodeFileIO);
    expect(await lockOwner(path)).toBe(process.pid);
    expect(await readFile(path, "utf8")).toBe(
      `${process.pid}\nstart=${await startTicks(process.pid)}\n`,
    );
    await lock.release();
    await writeFile(path, `${process.ppid}\nstart=${start}\n`); // the same process: still held
    await expect(StoreLock.acquire(path, nodeFileIO)).rejects.toMatchObject({
      code: "STORE_LOCKED",
      message: expect.stringContaining(String(process.ppid)) as unknown,
    });
  });

  it("removes a takeover file left by a starter that died mid-takeover; refuses while a live one holds it", async () => {
    const path = join(dir, "lock");
    await writeFile(path, `${deadPid()}\n`);
    await writeFile(path + TAKEOVER_SUFFIX, `${process.ppid}\n`);
    await expect(StoreLock.acquire(path, nodeFileIO)).rejects.toMatchObject({
      code: "STORE_LOCKED",
    });
    expect(await lockOwner(path + TAKEOVER_SUFFIX)).toBe(process.ppid);
    await writeFile(path + TAKEOVER_SUFFIX, `${deadPid()}\n`);
    const lock = await StoreLock.acquire(path, nodeFileIO);
    expect(await lockOwner(path)).toBe(process.pid);
    expect(await readdir(dir)).toEqual(["lock"]);
    await lock.release();
  });

  it("treats an empty takeover file (its starter found the disk full) as held for a while, then as stale", async () => {
    const { utimes } = await import("node:fs/promises");
    const path = join(dir, "lock");
    await writeFile(path, `${deadPid()}\n`);
    await writeFile(path + TAKEOVER_SUFFIX, "");
    await expect(StoreLock.acquire(path, nodeFileIO)).rejects.toMatchObject({
      code: "STORE_LOCKED",
    });
    const old = new Date(Date.now() - 60_000);
    await utimes(path + TAKEOVER_SUFFIX, old, old);
    const lock = await StoreLock.acquire(path, nodeFileIO);
    expect(await readdir(dir)).toEqual(["lock"]);
    await lock.release();
  });

  it("on a full disk, takes over a stale lock without room for a takeover file's contents", async () => {
    const disk = new SimulatedDisk();
    const path = `${SIM_ROOT}/lock`;
    await disk.mkdir(SIM_ROOT);
    const fd = await disk.open(path, "exclusive");
    const stale = Buffer.from(`${process.pid}\nstart=${await startTicks(process.pid)}\n`); // our earlier incarnation
    await disk.pwrite(fd, stale, 0, stale.length, 0);
    await disk.close(fd);
    disk.setCapacity(disk.usedBytes); // not one byte more
    const lock = await StoreLock.acquire(path, disk);
    expect(disk.readFile(path).equals(stale)).toBe(true);
    expect(disk.exists(path + TAKEOVER_SUFFIX)).toBe(false);
    await lock.release();
  });
});
