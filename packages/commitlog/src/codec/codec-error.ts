/**
 * The one error class of the message codec.
 *
 * The codec reports expected outcomes (an illegal message, a corrupt record) as result unions and
 * throws only on programmer errors or on input that has no "result" shape, such as a malformed
 * message id. Kept local so it can later be re-parented under the shared `StoreError` of
 * `@store/mapped-file` without changing its `code`s.
 */

/**
 * Every `code` a {@link CodecError} can carry.
 *
 * - `INVALID_ARGUMENT`: an option or parameter is out of its documented range.
 * - `INVALID_ADDRESS`: a host is not `"ipv4:port"`, `"[ipv6]:port"` or `"ipv6:port"`.
 * - `INVALID_MESSAGE_ID`: a msgId is not 32 or 56 hex characters, or its offset is not a safe integer.
 * - `INVALID_RECORD`: a buffer handed to a record helper is too short to be a record.
 */
export type CodecErrorCode =
  | "INVALID_ARGUMENT"
  | "INVALID_ADDRESS"
  | "INVALID_MESSAGE_ID"
  | "INVALID_RECORD";

/**
 * Thrown by the codec for programmer errors and unparseable identifiers.
 * Branch on {@link CodecError.code}, never on the message text.
 */
export class CodecError extends Error {
  /** A stable, machine-readable reason; see {@link CodecErrorCode}. */
  readonly code: CodecErrorCode;

  /**
   * @param code - the stable reason.
   * @param message - a human-readable explanation.
   * @param options - `cause` is passed through to `Error`.
   */
  constructor(code: CodecErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CodecError";
    this.code = code;
  }
}
