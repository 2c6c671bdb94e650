import type { MessageStore } from "@store/commitlog";
import { StoreError } from "@store/mapped-file";
import type { DemoBrokerErrorCode } from "./config-error.js";

/** What making the first segment ready cost. */
export interface FirstSegmentReport {
  /** The segment puts append to next (absolute start offset, bytes). */
  readonly fileFromOffset: number;
  /** Whether it had to be created (a fresh store, or the last segment was full). */
  readonly created: boolean;
  /** Time spent, ms. */
  readonly elapsedMs: number;
}

/**
 * Makes the segment the next put appends to exist before any port opens. On a fresh store the
 * commit log creates its first segment on the first put, and the allocator zero-fills it under
 * SYNC_FLUSH: about 1 s for 1 GiB on the reference VM, 3 s when the write-back of the segment made
 * ahead competes, which a client's send would wait for. `getLastMappedFile(0)` asks the allocator for
 * it now (and for the one after it, ahead of need, in the background).
 * @throws StoreError START_FAILED when the segment cannot be created (disk full, I/O error).
 */
export async function prepareFirstSegment(store: MessageStore): Promise<FirstSegmentReport> {
  const queue = store.commitLog.mappedFileQueue;
  const before = queue.getLastMappedFile();
  const start = performance.now();
  const file = await queue.getLastMappedFile(0);
  if (file === null) {
    const cause = queue.lastCreateError;
    throw new StoreError<DemoBrokerErrorCode>(
      "START_FAILED",
      `cannot create the commit-log segment in ${queue.storePath}: ${cause?.code ?? "unknown"} ${cause?.message ?? ""}`.trim(),
      { cause },
    );
  }
  return { fileFromOffset: file.fileFromOffset, created: file !== before, elapsedMs: performance.now() - start };
}
