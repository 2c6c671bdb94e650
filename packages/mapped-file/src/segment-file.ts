import { dirname } from "node:path";
import { OS_PAGE_SIZE } from "./file-name.js";
import type { FileIO } from "./file-io.js";
import { StoreError, ioError } from "./store-error.js";

/** How a new segment file is sized on disk. */
export type Preallocation =
  /** Write zeros over the whole file and sync them, so later fdatasyncs never pay for block allocation. */
  | "zero-fill"
  /** Only set the length (sparse). Cheap to create; the first writes allocate blocks. */
  | "sparse";

/** Suffix of a file being created; renamed into place once sized and synced. */
export const TEMP_FILE_SUFFIX = ".tmp";

/** 1 MiB of zeros, never written to: segment zero-fill and stale-tail clearing write from it. */
export const ZERO_CHUNK = Buffer.alloc(1024 * 1024);

/**
 * Creates directory `path` and its missing parents, and makes each new one's name durable by syncing
 * the directory holding it, nearest the root first. Without that, a power cut may lose a new
 * directory, and with it every file later created and synced inside it (POSIX promises a new name
 * only once its directory is synced).
 * @throws the platform's error (callers wrap it).
 */
export async function ensureDirectory(io: FileIO, path: string): Promise<void> {
  const first = await io.mkdir(path);
  if (first === undefined) return;
  const created: string[] = [];
  for (let dir = path; ; dir = dirname(dir)) {
    created.unshift(dir);
    if (dir === first || dirname(dir) === dir) break;
  }
  for (const dir of created) await io.syncDirectory(dirname(dir));
}

/** Creates `path` at full size under a temporary name, syncs it, and renames it into place. */
export async function createSegment(
  io: FileIO,
  path: string,
  fileSize: number,
  mode: Preallocation,
): Promise<void> {
  const directory = dirname(path);
  const temp = path + TEMP_FILE_SUFFIX;
  try {
    await ensureDirectory(io, directory);
    const fd = await io.open(temp, true);
    try {
      await io.truncate(fd, 0);
      if (mode === "zero-fill") {
        for (let at = 0; at < fileSize; at += ZERO_CHUNK.length) {
          await io.pwrite(fd, ZERO_CHUNK, 0, Math.min(ZERO_CHUNK.length, fileSize - at), at);
        }
      } else {
        await io.truncate(fd, fileSize);
      }
      await io.fdatasync(fd);
    } finally {
      await io.close(fd);
    }
    await io.rename(temp, path);
    await io.syncDirectory(directory);
  } catch (error) {
    await io.unlink(temp).catch(() => undefined);
    throw error instanceof StoreError ? error : ioError("create", path, error);
  }
}

/**
 * Zeroes every non-zero byte of `[from, fileSize)` of an open segment, then fdatasyncs if it zeroed
 * anything or `syncAlways` (see `MappedFile.clearStaleTail`). Reads 1 MiB at a time and writes only
 * the chunks that hold data; a sparse file with no storage past `from` is not read at all.
 * @returns the bytes zeroed.
 */
export async function clearTail(
  io: FileIO,
  fd: number,
  path: string,
  from: number,
  fileSize: number,
  syncAlways = false,
): Promise<number> {
  // A sparse file holding no more storage than the pages below `from` has nothing past it: skip
  // reading the tail (which would fill the page cache with zeros).
  const stat = await io.stat(path);
  const pagesBelow = Math.ceil(from / OS_PAGE_SIZE) * OS_PAGE_SIZE;
  if (stat?.allocatedBytes !== undefined && stat.allocatedBytes <= pagesBelow) {
    if (syncAlways) await io.fdatasync(fd);
    return 0;
  }
  const chunk = Buffer.allocUnsafe(ZERO_CHUNK.length);
  let cleared = 0;
  for (let at = from; at < fileSize; at += chunk.length) {
    const length = Math.min(chunk.length, fileSize - at);
    await io.pread(fd, chunk, 0, length, at);
    if (!chunk.subarray(0, length).equals(ZERO_CHUNK.subarray(0, length))) {
      await io.pwrite(fd, ZERO_CHUNK, 0, length, at);
      cleared += length;
    }
  }
  if (cleared > 0 || syncAlways) await io.fdatasync(fd);
  return cleared;
}
