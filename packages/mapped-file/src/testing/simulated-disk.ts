import { dirname } from "node:path";
import type { Clock } from "../clock.js";
import { systemClock } from "../clock.js";
import type { FileIO, FileStat } from "../file-io.js";
import { DiskProcess } from "./disk-process.js";
import type { DiskProcessOptions } from "./disk-process.js";

/** Calls a fault can be injected into. */
export type FaultOperation = "open" | "write" | "read" | "fsync" | "truncate" | "unlink" | "rename";
/** The errno a fault raises. */
export type FaultCode = "ENOSPC" | "EIO";

export interface FaultOptions {
  /** Calls of this kind that succeed before the fault fires. Default 0 (the next call fails). */
  readonly after?: number;
  /** How many calls fail once it fires. Default 1; `Infinity` until `heal()`. */
  readonly times?: number;
  /** Only calls on paths containing this string. */
  readonly pathIncludes?: string;
}

export interface PowerCutOptions {
  /** Unsynced writes, oldest first, that reached the platter before power went. Default 0. */
  readonly keepUnsyncedWrites?: number;
  /** Whether the next unsynced write after those was torn: its leading whole 512-byte sectors survive. */
  readonly tearNextWrite?: boolean;
  /**
   * Instead of a prefix: exactly the unsynced writes this returns true for reached the platter. The
   * kernel writes dirty pages back in any order, so a later write can survive an earlier one.
   */
  readonly keepOnly?: (write: UnsyncedWrite) => boolean;
}

/** An unsynced write, as `PowerCutOptions.keepOnly` sees it. */
export interface UnsyncedWrite {
  /** Oldest first, from 0. */
  readonly index: number;
  readonly path: string;
  readonly position: number;
  readonly length: number;
}

export interface SimulatedDiskOptions {
  /** Total bytes all files may occupy; growing past it fails with ENOSPC. Default unlimited. */
  readonly capacityBytes?: number;
  /**
   * When a directory entry (a file's create, rename or unlink; a directory's mkdir or rmdir)
   * survives a power cut: "directory-sync" (the default), only once `syncDirectory` of the directory
   * holding it ran, which is all POSIX promises: a cut loses a file never synced into its directory
   * and a directory never synced into its parent (with everything under it), brings back an unlinked
   * file, and undoes a rename. "at-once": every entry change is durable as soon as it is made.
   */
  readonly directoryEntries?: "at-once" | "directory-sync";
  /** Simulated fdatasync latency, ms (a timer on `clock`). Default 0: completes in a microtask. */
  readonly fsyncLatencyMs?: number;
  /** Time for mtimes and the fdatasync latency timer. Default: real time. */
  readonly clock?: Clock;
}

/** Call counters, for tests that assert how much I/O a strategy issued. */
export interface DiskCounters {
  writes: number;
  bytesWritten: number;
  reads: number;
  fsyncs: number;
  /** Calls that failed with an injected fault (`failOn`): the signal that code reached the fault. */
  faults: number;
}

const SECTOR = 512;

interface SimFile {
  /** What reads see: durable bytes plus every completed write (the page cache). */
  current: Buffer;
  size: number;
  /** What survives a power cut. */
  durable: Buffer;
  durableSize: number;
  mtimeMs: number;
}

interface PendingWrite {
  file: SimFile;
  path: string;
  position: number;
  bytes: Buffer;
}

interface Fault {
  op: FaultOperation;
  code: FaultCode;
  skip: number;
  remaining: number;
  pathIncludes: string | undefined;
}

function errnoError(code: string, syscall: string, path: string): Error {
  return Object.assign(new Error(`${code}: simulated ${syscall} failure, ${path}`), {
    code,
    syscall,
    path,
  });
}

function ensureCapacity(buffer: Buffer, size: number): Buffer {
  if (size <= buffer.length) return buffer;
  const grown = Buffer.alloc(Math.max(size, buffer.length * 2, 4096));
  buffer.copy(grown);
  return grown;
}

/**
 * An in-memory disk implementing FileIO, for crash tests that run the production code. It keeps the
 * bytes written since each file's last fdatasync apart from the synced ones: `powerCut()` loses them
 * (keeping a chosen prefix, optionally tearing the next write at a sector boundary), `processCrash()`
 * only closes descriptors (the page cache survives a kill -9). Faults: ENOSPC or EIO on the Nth call,
 * a capacity limit, stalled fsyncs, and corrupted bytes.
 *
 * Directory entries (create, rename, unlink, mkdir, rmdir) survive a cut only once the directory
 * holding them is synced (`directoryEntries: "at-once"` makes them durable at once). Sizes set by
 * truncate are durable at once. `process()` gives a view of the disk for one process, which
 * `kill()` ends: a dead process's late calls then touch nothing.
 */
export class SimulatedDisk implements FileIO {
  readonly counters: DiskCounters = { writes: 0, bytesWritten: 0, reads: 0, fsyncs: 0, faults: 0 };
  readonly #files = new Map<string, SimFile>();
  /** The directory entries a power cut keeps ("directory-sync" mode); null: `#files` itself. */
  readonly #durableEntries: Map<string, SimFile> | null;
  readonly #directories = new Set<string>(["/"]);
  /** The directories a power cut keeps ("directory-sync" mode); null: `#directories` itself. */
  readonly #durableDirectories: Set<string> | null;
  readonly #descriptors = new Map<number, string>();
  #pending: PendingWrite[] = [];
  #faults: Fault[] = [];
  #nextFd = 100;
  #capacityBytes: number;
  readonly #fsyncLatencyMs: number;
  readonly #clock: Clock;
  #stall: Promise<void> | null = null;
  readonly #stallReleases = new Set<() => void>();
  /** fdatasyncs held by a stall right now, and who waits to hear of the next one. */
  #heldFsyncs = 0;
  #stalledWaiters: (() => void)[] = [];

  constructor(options: SimulatedDiskOptions = {}) {
    this.#capacityBytes = options.capacityBytes ?? Number.POSITIVE_INFINITY;
    this.#fsyncLatencyMs = options.fsyncLatencyMs ?? 0;
    this.#clock = options.clock ?? systemClock;
    this.#durableEntries = options.directoryEntries === "at-once" ? null : new Map();
    this.#durableDirectories = options.directoryEntries === "at-once" ? null : new Set(["/"]);
  }

  /**
   * A view of this disk for one process (a store and everything it runs). After its `kill()`, every
   * call through it fails without touching the disk, as a dead process makes no more calls.
   */
  process(options: DiskProcessOptions = {}): DiskProcess {
    return new DiskProcess(this, options);
  }

  // ---- fault control ------------------------------------------------------------------------

  /** Makes a future call of `op` fail with `code` (see FaultOptions). */
  failOn(op: FaultOperation, code: FaultCode, options: FaultOptions = {}): void {
    this.#faults.push({
      op,
      code,
      skip: options.after ?? 0,
      remaining: options.times ?? 1,
      pathIncludes: options.pathIncludes,
    });
  }

  /** Removes every pending fault and the capacity limit. */
  heal(): void {
    this.#faults = [];
    this.#capacityBytes = Number.POSITIVE_INFINITY;
  }

  /** Limits the bytes all files may occupy together. */
  setCapacity(bytes: number): void {
    this.#capacityBytes = bytes;
  }

  /** Bytes all files occupy. */
  get usedBytes(): number {
    let used = 0;
    for (const file of this.#files.values()) used += file.size;
    return used;
  }

  /** Holds every fdatasync (current and future) until the returned function is called. */
  stallFsyncs(): () => void {
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.#stall = gate;
    this.#stallReleases.add(release);
    return () => {
      if (this.#stall === gate) this.#stall = null;
      this.#stallReleases.delete(release);
      release();
    };
  }

  /**
   * Resolves once an fdatasync is held by `stallFsyncs` (at once if one is held now): the signal that
   * a flush has reached its fdatasync and taken the position it will publish.
   */
  whenFsyncStalled(): Promise<void> {
    if (this.#heldFsyncs > 0) return Promise.resolve();
    return new Promise((resolve) => this.#stalledWaiters.push(resolve));
  }

  /** Flips every bit of `length` bytes at `position`, in the page cache and on the platter. */
  corrupt(path: string, position: number, length = 1): void {
    const file = this.#file(path, "corrupt");
    for (let i = position; i < position + length; i++) {
      if (i < file.size) file.current[i] = (file.current[i] ?? 0) ^ 0xff;
      if (i < file.durableSize) file.durable[i] = (file.durable[i] ?? 0) ^ 0xff;
    }
  }

  /** Overwrites bytes durably (as if written and synced), e.g. to zero a tail. */
  overwrite(path: string, position: number, bytes: Buffer): void {
    const file = this.#file(path, "overwrite");
    this.#applyTo(file, position, bytes, "current");
    this.#applyTo(file, position, bytes, "durable");
  }

  // ---- crashes ------------------------------------------------------------------------------

  /**
   * Power loss: every write not covered by an fdatasync is lost, except the oldest
   * `keepUnsyncedWrites` (and, with `tearNextWrite`, the leading whole sectors of the next one).
   * All descriptors become invalid. Returns how many unsynced writes were dropped.
   */
  powerCut(options: PowerCutOptions = {}): { dropped: number } {
    const unsynced = this.#pending.length;
    const keepOnly = options.keepOnly;
    if (keepOnly !== undefined) {
      this.#pending = this.#pending.filter((write, index) =>
        keepOnly({ index, path: write.path, position: write.position, length: write.bytes.length }),
      );
    }
    const keep =
      options.keepOnly !== undefined
        ? this.#pending.length
        : Math.min(options.keepUnsyncedWrites ?? 0, this.#pending.length);
    for (const write of this.#pending.slice(0, keep))
      this.#applyTo(write.file, write.position, write.bytes, "durable");
    const torn = options.keepOnly !== undefined ? undefined : this.#pending[keep];
    if (options.tearNextWrite && torn) {
      const end = Math.floor((torn.position + torn.bytes.length) / SECTOR) * SECTOR;
      if (end > torn.position)
        this.#applyTo(
          torn.file,
          torn.position,
          torn.bytes.subarray(0, end - torn.position),
          "durable",
        );
    }
    const dropped = unsynced - keep;
    this.#pending = [];
    this.#restoreDurableEntries();
    for (const file of this.#files.values()) {
      file.current = Buffer.from(file.durable.subarray(0, file.durableSize));
      file.size = file.durableSize;
    }
    this.#descriptors.clear();
    // Let held fdatasyncs finish: they now fail on their invalid descriptors instead of hanging.
    this.#stall = null;
    for (const release of this.#stallReleases) release();
    this.#stallReleases.clear();
    return { dropped };
  }

  /** What a cut leaves of the directory tree: the durable entries under directories that survive. */
  #restoreDurableEntries(): void {
    const durableDirectories = this.#durableDirectories;
    const durableEntries = this.#durableEntries;
    if (durableDirectories === null || durableEntries === null) return;
    const survives = (dir: string): boolean =>
      dir === "/" || (durableDirectories.has(dir) && survives(dirname(dir)));
    this.#directories.clear();
    for (const dir of durableDirectories) if (survives(dir)) this.#directories.add(dir);
    this.#files.clear();
    for (const [path, file] of durableEntries)
      if (this.#directories.has(dirname(path))) this.#files.set(path, file);
  }

  /** Directories as reads see them, sorted (a cut may lose some in "directory-sync" mode). */
  listDirectories(): string[] {
    return [...this.#directories].sort();
  }

  /** A kill -9: descriptors close, but written bytes stay in the (simulated) page cache. */
  processCrash(): void {
    this.#descriptors.clear();
  }

  /** Descriptors currently open (a leak check for tests). */
  get openDescriptors(): number {
    return this.#descriptors.size;
  }

  /** Unsynced writes waiting for an fdatasync. */
  get unsyncedWrites(): number {
    return this.#pending.length;
  }

  // ---- inspection ---------------------------------------------------------------------------

  /** A copy of a file's bytes as reads see them, or as a power cut would leave them (`durable`). */
  readFile(path: string, view: "current" | "durable" = "current"): Buffer {
    const file = this.#file(path, "readFile");
    return view === "current"
      ? Buffer.from(file.current.subarray(0, file.size))
      : Buffer.from(file.durable.subarray(0, file.durableSize));
  }

  /** Every file path, sorted. */
  listFiles(): string[] {
    return [...this.#files.keys()].sort();
  }

  exists(path: string): boolean {
    return this.#files.has(path);
  }

  /** Sets a file's mtime, as `touch -d` would. */
  setMtime(path: string, mtimeMs: number): void {
    this.#file(path, "setMtime").mtimeMs = mtimeMs;
  }

  // ---- FileIO -------------------------------------------------------------------------------

  async open(path: string, create: boolean | "exclusive"): Promise<number> {
    await Promise.resolve();
    this.#maybeFail("open", path);
    if (create === "exclusive" && this.#files.has(path)) throw errnoError("EEXIST", "open", path);
    if (!this.#files.has(path)) {
      if (!create) throw errnoError("ENOENT", "open", path);
      if (!this.#directories.has(dirname(path))) throw errnoError("ENOENT", "open", path);
      this.#files.set(path, {
        current: Buffer.alloc(0),
        size: 0,
        durable: Buffer.alloc(0),
        durableSize: 0,
        mtimeMs: this.#clock.now(),
      });
    }
    const fd = this.#nextFd++;
    this.#descriptors.set(fd, path);
    return fd;
  }

  async stat(path: string): Promise<FileStat | null> {
    await Promise.resolve();
    const file = this.#files.get(path);
    return file ? { size: file.size, mtimeMs: file.mtimeMs } : null;
  }

  async pwrite(
    fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ): Promise<void> {
    await Promise.resolve();
    this.pwriteSync(fd, buffer, offset, length, position);
  }

  pwriteSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): void {
    const path = this.#path(fd, "write");
    this.#maybeFail("write", path);
    const file = this.#file(path, "write");
    const growth = Math.max(0, position + length - file.size);
    if (growth > 0 && this.usedBytes + growth > this.#capacityBytes)
      throw errnoError("ENOSPC", "write", path);
    const bytes = Buffer.from(buffer.subarray(offset, offset + length));
    this.#applyTo(file, position, bytes, "current");
    this.#pending.push({ file, path, position, bytes });
    file.mtimeMs = this.#clock.now();
    this.counters.writes++;
    this.counters.bytesWritten += length;
  }

  async pread(
    fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ): Promise<number> {
    await Promise.resolve();
    const path = this.#path(fd, "read");
    this.#maybeFail("read", path);
    const file = this.#file(path, "read");
    this.counters.reads++;
    const end = Math.min(position + length, file.size);
    if (end <= position) return 0;
    return file.current.copy(buffer, offset, position, end);
  }

  /** Waits while fdatasyncs are stalled, telling `whenFsyncStalled` waiters that one is held. */
  async #held(): Promise<void> {
    this.#heldFsyncs++;
    const waiters = this.#stalledWaiters;
    this.#stalledWaiters = [];
    for (const wake of waiters) wake();
    try {
      while (this.#stall) await this.#stall;
    } finally {
      this.#heldFsyncs--;
    }
  }

  /**
   * Makes durable the writes to this file that completed before the call. Writes made while it runs
   * stay unsynced (a real fdatasync may or may not cover them; the simulation takes the worse case).
   */
  async fdatasync(fd: number): Promise<void> {
    const path = this.#path(fd, "fsync");
    const file = this.#file(path, "fsync");
    const covered = new Set(this.#pending.filter((write) => write.file === file));
    if (this.#fsyncLatencyMs > 0)
      await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, this.#fsyncLatencyMs));
    else await Promise.resolve();
    if (this.#stall) await this.#held();
    this.#path(fd, "fsync"); // a power cut while stalled invalidates the descriptor
    try {
      this.#maybeFail("fsync", path);
    } catch (error) {
      // As Linux does after a failed fsync, the covered dirty pages are marked clean without
      // reaching the platter: reads still see them, a power cut loses them, a later fsync does not help.
      this.#pending = this.#pending.filter((write) => !covered.has(write));
      throw error;
    }
    const rest: PendingWrite[] = [];
    for (const write of this.#pending) {
      if (covered.has(write)) this.#applyTo(file, write.position, write.bytes, "durable");
      else rest.push(write);
    }
    this.#pending = rest;
    this.counters.fsyncs++;
  }

  async truncate(fd: number, size: number): Promise<void> {
    await Promise.resolve();
    const path = this.#path(fd, "truncate");
    this.#maybeFail("truncate", path);
    const file = this.#file(path, "truncate");
    if (size > file.size && this.usedBytes + size - file.size > this.#capacityBytes)
      throw errnoError("ENOSPC", "ftruncate", path);
    for (const view of ["current", "durable"] as const) this.#resize(file, size, view);
  }

  async close(fd: number): Promise<void> {
    await Promise.resolve();
    this.#path(fd, "close");
    this.#descriptors.delete(fd);
  }

  async unlink(path: string): Promise<void> {
    await Promise.resolve();
    this.#maybeFail("unlink", path);
    const file = this.#file(path, "unlink");
    this.#files.delete(path);
    this.#pending = this.#pending.filter((w) => w.file !== file);
  }

  async rename(from: string, to: string): Promise<void> {
    await Promise.resolve();
    this.#maybeFail("rename", from);
    const file = this.#file(from, "rename");
    this.#files.delete(from);
    this.#files.set(to, file);
  }

  /** Creates `path` and its missing parents; returns the first one created (undefined: none). */
  async mkdir(path: string): Promise<string | undefined> {
    await Promise.resolve();
    let first: string | undefined;
    for (let dir = path; !this.#directories.has(dir); dir = dirname(dir)) {
      this.#directories.add(dir);
      first = dir;
    }
    return first;
  }

  async readdir(path: string): Promise<string[]> {
    await Promise.resolve();
    const names = new Set<string>();
    const prefix = path.endsWith("/") ? path : path + "/";
    for (const entry of [...this.#files.keys(), ...this.#directories]) {
      if (entry.startsWith(prefix) && entry.length > prefix.length)
        names.add(entry.slice(prefix.length).split("/")[0] ?? "");
    }
    return [...names].sort();
  }

  async rmdir(path: string): Promise<void> {
    if ((await this.readdir(path)).length > 0) throw errnoError("ENOTEMPTY", "rmdir", path);
    this.#directories.delete(path);
  }

  /**
   * Makes the entries of `path` (its files' creates, renames and unlinks, its subdirectories' mkdirs
   * and rmdirs so far) survive a power cut.
   */
  async syncDirectory(path: string): Promise<void> {
    await Promise.resolve();
    if (!this.#directories.has(path)) throw errnoError("ENOENT", "open", path);
    const durable = this.#durableEntries;
    const durableDirectories = this.#durableDirectories;
    if (durable === null || durableDirectories === null) return;
    for (const entry of [...durable.keys()])
      if (dirname(entry) === path && !this.#files.has(entry)) durable.delete(entry);
    for (const [entry, file] of this.#files) if (dirname(entry) === path) durable.set(entry, file);
    for (const dir of [...durableDirectories])
      if (dir !== "/" && dirname(dir) === path && !this.#directories.has(dir))
        durableDirectories.delete(dir);
    for (const dir of this.#directories)
      if (dir !== "/" && dirname(dir) === path) durableDirectories.add(dir);
  }

  // ---- internals ----------------------------------------------------------------------------

  #applyTo(file: SimFile, position: number, bytes: Buffer, view: "current" | "durable"): void {
    const end = position + bytes.length;
    if (view === "current") {
      if (end > file.size) this.#resize(file, end, view);
      bytes.copy(file.current, position);
    } else {
      if (end > file.durableSize) this.#resize(file, end, view);
      bytes.copy(file.durable, position);
    }
  }

  #resize(file: SimFile, size: number, view: "current" | "durable"): void {
    if (view === "current") {
      file.current = ensureCapacity(file.current, size);
      if (size < file.size) file.current.fill(0, size, file.size);
      file.size = size;
    } else {
      file.durable = ensureCapacity(file.durable, size);
      if (size < file.durableSize) file.durable.fill(0, size, file.durableSize);
      file.durableSize = size;
    }
  }

  #path(fd: number, syscall: string): string {
    const path = this.#descriptors.get(fd);
    if (path === undefined) throw errnoError("EBADF", syscall, `fd ${fd}`);
    return path;
  }

  #file(path: string, syscall: string): SimFile {
    const file = this.#files.get(path);
    if (!file) throw errnoError("ENOENT", syscall, path);
    return file;
  }

  #maybeFail(op: FaultOperation, path: string): void {
    for (const fault of this.#faults) {
      if (fault.op !== op || fault.remaining <= 0) continue;
      if (fault.pathIncludes !== undefined && !path.includes(fault.pathIncludes)) continue;
      if (fault.skip > 0) {
        fault.skip--;
        continue;
      }
      fault.remaining--;
      this.counters.faults++;
      throw errnoError(fault.code, op, path);
    }
  }
}
