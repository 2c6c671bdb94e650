import type { MappedFile } from "@store/mapped-file";

const POLL_MS = 20;

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Deletes a segment file, waiting for readers to release it for at most `intervalForciblyMs`, after
 * which the reference count is forced down and the file is deleted anyway (RocketMQ's forced destroy).
 * Returns whether the file is gone (false only if the unlink keeps failing to complete).
 * @throws StoreError IO_ERROR if the unlink fails.
 */
export async function destroyEventually(
  file: MappedFile,
  intervalForciblyMs: number,
): Promise<boolean> {
  const deadline = Date.now() + Math.max(0, intervalForciblyMs);
  const maxAttempts = Math.ceil(Math.max(0, intervalForciblyMs) / POLL_MS) + 2;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    if (await file.destroy(intervalForciblyMs)) return true;
    const left = deadline - Date.now();
    await sleep(Math.max(1, Math.min(POLL_MS, left + 1)));
  }
  return file.destroy(0);
}

/**
 * Shuts a segment file down and closes its descriptor, giving readers up to `intervalForciblyMs` to
 * release it first. The file stays on disk.
 */
export async function closeEventually(file: MappedFile, intervalForciblyMs: number): Promise<void> {
  file.shutdown(intervalForciblyMs);
  const deadline = Date.now() + Math.max(0, intervalForciblyMs);
  while (!file.isCleanupOver() && Date.now() < deadline)
    await sleep(Math.min(POLL_MS, deadline - Date.now()));
  await file.close();
}
