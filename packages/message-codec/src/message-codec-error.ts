/**
 * The one error class of the message codec.
 *
 * The codec reports expected outcomes (an illegal message, a corrupt record) as result unions and
 * throws only on programmer errors or on input that has no "result" shape, such as a malformed
 * message id. The codec depends on no other store package, so it cannot extend `StoreError` of
 * `@store/mapped-file`; instead every instance carries the brand `Symbol.for("@store/error")`, which
 * `StoreError`'s `instanceof` accepts: `error instanceof StoreError` holds for a MessageCodecError.
 */

/** The brand every store error carries (`StoreError` of `@store/mapped-file` sets the same one). */
const STORE_ERROR_BRAND = Symbol.for("@store/error");

/**
 * Every `code` a {@link MessageCodecError} can carry.
 *
 * - `INVALID_ARGUMENT`: an option or parameter is out of its documented range.
 * - `INVALID_ADDRESS`: a host is not `"ipv4:port"`, `"[ipv6]:port"` or `"ipv6:port"`.
 * - `INVALID_MESSAGE_ID`: a msgId is not 32 or 56 hex characters, or its offset is not a safe integer.
 * - `INVALID_RECORD`: a buffer handed to a record helper is too short to be a record.
 */
export type MessageCodecErrorCode =
  "INVALID_ARGUMENT" | "INVALID_ADDRESS" | "INVALID_MESSAGE_ID" | "INVALID_RECORD";

/**
 * Thrown by the codec for programmer errors and unparseable identifiers.
 * Branch on {@link MessageCodecError.code}, never on the message text.
 */
export class MessageCodecError extends Error {
  override readonly name: string = "MessageCodecError";
  /** A stable, machine-readable reason; see {@link MessageCodecErrorCode}. */
  readonly code: MessageCodecErrorCode;

  /**
   * @param code - the stable reason.
   * @param message - a human-readable explanation.
   * @param options - `cause` is passed through to `Error`.
   */
  constructor(code: MessageCodecErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    Object.defineProperty(this, STORE_ERROR_BRAND, { value: true });
  }
}
