import { createServer } from "node:net";
import type { Server, Socket } from "node:net";
import type { Logger } from "pino";
import { pino } from "pino";
import { ServerConnection } from "./remoting-server-connection.js";
import { DEFAULT_FRAME_LIMITS } from "./remoting/frame-decoder.js";
import type { FrameLimits } from "./remoting/frame-decoder.js";
import { RemotingCommand } from "./remoting/remoting-command.js";
import { HeaderFieldError } from "./remoting/remoting-error.js";
import { requestCodeName } from "./remoting/request-code.js";
import { ResponseCode } from "./remoting/response-code.js";
import type {
  RemotingConnection,
  RequestContext,
  RequestHook,
  RequestProcessor,
} from "./request-processor.js";

/** Limits of the server; every queue it keeps is bounded by one of these. */
export interface RemotingServerLimits extends FrameLimits {
  /** Open connections at most; further ones are closed at accept. */
  readonly maxConnections: number;
  /** Requests being processed per connection at most; reading the socket pauses at the limit. */
  readonly maxInFlightPerConnection: number;
  /** A connection with no traffic either way for this long is closed (serverChannelMaxIdleTimeSeconds), ms; 0 never. */
  readonly idleTimeoutMs: number;
}

/** The server's default limits: frames, connections, requests in flight per connection, idle timeout (ms). */
export const DEFAULT_REMOTING_LIMITS: RemotingServerLimits = {
  ...DEFAULT_FRAME_LIMITS,
  maxConnections: 4096,
  maxInFlightPerConnection: 1024,
  idleTimeoutMs: 120_000,
};

/** Options of a `RemotingServer`: host, port (0: any free one), limits and logger. */
export interface RemotingServerOptions {
  /** Port to listen on; 0 picks a free one (read `port` after `start`). */
  readonly port: number;
  /** Address to bind; default all interfaces. */
  readonly host?: string;
  /** request code → processor, built by the composition root. */
  readonly processors: ReadonlyMap<number, RequestProcessor>;
  /** Runs before every processor (ACL). */
  readonly hook?: RequestHook;
  readonly limits?: Partial<RemotingServerLimits>;
  readonly logger?: Logger;
  /**
   * Called when a client connection opens (`open` true, before its first request) and when it closes,
   * e.g. to count connections or drop a closed client's registrations. Keep it cheap; what it throws
   * is logged and ignored.
   */
  readonly onConnection?: (connection: RemotingConnection, open: boolean) => void;
}

/** A RocketMQ remoting-protocol server on node:net: many requests in flight per socket, answered out of order. */
export class RemotingServer {
  readonly #options: RemotingServerOptions;
  readonly #limits: RemotingServerLimits;
  readonly #logger: Logger;
  readonly #connections = new Set<ServerConnection>();
  #server: Server | null = null;
  /** Connections that received frames in this turn of the event loop, started together at its check phase. */
  #due: ServerConnection[] = [];
  readonly #runDue = (): void => {
    const due = this.#due;
    this.#due = [];
    for (const connection of due) connection.pumpScheduled();
  };
  readonly #schedulePump = (connection: ServerConnection): void => {
    if (this.#due.length === 0) setImmediate(this.#runDue);
    this.#due.push(connection);
  };
  #port = 0;
  #nextId = 1;

  constructor(options: RemotingServerOptions) {
    this.#options = options;
    this.#limits = { ...DEFAULT_REMOTING_LIMITS, ...options.limits };
    this.#logger = options.logger ?? pino({ level: "silent" });
  }

  /** The bound port (after `start`). */
  get port(): number {
    return this.#port;
  }

  /** Connections open now. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Requests being processed now, over every connection. */
  get inFlightRequests(): number {
    let total = 0;
    for (const connection of this.#connections) total += connection.inFlight;
    return total;
  }

  /** Connections not being read now: their writes do not drain, or they are at the in-flight limit. */
  get pausedConnections(): number {
    let total = 0;
    for (const connection of this.#connections) if (connection.isReadPaused) total++;
    return total;
  }

  /**
   * Bytes the server holds for its connections: responses the kernel has not taken yet, partial
   * frames, and received frames waiting for an in-flight slot. Bounded per connection (see limits).
   */
  get bufferedBytes(): number {
    let total = 0;
    for (const connection of this.#connections) total += connection.bufferedBytes;
    return total;
  }

  /** Starts listening; resolves the bound port. */
  async start(): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => this.#accept(socket));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.#options.port, this.#options.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const address = server.address();
    this.#port =
      typeof address === "object" && address !== null ? address.port : this.#options.port;
    return this.#port;
  }

  /**
   * Stops accepting and stops reading requests; lets the requests already received finish for up to
   * `graceMs` (their responses are written), then ends every connection (destroying those whose
   * writes do not flush by the deadline).
   */
  async shutdown(graceMs = 5_000): Promise<void> {
    const server = this.#server;
    this.#server = null;
    const closed =
      server === null
        ? Promise.resolve()
        : new Promise<void>((resolve) => server.close(() => resolve()));
    const deadline = Date.now() + graceMs;
    const connections = [...this.#connections];
    for (const connection of connections) connection.beginClosing();
    await Promise.all(connections.map((connection) => connection.drain(deadline)));
    await Promise.all(connections.map((connection) => connection.end(deadline)));
    await closed;
  }

  #accept(socket: Socket): void {
    if (this.#server === null) {
      socket.destroy();
      return;
    }
    if (this.#connections.size >= this.#limits.maxConnections) {
      this.#logger.warn(
        {
          remote: `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? 0}`,
          limit: this.#limits.maxConnections,
        },
        `connection refused: too many connections (limit ${this.#limits.maxConnections})`,
      );
      socket.destroy();
      return;
    }
    const connection = new ServerConnection(
      this.#nextId++,
      socket,
      this.#limits,
      this.#logger,
      (request, conn) => this.#dispatch(request, conn),
      this.#schedulePump,
    );
    this.#connections.add(connection);
    this.#notifyConnection(connection, true);
    connection.onClose(() => {
      this.#connections.delete(connection);
      this.#notifyConnection(connection, false);
    });
  }

  #notifyConnection(connection: ServerConnection, open: boolean): void {
    if (this.#options.onConnection === undefined) return;
    try {
      this.#options.onConnection(connection, open);
    } catch (error) {
      this.#logger.error(
        { err: error, remote: connection.remoteAddress },
        "the onConnection listener threw",
      );
    }
  }

  /** Hook, then processor; every failure becomes a response, so this never rejects. */
  async #dispatch(
    request: RemotingCommand,
    connection: ServerConnection,
  ): Promise<RemotingCommand | null> {
    const context: RequestContext = { connection };
    try {
      const refused = checkedResponse(this.#options.hook?.(request, context), request);
      if (refused !== null) return refused;
      const processor = this.#options.processors.get(request.code);
      if (processor === undefined) {
        return RemotingCommand.response(
          request,
          ResponseCode.REQUEST_CODE_NOT_SUPPORTED,
          `request type ${request.code} not supported`,
        );
      }
      if (processor.rejectRequest?.() === true) {
        return RemotingCommand.response(
          request,
          ResponseCode.SYSTEM_BUSY,
          "[REJECTREQUEST]system busy, start flow control for a while",
        );
      }
      return checkedResponse(await processor.processRequest(request, context), request);
    } catch (error) {
      if (error instanceof HeaderFieldError)
        return RemotingCommand.response(request, ResponseCode.SYSTEM_ERROR, error.message);
      this.#logger.error(
        { err: error, code: requestCodeName(request.code), remote: connection.remoteAddress },
        "request failed",
      );
      return RemotingCommand.response(
        request,
        ResponseCode.SYSTEM_ERROR,
        `${requestCodeName(request.code)} failed: ${messageOf(error)}`,
      );
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A processor's or hook's answer: a command, or null (also for undefined) for none. */
function checkedResponse(response: unknown, request: RemotingCommand): RemotingCommand | null {
  if (response === null || response === undefined) return null;
  if (response instanceof RemotingCommand) return response;
  throw new TypeError(
    `${requestCodeName(request.code)} was answered with a ${typeof response}, not a RemotingCommand`,
  );
}
