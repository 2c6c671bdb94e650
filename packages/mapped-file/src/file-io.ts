import * as fs from "node:fs";

/** What `FileIO.stat` reports about a file. */
export interface FileStat {
  /** Length in bytes. */
  readonly size: number;
  /** Last modification time, ms since the epoch. */
  readonly mtimeMs: number;
  /**
   * Bytes of storage the file holds (`st_blocks * 512`, delayed allocations included on ext4): less
   * than `size` for a sparse file. Absent when the implementation cannot tell.
   */
  readonly allocatedBytes?: number;
}

/**
 * Every file access of the store goes through this seam, so crash tests can run the production code
 * over a simulated disk (`SimulatedDisk` in `@store/mapped-file/testing`). Errors are the platform's
 * (objects with an errno `code` such as `ENOSPC`); callers wrap them in StoreError.
 *
 * Positional calls write or read the whole range or throw: implementations loop over short transfers.
 */
export interface FileIO {
  /**
   * Opens `path` for reading and writing; creates it (empty) when `create` is true and it is missing.
   * With "exclusive" it must not exist yet (EEXIST otherwise): an atomic create, for lock files.
   */
  open(path: string, create: boolean | "exclusive"): Promise<number>;
  /** Size and mtime, or null when the path does not exist. */
  stat(path: string): Promise<FileStat | null>;
  /** Writes `length` bytes of `buffer` from `offset` at file `position`, on the I/O thread pool. */
  pwrite(
    fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ): Promise<void>;
  /** The same on the calling thread: used where an append must be in the page cache before it returns. */
  pwriteSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): void;
  /** Reads `length` bytes at `position` into `buffer` from `offset`; returns how many were read (short at EOF). */
  pread(
    fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ): Promise<number>;
  /** Makes every completed write of this file durable (fdatasync). */
  fdatasync(fd: number): Promise<void>;
  /** Sets the file's length. */
  truncate(fd: number, size: number): Promise<void>;
  /** Closes a file descriptor opened by `open`. */
  close(fd: number): Promise<void>;
  /** Deletes the file at `path`. */
  unlink(path: string): Promise<void>;
  /** Renames a file, replacing any file at `to`. */
  rename(from: string, to: string): Promise<void>;
  /**
   * Creates the directory and its parents; no error if it exists. Resolves with the first directory
   * it created (the one nearest the root), or undefined when `path` existed: their names become
   * durable only once their parents are synced (see `ensureDirectory`).
   */
  mkdir(path: string): Promise<string | undefined>;
  /** Entry names of a directory, or an empty list when it does not exist. */
  readdir(path: string): Promise<string[]>;
  /** Removes an empty directory; no error if it is missing. */
  rmdir(path: string): Promise<void>;
  /** Makes a directory's entries (created or removed files) durable. */
  syncDirectory(path: string): Promise<void>;
}

function writeFully(
  fd: number,
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (done: number): void => {
      if (done === length) return resolve();
      fs.write(fd, buffer, offset + done, length - done, position + done, (error, written) => {
        if (error) reject(error);
        else step(done + written);
      });
    };
    step(0);
  });
}

function isMissing(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "ENOENT";
}

function openDescriptor(path: string, flags: string): Promise<number> {
  // Plain descriptors only: a FileHandle closes "its" fd when garbage-collected, even after we closed
  // it ourselves and the number went to another file.
  return new Promise((resolve, reject) =>
    fs.open(path, flags, (e, fd) => (e ? reject(e) : resolve(fd))),
  );
}

/** The real `node:fs` implementation of FileIO. */
export const nodeFileIO: FileIO = {
  async open(path, create) {
    if (create === "exclusive") return openDescriptor(path, "wx+");
    if (create) {
      try {
        return await openDescriptor(path, "wx+"); // read-write, created exclusively
      } catch (error) {
        if ((error as { code?: unknown }).code !== "EEXIST") throw error;
      }
    }
    return openDescriptor(path, "r+");
  },
  async stat(path) {
    try {
      const s = await fs.promises.stat(path);
      return { size: s.size, mtimeMs: s.mtimeMs, allocatedBytes: s.blocks * 512 };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  },
  pwrite: writeFully,
  pwriteSync(fd, buffer, offset, length, position) {
    let done = 0;
    while (done < length)
      done += fs.writeSync(fd, buffer, offset + done, length - done, position + done);
  },
  pread(fd, buffer, offset, length, position) {
    return new Promise((resolve, reject) => {
      const step = (done: number): void => {
        if (done === length) return resolve(done);
        fs.read(fd, buffer, offset + done, length - done, position + done, (error, read) => {
          if (error) reject(error);
          else if (read === 0) resolve(done);
          else step(done + read);
        });
      };
      step(0);
    });
  },
  fdatasync: (fd) =>
    new Promise((resolve, reject) => fs.fdatasync(fd, (e) => (e ? reject(e) : resolve()))),
  truncate: (fd, size) =>
    new Promise((resolve, reject) => fs.ftruncate(fd, size, (e) => (e ? reject(e) : resolve()))),
  close: (fd) => new Promise((resolve, reject) => fs.close(fd, (e) => (e ? reject(e) : resolve()))),
  unlink: (path) => fs.promises.unlink(path),
  rename: (from, to) => fs.promises.rename(from, to),
  mkdir: (path) => fs.promises.mkdir(path, { recursive: true }),
  async readdir(path) {
    try {
      return await fs.promises.readdir(path);
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  },
  async rmdir(path) {
    try {
      await fs.promises.rmdir(path);
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  },
  async syncDirectory(path) {
    const handle = await fs.promises.open(path, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};
