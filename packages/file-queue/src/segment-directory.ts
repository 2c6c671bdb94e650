import { join } from "node:path";
import type { FileIO } from "@store/mapped-file";
import { TEMP_FILE_SUFFIX, fileNameToOffset } from "@store/mapped-file";
import { FileQueueError, asFileQueueError } from "./file-queue-error.js";

/** One segment file found by `scanSegmentDirectory`. */
export interface SegmentEntry {
  /** Full path. */
  readonly path: string;
  /** Start offset from the file name, bytes. */
  readonly offset: number;
}

/** What a directory scan found and cleaned up. */
export interface SegmentScan {
  /** Segment files in offset order, contiguous, each exactly `mappedFileSize` bytes. */
  readonly segments: readonly SegmentEntry[];
  /** Leftovers deleted: `*.tmp` files of interrupted creations, and an empty last file (RocketMQ 5.x rule). */
  readonly removed: readonly string[];
}

/**
 * Lists a queue directory and checks it before anything is opened, so a bad directory is refused
 * whole (never a partial load). A missing directory is an empty queue.
 * @throws FileQueueError BAD_FILE_NAME (not all digits, or not a multiple of `mappedFileSize`),
 *   DIRECTORY_GAP, FILE_SIZE_MISMATCH, LOAD_FAILED (a listing, stat or unlink failed).
 */
export async function scanSegmentDirectory(
  io: FileIO,
  storePath: string,
  mappedFileSize: number,
): Promise<SegmentScan> {
  const names = await io.readdir(storePath).catch((e: unknown) => {
    throw asFileQueueError(e, "LOAD_FAILED", `listing ${storePath}`);
  });
  const removed: string[] = [];
  const entries: SegmentEntry[] = [];
  for (const name of names) {
    const path = join(storePath, name);
    if (name.endsWith(TEMP_FILE_SUFFIX)) {
      await unlinkLeftover(io, path);
      removed.push(path);
      continue;
    }
    entries.push({ path, offset: parseSegmentName(name, path, mappedFileSize) });
  }
  entries.sort((a, b) => a.offset - b.offset);
  checkContiguous(entries, mappedFileSize);
  const sizes = await Promise.all(entries.map((entry) => statSize(io, entry.path)));
  const lastSize = sizes.at(-1);
  if (lastSize === 0 && entries.length > 0) {
    // RocketMQ 5.x: an empty last file is a creation cut short before it was sized; it holds no data.
    const last = entries.pop() as SegmentEntry;
    sizes.pop();
    await unlinkLeftover(io, last.path);
    removed.push(last.path);
  }
  entries.forEach((entry, index) => {
    const size = sizes[index];
    if (size !== mappedFileSize) {
      throw new FileQueueError(
        "FILE_SIZE_MISMATCH",
        `${entry.path} is ${size} bytes, expected ${mappedFileSize}; refusing to load ${storePath}`,
      );
    }
  });
  return { segments: entries, removed };
}

function parseSegmentName(name: string, path: string, mappedFileSize: number): number {
  let offset: number;
  try {
    offset = fileNameToOffset(name);
  } catch (error) {
    throw new FileQueueError(
      "BAD_FILE_NAME",
      `${path}: not a segment file name (20 decimal digits); refusing to load`,
      { cause: error },
    );
  }
  if (offset % mappedFileSize !== 0) {
    throw new FileQueueError(
      "BAD_FILE_NAME",
      `${path}: offset ${offset} is not a multiple of the file size ${mappedFileSize}; refusing to load`,
    );
  }
  return offset;
}

function checkContiguous(entries: readonly SegmentEntry[], mappedFileSize: number): void {
  for (let i = 1; i < entries.length; i++) {
    const previous = entries[i - 1] as SegmentEntry;
    const current = entries[i] as SegmentEntry;
    if (current.offset - previous.offset !== mappedFileSize) {
      throw new FileQueueError(
        "DIRECTORY_GAP",
        `${current.path} starts at ${current.offset} but the previous file ${previous.path} ends at ${previous.offset + mappedFileSize}; refusing to load`,
      );
    }
  }
}

async function statSize(io: FileIO, path: string): Promise<number> {
  try {
    const stat = await io.stat(path);
    if (stat === null) throw new FileQueueError("LOAD_FAILED", `${path} vanished while loading`);
    return stat.size;
  } catch (error) {
    throw asFileQueueError(error, "LOAD_FAILED", `stat ${path}`);
  }
}

async function unlinkLeftover(io: FileIO, path: string): Promise<void> {
  try {
    await io.unlink(path);
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code !== "ENOENT")
      throw asFileQueueError(error, "LOAD_FAILED", `removing leftover ${path}`);
  }
}
