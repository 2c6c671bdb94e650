import { dirname } from "node:path";
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

/** Creates `path` at full size under a temporary name, syncs it, and renames it into place. */
export async function createSegment(io: FileIO, path: string, fileSize: number, mode: Preallocation): Promise<void> {
  const directory = dirname(path);
  const temp = path + TEMP_FILE_SUFFIX;
  try {
    await io.mkdir(directory);
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
