import type { FileIO } from "./file-io.js";

/** Smallest write a commit's range is split into, bytes. */
const CHUNK_BYTES = 1024 * 1024;
/** Most writes one commit issues at once, so a large catch-up commit does not queue far ahead of others. */
const MAX_WRITES = 8;

/**
 * Writes `buffer[from, to)` to the same positions of file `fd` as up to MAX_WRITES positional writes
 * of at least CHUNK_BYTES each, issued together so the thread pool runs them side by side: a pool-mode
 * commit kept up with a fast writer only this way (bench/RESULTS.md of @store/commitlog). Resolves
 * once every write succeeded; if one fails, rejects with its error only after all have settled, so
 * the caller's committed position does not move (and the next commit does not start) while a write
 * is still running. A retry rewrites the whole range.
 */
export async function writeInParallel(
  io: FileIO,
  fd: number,
  buffer: Buffer,
  from: number,
  to: number,
): Promise<void> {
  const chunk = Math.max(CHUNK_BYTES, Math.ceil((to - from) / MAX_WRITES));
  const writes: Promise<void>[] = [];
  for (let at = from; at < to; at += chunk)
    writes.push(io.pwrite(fd, buffer, at, Math.min(chunk, to - at), at));
  const results = await Promise.allSettled(writes);
  const failed = results.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
}
