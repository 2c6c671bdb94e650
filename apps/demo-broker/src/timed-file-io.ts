import { basename, dirname, sep } from "node:path";
import type { FileIO } from "@store/mapped-file";

/** Which store file an fdatasync was for. */
export type SyncedFileKind = "commitlog" | "consumequeue" | "checkpoint" | "other";

/** Told after every fdatasync: the file's kind, how long it took (seconds) and whether it succeeded. */
export type FdatasyncListener = (kind: SyncedFileKind, seconds: number, ok: boolean) => void;

function kindOf(path: string): SyncedFileKind {
  const parts = dirname(path).split(sep);
  if (parts.includes("consumequeue")) return "consumequeue";
  if (parts.at(-1) === "commitlog") return "commitlog";
  if (basename(path) === "checkpoint") return "checkpoint";
  return "other";
}

/** A FileIO that reports its fdatasyncs to listeners. */
export interface TimedFileIO extends FileIO {
  /** Adds a listener; returns a function that removes it. */
  onFdatasync(listener: FdatasyncListener): () => void;
}

/** One wrapper per FileIO: the store's lock tells a second open in this process by the FileIO's identity. */
const wrappers = new WeakMap<FileIO, TimedFileIO>();

/**
 * Wraps a FileIO (the store's I/O seam, `MessageStoreOptions.io`) to time every fdatasync, so the
 * metrics can show their latency without any change to the store. Every other call passes through.
 * The same FileIO always gets the same wrapper. Its descriptor table holds one entry per open file.
 */
export function timedFileIO(io: FileIO): TimedFileIO {
  const existing = wrappers.get(io);
  if (existing !== undefined) return existing;
  const kinds = new Map<number, SyncedFileKind>();
  const listeners = new Set<FdatasyncListener>();
  const report = (kind: SyncedFileKind, seconds: number, ok: boolean): void => {
    for (const listener of listeners) {
      try {
        listener(kind, seconds, ok);
      } catch {
        // metrics must never fail a sync
      }
    }
  };
  const timed: TimedFileIO = {
    stat: (path) => io.stat(path),
    pwrite: (fd, buffer, offset, length, position) =>
      io.pwrite(fd, buffer, offset, length, position),
    pwriteSync: (fd, buffer, offset, length, position) =>
      io.pwriteSync(fd, buffer, offset, length, position),
    pread: (fd, buffer, offset, length, position) => io.pread(fd, buffer, offset, length, position),
    truncate: (fd, size) => io.truncate(fd, size),
    unlink: (path) => io.unlink(path),
    rename: (from, to) => io.rename(from, to),
    mkdir: (path) => io.mkdir(path),
    readdir: (path) => io.readdir(path),
    rmdir: (path) => io.rmdir(path),
    syncDirectory: (path) => io.syncDirectory(path),
    async open(path, create) {
      const fd = await io.open(path, create);
      kinds.set(fd, kindOf(path));
      return fd;
    },
    async close(fd) {
      kinds.delete(fd);
      await io.close(fd);
    },
    async fdatasync(fd) {
      const kind = kinds.get(fd) ?? "other";
      const start = performance.now();
      let ok = false;
      try {
        await io.fdatasync(fd);
        ok = true;
      } finally {
        report(kind, (performance.now() - start) / 1000, ok);
      }
    },
    onFdatasync(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  wrappers.set(io, timed);
  return timed;
}
