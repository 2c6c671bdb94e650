import type { StoreErrorCode } from "@store/mapped-file";
import { StoreError } from "@store/mapped-file";

/** The codes of the file-queue layer, on top of the segment-file codes. */
export type FileQueueErrorCode =
  | StoreErrorCode
  /** `load()` could not open the directory's files (the cause says why); nothing was loaded. */
  | "LOAD_FAILED"
  /** Two consecutive segment files are not exactly `mappedFileSize` apart: a file is missing. */
  | "DIRECTORY_GAP"
  /** The allocate service did not produce the file within its wait deadline. */
  | "ALLOCATE_TIMEOUT"
  /** `fastFailIfNoBufferInStorePool` is set and the TransientStorePool has no free buffer. */
  | "POOL_EXHAUSTED"
  /** The allocate service was shut down (or not started and shut down); it creates no more files. */
  | "SERVICE_SHUT_DOWN"
  /** The queue's file list changed while a new file was being created (truncate, destroy). */
  | "CONCURRENT_MODIFICATION";

/**
 * The error the file queue throws or records (`lastCreateError`, `lastError`). It is a StoreError, so
 * callers catching StoreError see it too; branch on `code`.
 */
export class FileQueueError extends StoreError<FileQueueErrorCode> {
  override readonly name: string = "FileQueueError";
}

/** Wraps anything thrown into a FileQueueError, keeping a StoreError's code. */
export function asFileQueueError(
  error: unknown,
  fallback: FileQueueErrorCode,
  message: string,
): FileQueueError {
  if (error instanceof FileQueueError) return error;
  if (error instanceof StoreError)
    return new FileQueueError(error.code as FileQueueErrorCode, error.message, { cause: error });
  const detail = error instanceof Error ? error.message : String(error);
  return new FileQueueError(fallback, `${message}: ${detail}`, { cause: error });
}
