import { StoreError } from "@store/mapped-file";

/** Codes of the remoting layer. */
export type RemotingErrorCode =
  /** A frame's lengths are inconsistent, exceed a limit, or its header is not a valid command. */
  | "BAD_FRAME"
  /** A request header field is missing, of the wrong type or out of range; the message names it. */
  | "BAD_HEADER_FIELD"
  /** A client could not connect (refused, unreachable, or not within connectTimeoutMs). */
  | "CONNECT_FAILED"
  /** A client's request got no response within its timeout. */
  | "REMOTING_TIMEOUT"
  /** The connection closed (either side, or a bad frame from the peer) before the response came. */
  | "CONNECTION_CLOSED"
  /** A client already has its limit of requests waiting for responses; retry later. */
  | "TOO_MANY_REQUESTS";

/**
 * A malformed frame or request (thrown by the codec; the server turns it into a log line or a
 * response), or a failed client request (RemotingClient). Branch on `code`.
 */
export class RemotingError extends StoreError<RemotingErrorCode> {
  override readonly name: string = "RemotingError";
}

/** A request header field that failed validation; `field` names it, the message says what was expected. */
export class HeaderFieldError extends RemotingError {
  override readonly name: string = "HeaderFieldError";
  readonly field: string;

  constructor(field: string, message: string) {
    super("BAD_HEADER_FIELD", message);
    this.field = field;
  }
}
