/**
 * The brand every store error carries. `@store/message-codec` depends on no store package, so its
 * MessageCodecError cannot extend StoreError; it sets the same brand, and `instanceof StoreError`
 * accepts any object that carries it.
 */
const STORE_ERROR_BRAND = Symbol.for("@store/error");

/**
 * The error every store package throws. Callers branch on `code`, never on the message text.
 * Upper layers extend the code union with their own codes. `error instanceof StoreError` also holds
 * for `@store/message-codec`'s MessageCodecError (see {@link StoreError.[Symbol.hasInstance]}).
 */
export class StoreError<Code extends string = StoreErrorCode> extends Error {
  override readonly name: string = "StoreError";
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    Object.defineProperty(this, STORE_ERROR_BRAND, { value: true });
  }

  /**
   * `value instanceof StoreError`: true for any object carrying the store error brand, whatever
   * class made it. A subclass (`instanceof FileQueueError`) keeps the ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== StoreError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return (
      typeof value === "object" &&
      value !== null &&
      (value as Record<symbol, unknown>)[STORE_ERROR_BRAND] === true
    );
  }
}

/** The codes of the segment-file layer. */
export type StoreErrorCode =
  /** A caller passed a value outside the documented range (negative size, non-integer position, ...). */
  | "BAD_ARGUMENT"
  /** A segment file's name is not a decimal start offset. */
  | "BAD_FILE_NAME"
  /** A segment file on disk does not have the configured size. */
  | "FILE_SIZE_MISMATCH"
  /** A position lies outside `[0, fileSize]`. */
  | "POSITION_OUT_OF_RANGE"
  /** The file was shut down or destroyed; it takes no more appends. */
  | "FILE_DESTROYED"
  /** The disk is full (ENOSPC). Nothing already acknowledged is lost; retry once space returns. */
  | "DISK_FULL"
  /** Any other failed read, write, sync, open or unlink. */
  | "IO_ERROR"
  /** A buffer handed back to a TransientStorePool that did not lend it, or twice. */
  | "POOL_BUFFER_INVALID";

/** Wraps a failed file-system call, mapping ENOSPC to DISK_FULL so callers can tell a full disk apart. */
export function ioError(operation: string, path: string, cause: unknown): StoreError {
  const errno = (cause as { code?: unknown } | null)?.code;
  const code = errno === "ENOSPC" ? "DISK_FULL" : "IO_ERROR";
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new StoreError(code, `${operation} failed on ${path}: ${detail}`, { cause });
}
