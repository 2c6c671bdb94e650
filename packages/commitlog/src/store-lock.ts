import type { FileIO } from "@store/mapped-file";
import { StoreError, ioError } from "@store/mapped-file";
import type { CommitLogErrorCode } from "./store-errors.js";

/** Lock files held by this process, per FileIO (a simulated disk is its own world). */
const held = new WeakMap<FileIO, Set<string>>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === "EPERM";
  }
}

/**
 * One process per store directory. The lock file holds the owner's pid; a file left by a process that
 * is gone (kill -9, power loss) is taken over. A second open in this process, or in another live
 * process, fails with STORE_LOCKED.
 */
export class StoreLock {
  readonly path: string;
  readonly #io: FileIO;
  #released = false;

  private constructor(path: string, io: FileIO) {
    this.path = path;
    this.#io = io;
  }

  /** @throws StoreError STORE_LOCKED when another live owner holds the store; IO_ERROR. */
  static async acquire(path: string, io: FileIO): Promise<StoreLock> {
    const mine = held.get(io) ?? new Set<string>();
    held.set(io, mine);
    if (mine.has(path)) throw lockedError(path, process.pid);
    mine.add(path);
    try {
      const owner = await readOwner(path, io);
      if (owner !== null && owner !== process.pid && isAlive(owner)) throw lockedError(path, owner);
      await writeOwner(path, io);
      return new StoreLock(path, io);
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

async function readOwner(path: string, io: FileIO): Promise<number | null> {
  const stat = await io.stat(path);
  if (stat === null) return null;
  const fd = await io.open(path, false);
  try {
    const buffer = Buffer.alloc(Math.min(stat.size, 64));
    const read = await io.pread(fd, buffer, 0, buffer.length, 0);
    const pid = Number.parseInt(buffer.subarray(0, read).toString("utf8").trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } finally {
    await io.close(fd);
  }
}

async function writeOwner(path: string, io: FileIO): Promise<void> {
  const fd = await io.open(path, true);
  try {
    const text = Buffer.from(`${process.pid}\n`);
    await io.truncate(fd, 0);
    await io.pwrite(fd, text, 0, text.length, 0);
    await io.fdatasync(fd);
  } finally {
    await io.close(fd);
  }
}
