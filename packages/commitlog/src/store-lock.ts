import type { FileIO } from "@store/mapped-file";
import { StoreError, ioError } from "@store/mapped-file";
import type { CommitLogErrorCode } from "./store-errors.js";

/** Lock files held by this process, per FileIO (a simulated disk is its own world). */
const held = new WeakMap<FileIO, Set<string>>();
/** Takeovers of stale lock files before giving up. */
const TAKEOVER_ATTEMPTS = 3;
/** An empty lock file younger than this is another process mid-create, ms. */
const FRESH_LOCK_MS = 2000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === "EPERM";
  }
}

/**
 * One process per store directory. The lock file is created exclusively and holds the owner's pid; a
 * file left by a process that is gone (kill -9, power loss) is taken over. A second open in this
 * process, or in another live process, fails with STORE_LOCKED. (A pid reused by an unrelated live
 * process makes a stale lock look held: remove the file by hand.)
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
   * wins). A lock file left by a process that is gone is removed and the create retried.
   * @throws StoreError STORE_LOCKED when another live owner holds the store; IO_ERROR.
   */
  static async acquire(path: string, io: FileIO): Promise<StoreLock> {
    const mine = held.get(io) ?? new Set<string>();
    held.set(io, mine);
    if (mine.has(path)) throw lockedError(path, process.pid);
    mine.add(path);
    try {
      for (let attempt = 0; attempt < TAKEOVER_ATTEMPTS; attempt++) {
        if (await createOwned(path, io)) return new StoreLock(path, io);
        const owner = await readOwner(path, io);
        if (owner.pid !== null && owner.pid !== process.pid && isAlive(owner.pid)) throw lockedError(path, owner.pid);
        // Empty and just created: another process is between its create and its write.
        if (owner.empty && Date.now() - owner.mtimeMs < FRESH_LOCK_MS) throw lockedError(path, 0);
        await io.unlink(path).catch(() => undefined); // stale: its owner is gone
      }
      throw lockedError(path, 0);
    } catch (error) {
      mine.delete(path);
      throw error instanceof StoreError ? error : ioError("lock", path, error);
    }
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

function lockedError(path: string, pid: number): StoreError<CommitLogErrorCode> {
  return new StoreError<CommitLogErrorCode>("STORE_LOCKED", `store is in use by process ${pid} (lock file ${path}); one process per store directory`);
}

async function readOwner(path: string, io: FileIO): Promise<{ pid: number | null; mtimeMs: number; empty: boolean }> {
  const stat = await io.stat(path);
  if (stat === null) return { pid: null, mtimeMs: 0, empty: false };
  const fd = await io.open(path, false);
  try {
    const buffer = Buffer.alloc(Math.min(stat.size, 64));
    const read = await io.pread(fd, buffer, 0, buffer.length, 0);
    const pid = Number.parseInt(buffer.subarray(0, read).toString("utf8").trim(), 10);
    return { pid: Number.isSafeInteger(pid) && pid > 0 ? pid : null, mtimeMs: stat.mtimeMs, empty: stat.size === 0 };
  } finally {
    await io.close(fd);
  }
}

/** Creates the lock file holding our pid; false when it already exists. */
async function createOwned(path: string, io: FileIO): Promise<boolean> {
  let fd: number;
  try {
    fd = await io.open(path, "exclusive");
  } catch (error) {
    if ((error as { code?: unknown }).code === "EEXIST") return false;
    throw error;
  }
  try {
    const text = Buffer.from(`${process.pid}\n`);
    await io.pwrite(fd, text, 0, text.length, 0);
    await io.fdatasync(fd);
  } finally {
    await io.close(fd);
  }
  return true;
}
