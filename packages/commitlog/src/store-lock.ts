import { readFile } from "node:fs/promises";
import type { Clock, FileIO } from "@store/mapped-file";
import { StoreError, ioError, systemClock } from "@store/mapped-file";
import type { CommitLogErrorCode } from "./store-errors.js";

/** Lock files held by this process, per FileIO (a simulated disk is its own world). */
const held = new WeakMap<FileIO, Set<string>>();
/** Takeovers of stale lock files before giving up. */
const TAKEOVER_ATTEMPTS = 3;
/** An empty lock file younger than this is another process mid-create, ms. */
const FRESH_LOCK_MS = 2000;
/**
 * An empty takeover file younger than this is another starter mid-takeover, ms. It is empty only
 * when the disk had no room for the owner's pid; a takeover takes milliseconds.
 */
const FRESH_TAKEOVER_MS = 10_000;
/** Suffix of the file a process holds while it replaces a stale lock (see claimLockFile). */
export const TAKEOVER_SUFFIX = ".takeover";

/** Who a lock file names: a pid, and the process's start time when the writer could tell it. */
interface LockOwner {
  readonly pid: number;
  /** Start time of `pid` in clock ticks since boot (Linux `/proc/<pid>/stat` field 22), or null. */
  readonly startTicks: string | null;
}

/**
 * The start time of `pid` (clock ticks since boot), or null where `/proc` cannot tell (not Linux,
 * no such process). A pid names one process only together with its start time: pids are reused.
 */
async function processStartTicks(pid: number): Promise<string | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "latin1");
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = fields[19]; // field 22 of the whole line; fields[0] is field 3
    return ticks !== undefined && /^\d+$/.test(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

/** Whether the owner is a live process: its pid exists and, where both are known, started when it did. */
async function isAlive(owner: LockOwner): Promise<boolean> {
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as { code?: unknown }).code !== "EPERM") return false;
  }
  if (owner.startTicks === null) return true;
  const now = await processStartTicks(owner.pid);
  return now === null || now === owner.startTicks;
}

/**
 * One process per store directory. The lock file is created exclusively and names its owner (pid and
 * process start time); a file left by a process that is gone (kill -9, power loss) is taken over. A
 * second open in this process, or in another live process, fails with STORE_LOCKED. A reused pid
 * does not make a stale lock look held where `/proc` gives start times (Linux).
 */
export class StoreLock {
  readonly path: string;
  readonly #io: FileIO;
  #released = false;

  private constructor(path: string, io: FileIO) {
    this.path = path;
    this.#io = io;
  }

  /**
   * Creates the lock file exclusively (an atomic create: of two processes starting at once, one
   * wins). A lock file left by a process that is gone is replaced, one process at a time.
   * @param clock - what "an empty lock file is fresh" is measured on (the disk's mtimes): real time by default.
   * @throws StoreError STORE_LOCKED when another live owner holds the store; IO_ERROR.
   */
  static async acquire(path: string, io: FileIO, clock: Clock = systemClock): Promise<StoreLock> {
    const mine = held.get(io) ?? new Set<string>();
    held.set(io, mine);
    if (mine.has(path)) throw lockedError(path, process.pid);
    mine.add(path);
    try {
      await claimLockFile(path, io, process.pid, clock);
    } catch (error) {
      mine.delete(path);
      throw error;
    }
    return new StoreLock(path, io);
  }

  /** Removes the lock file. Idempotent. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    held.get(this.#io)?.delete(this.path);
    await this.#io.unlink(this.path).catch(() => undefined);
  }

  /** Forgets the lock in this process without touching the file, as a crash would leave it. */
  abandon(): void {
    this.#released = true;
    held.get(this.#io)?.delete(this.path);
  }
}

/**
 * Makes `path` a lock file naming process `pid` (StoreLock.acquire's work; tests stand in for a
 * second process with another pid).
 *
 * Replacing a stale lock is the racy part: two starters may both read the same dead owner, and the
 * slower one's unlink would then remove the lock the faster one has just created, leaving two
 * owners. So a takeover runs only while holding `<path>.takeover` (created exclusively), re-reads
 * the lock under it, removes the lock only if it is still the file first read, and creates its own
 * before letting go. A takeover file whose owner is gone (it crashed mid-takeover) is removed; only
 * two starters racing right after such a crash can still both remove it.
 * @throws StoreError STORE_LOCKED when another live owner holds it; IO_ERROR.
 */
export async function claimLockFile(
  path: string,
  io: FileIO,
  pid: number,
  clock: Clock = systemClock,
): Promise<void> {
  try {
    const self: LockOwner = { pid, startTicks: await processStartTicks(pid) };
    for (let attempt = 0; attempt < TAKEOVER_ATTEMPTS; attempt++) {
      if (await createOwned(path, io, self)) return;
      const seen = await readOwner(path, io);
      if (seen === null) continue; // released meanwhile: create again
      await refuseIfHeld(path, seen, pid, FRESH_LOCK_MS, clock);
      // Stale: replace it under the takeover guard. Holding the guard is having created it, so a
      // full disk that leaves it empty does not stop a store from reopening to serve reads.
      const guard = path + TAKEOVER_SUFFIX;
      if (!(await createOwned(guard, io, self, true))) {
        const guardOwner = await readOwner(guard, io);
        if (guardOwner === null) continue; // its owner just let go: look again
        await refuseIfHeld(path, guardOwner, pid, FRESH_TAKEOVER_MS, clock); // another starter is replacing it
        await io.unlink(guard).catch(() => undefined); // left by a starter that died mid-takeover
        continue;
      }
      try {
        const now = await readOwner(path, io);
        if (now !== null && !sameFile(now, seen)) continue; // replaced meanwhile: look again
        if (now !== null) await io.unlink(path);
        if (await createOwned(path, io, self)) return;
      } finally {
        await io.unlink(guard).catch(() => undefined);
      }
    }
    throw lockedError(path, 0);
  } catch (error) {
    throw error instanceof StoreError ? error : ioError("lock", path, error);
  }
}

interface SeenOwner {
  /** Null when the file names no pid (empty, or not ours). */
  readonly owner: LockOwner | null;
  readonly mtimeMs: number;
  readonly size: number;
  readonly text: string;
}

/** Same file content and mtime as when first read: nobody replaced it in between. */
function sameFile(a: SeenOwner, b: SeenOwner): boolean {
  return a.text === b.text && a.mtimeMs === b.mtimeMs && a.size === b.size;
}

/**
 * Throws STORE_LOCKED when `seen` names a live process other than `pid` (our own pid in the file is
 * a previous incarnation: a container restarts its process with the same pid), or is an empty file
 * another process has only just created (younger than `freshMs`).
 */
async function refuseIfHeld(
  path: string,
  seen: SeenOwner,
  pid: number,
  freshMs: number,
  clock: Clock,
): Promise<void> {
  const owner = seen.owner;
  if (owner !== null && owner.pid !== pid && (await isAlive(owner)))
    throw lockedError(path, owner.pid);
  if (seen.size === 0 && clock.now() - seen.mtimeMs < freshMs) throw lockedError(path, 0);
}

function lockedError(path: string, pid: number): StoreError<CommitLogErrorCode> {
  return new StoreError<CommitLogErrorCode>(
    "STORE_LOCKED",
    `store is in use by process ${pid} (lock file ${path}); one process per store directory`,
  );
}

/** What a lock (or takeover) file says, or null when it does not exist. */
async function readOwner(path: string, io: FileIO): Promise<SeenOwner | null> {
  const stat = await io.stat(path);
  if (stat === null) return null;
  let fd: number;
  try {
    fd = await io.open(path, false);
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return null; // removed between stat and open
    throw error;
  }
  try {
    const buffer = Buffer.alloc(Math.min(stat.size, 128));
    const read = await io.pread(fd, buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, read).toString("utf8");
    const [pidLine = "", startLine = ""] = text.split("\n");
    const pid = Number.parseInt(pidLine.trim(), 10);
    const start = /^start=(\d+)$/.exec(startLine.trim());
    const owner =
      Number.isSafeInteger(pid) && pid > 0 ? { pid, startTicks: start?.[1] ?? null } : null;
    return { owner, mtimeMs: stat.mtimeMs, size: stat.size, text };
  } finally {
    await io.close(fd);
  }
}

/**
 * Creates `path` exclusively and writes `owner` into it (pid, then `start=<ticks>` when known); false
 * when it already exists. When the write fails, the file is removed and the error thrown, unless
 * `keepIfUnwritten`: then the empty file stays and counts as created.
 */
async function createOwned(
  path: string,
  io: FileIO,
  owner: LockOwner,
  keepIfUnwritten = false,
): Promise<boolean> {
  let fd: number;
  try {
    fd = await io.open(path, "exclusive");
  } catch (error) {
    if ((error as { code?: unknown }).code === "EEXIST") return false;
    throw error;
  }
  try {
    const text = Buffer.from(
      owner.startTicks === null ? `${owner.pid}\n` : `${owner.pid}\nstart=${owner.startTicks}\n`,
    );
    await io.pwrite(fd, text, 0, text.length, 0);
    await io.fdatasync(fd);
  } catch (error) {
    if (keepIfUnwritten) return true;
    await io.unlink(path).catch(() => undefined);
    throw error;
  } finally {
    await io.close(fd);
  }
  return true;
}
