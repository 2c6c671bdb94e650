import type { FileIO, FileStat } from "../file-io.js";

/** The FileIO calls a {@link DiskProcess} forwards. */
export type DiskCall = keyof FileIO;

export interface DiskProcessOptions {
  /**
   * Called before every call the process makes, with the call's name and path (or descriptor). A
   * crash test kills the process here (after cutting power) to crash it in the middle of any step,
   * recovery included: the call then fails like every later one.
   */
  readonly beforeCall?: (call: DiskCall, target: string | number) => void;
}

function killedError(call: string): Error {
  return Object.assign(new Error(`EIO: simulated ${call} by a killed process`), {
    code: "EIO",
    syscall: call,
  });
}

/**
 * One process's view of a SimulatedDisk (from `disk.process()`): forwards every FileIO call until
 * `kill()`, then fails every call (EIO) without touching the disk. A crash test gives each store
 * incarnation its own view and kills it at the crash, so the dead store's pending work (a file being
 * created, a lock being released) cannot change the disk the next incarnation recovers from.
 */
export class DiskProcess implements FileIO {
  readonly #disk: FileIO;
  readonly #beforeCall: DiskProcessOptions["beforeCall"];
  #killed = false;
  /** Calls forwarded to the disk. */
  calls = 0;

  constructor(disk: FileIO, options: DiskProcessOptions = {}) {
    this.#disk = disk;
    this.#beforeCall = options.beforeCall;
  }

  /** Ends the process: every later call fails. */
  kill(): void {
    this.#killed = true;
  }

  get isKilled(): boolean {
    return this.#killed;
  }

  #enter(call: DiskCall, target: string | number): void {
    if (!this.#killed) this.#beforeCall?.(call, target);
    if (this.#killed) throw killedError(call);
    this.calls++;
  }

  async open(path: string, create: boolean | "exclusive"): Promise<number> {
    this.#enter("open", path);
    return this.#disk.open(path, create);
  }

  async stat(path: string): Promise<FileStat | null> {
    this.#enter("stat", path);
    return this.#disk.stat(path);
  }

  async pwrite(
    fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ): Promise<void> {
    this.#enter("pwrite", fd);
    return this.#disk.pwrite(fd, buffer, offset, length, position);
  }

  pwriteSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): void {
    this.#enter("pwriteSync", fd);
    this.#disk.pwriteSync(fd, buffer, offset, length, position);
  }

  async pread(
    fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ): Promise<number> {
    this.#enter("pread", fd);
    return this.#disk.pread(fd, buffer, offset, length, position);
  }

  async fdatasync(fd: number): Promise<void> {
    this.#enter("fdatasync", fd);
    await this.#disk.fdatasync(fd);
    // A process killed while its fdatasync ran never learns that it completed.
    if (this.#killed) throw killedError("fdatasync");
  }

  async truncate(fd: number, size: number): Promise<void> {
    this.#enter("truncate", fd);
    return this.#disk.truncate(fd, size);
  }

  async close(fd: number): Promise<void> {
    this.#enter("close", fd);
    return this.#disk.close(fd);
  }

  async unlink(path: string): Promise<void> {
    this.#enter("unlink", path);
    return this.#disk.unlink(path);
  }

  async rename(from: string, to: string): Promise<void> {
    this.#enter("rename", from);
    return this.#disk.rename(from, to);
  }

  async mkdir(path: string): Promise<string | undefined> {
    this.#enter("mkdir", path);
    return this.#disk.mkdir(path);
  }

  async readdir(path: string): Promise<string[]> {
    this.#enter("readdir", path);
    return this.#disk.readdir(path);
  }

  async rmdir(path: string): Promise<void> {
    this.#enter("rmdir", path);
    return this.#disk.rmdir(path);
  }

  async syncDirectory(path: string): Promise<void> {
    this.#enter("syncDirectory", path);
    return this.#disk.syncDirectory(path);
  }
}
