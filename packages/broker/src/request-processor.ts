import type { RemotingCommand } from "./remoting/remoting-command.js";

/** The client side of one connection, as processors see it. */
export interface RemotingConnection {
  /** Unique per server, from 1. */
  readonly id: number;
  /** `ip:port` of the peer. */
  readonly remoteAddress: string;
  /** Whether the socket is still open. */
  readonly isOpen: boolean;
  /** Sends a server-initiated oneway request (e.g. NOTIFY_CONSUMER_IDS_CHANGED); dropped once closed. */
  sendOneway(command: RemotingCommand): void;
  /** Runs `listener` once when the connection closes (at once if it already has). */
  onClose(listener: () => void): void;
}

/** What a processor learns about a request besides the command: its connection and client address. */
export interface RequestContext {
  readonly connection: RemotingConnection;
}

/**
 * Handles the request codes it is registered for (RocketMQ's NettyRequestProcessor). Resolves the
 * response (its opaque echoed: build it with `RemotingCommand.response(request, ...)`) or `null` for
 * none. It may resolve much later (a held PULL); it should not reject for a bad request: it answers
 * an error code with a remark. A HeaderFieldError it throws is answered SYSTEM_ERROR naming the field.
 */
export interface RequestProcessor {
  /** Answers one request; null for a one-way request or a response sent later. */
  processRequest(
    request: RemotingCommand,
    context: RequestContext,
  ): Promise<RemotingCommand | null> | RemotingCommand | null;
  /** True to answer SYSTEM_BUSY without processing (flow control). */
  rejectRequest?(): boolean;
}

/**
 * Runs before every request's processor (RocketMQ's RPCHook), e.g. ACL. Returns a response to answer
 * instead of processing (a refusal), or `null` to go on.
 */
export type RequestHook = (
  request: RemotingCommand,
  context: RequestContext,
) => RemotingCommand | null;
