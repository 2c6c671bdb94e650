import { join } from "node:path";
import type { MessageStore } from "@store/commitlog";
import { nodeFileIO, offsetToFileName, StoreError } from "@store/mapped-file";
import type { DemoBrokerErrorCode } from "./config-error.js";

/** How long start-up waits for the first segment (a zero-filled 1 GiB one on a slow, busy disk), ms. */
export const FIRST_SEGMENT_DEADLINE_MS = 120_000;

/** What making the first segment ready cost. */
export interface FirstSegmentReport {
  /** The segment puts append to next (absolute start offset, bytes). */
  readonly fileFromOffset: number;
  /** Whether it had to be created (a fresh store, or the last segment was full). */
  readonly created: boolean;
  /** Time spent, ms. */
  readonly elapsedMs: number;
  /**
   * A zero-filled segment created now: whether the segment after it (made ahead in the background)
   * was ready too before the ports opened; null otherwise (sparse segments, or an existing segment).
   */
  readonly nextReady: boolean | null;
}

/** How long start-up waits for the zero-filled segment after the first, ms (then it opens the ports anyway). */
export const NEXT_SEGMENT_WAIT_MS = 30_000;
const NEXT_SEGMENT_POLL_MS = 10;

/**
 * Makes the segment the next put appends to exist before any port opens. On a fresh store the
 * commit log creates its first segment on the first put, and the allocator zero-fills it under
 * SYNC_FLUSH: about 1 s for 1 GiB on the reference VM, 3 s when the write-back of the segment made
 * ahead competes, which a client's send would wait for. `getLastMappedFile(0)` asks the allocator for
 * it now (and for the one after it, ahead of need, in the background). Waits up to `deadlineMs`
 * while the allocator is still zero-filling it, and, for zero-filled segments, for the one after it.
 * @throws StoreError START_FAILED when the segment cannot be created (disk full, I/O error) or is not
 *   ready within `deadlineMs`.
 */
export async function prepareFirstSegment(
  store: MessageStore,
  deadlineMs = FIRST_SEGMENT_DEADLINE_MS,
): Promise<FirstSegmentReport> {
  const queue = store.commitLog.mappedFileQueue;
  const before = queue.getLastMappedFile();
  const start = performance.now();
  let file = await queue.getLastMappedFile(0);
  // A slow disk can take longer than the allocator's wait to zero-fill a big segment; the creation
  // goes on, and asking again for the same file waits for it. Nothing listens yet, so waiting is right.
  while (
    file === null &&
    queue.lastCreateError?.code === "ALLOCATE_TIMEOUT" &&
    performance.now() - start < deadlineMs
  ) {
    file = await queue.getLastMappedFile(0);
  }
  if (file === null) {
    const cause = queue.lastCreateError;
    throw new StoreError<DemoBrokerErrorCode>(
      "START_FAILED",
      `cannot create the commit-log segment in ${queue.storePath}: ${cause?.code ?? "unknown"} ${cause?.message ?? ""}`.trim(),
      { cause },
    );
  }
  const created = file !== before;
  // creating a segment asks the allocator for the one after it too; an existing segment does not
  const waitNext = created && zeroFilled(store);
  const nextReady = waitNext
    ? await waitForNextSegment(queue.storePath, file.fileFromOffset + file.fileSize)
    : null;
  return {
    fileFromOffset: file.fileFromOffset,
    created,
    elapsedMs: performance.now() - start,
    nextReady,
  };
}

/** Whether new segments are zero-filled (the store's default under SYNC_FLUSH). */
function zeroFilled(store: MessageStore): boolean {
  return store.config.preallocation === "zero-fill";
}

/**
 * Waits (polling, up to NEXT_SEGMENT_WAIT_MS) until the segment at `offset` exists: the allocator
 * zero-fills it into a temporary file and renames it when done. Otherwise the first SYNC_FLUSH sends'
 * fdatasyncs would wait behind the write-back of a whole segment of zeros. False when it did not appear.
 */
async function waitForNextSegment(storePath: string, offset: number): Promise<boolean> {
  const path = join(storePath, offsetToFileName(offset));
  const deadline = performance.now() + NEXT_SEGMENT_WAIT_MS;
  while ((await nodeFileIO.stat(path)) === null) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, NEXT_SEGMENT_POLL_MS));
  }
  return true;
}
