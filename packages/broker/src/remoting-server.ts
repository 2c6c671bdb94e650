import { createServer } from "node:net";
import type { Server, Socket } from "node:net";
import type { Logger } from "pino";
import { pino } from "pino";
import { DEFAULT_FRAME_LIMITS, FrameDecoder } from "./remoting/frame-decoder.js";
import type { FrameLimits } from "./remoting/frame-decoder.js";
import { RemotingCommand } from "./remoting/remoting-command.js";
import { HeaderFieldError } from "./remoting/remoting-error.js";
import { requestCodeName } from "./remoting/request-code.js";
import { ResponseCode } from "./remoting/response-code.js";
import type { RemotingConnection, RequestContext, RequestHook, RequestProcessor } from "./request-processor.js";

/** Limits of the server; every queue it keeps is bounded by one of these. */
export interface RemotingServerLimits extends FrameLimits {
  /** Open connections at most; further ones are closed at accept. */
  readonly maxConnections: number;
  /** Requests being processed per connection at most; reading the socket pauses at the limit. */
  readonly maxInFlightPerConnection: number;
  /** A connection with no traffic either way for this long is closed (serverChannelMaxIdleTimeSeconds). */
  readonly idleTimeoutMs: number;
}

export const DEFAULT_REMOTING_LIMITS: RemotingServerLimits = {
  ...DEFAULT_FRAME_LIMITS,
  maxConnections: 4096,
  maxInFlightPerConnection: 1024,
  idleTimeoutMs: 120_000,
};

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
}

/** A RocketMQ remoting-protocol server on node:net: many requests in flight per socket, answered out of order. */
export class RemotingServer {
  readonly #options: RemotingServerOptions;
  readonly #limits: RemotingServerLimits;
  readonly #logger: Logger;
  readonly #connections = new Set<Connection>();
  #server: Server | null = null;
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
    this.#port = typeof address === "object" && address !== null ? address.port : this.#options.port;
    return this.#port;
  }

  /**
   * Stops accepting, lets requests in flight finish for up to `graceMs`, then closes every connection.
   */
  async shutdown(graceMs = 5_000): Promise<void> {
    const server = this.#server;
    this.#server = null;
    const closed = server === null ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    const deadline = Date.now() + graceMs;
    await Promise.all([...this.#connections].map((connection) => connection.drain(deadline)));
    for (const connection of this.#connections) connection.destroy();
    await closed;
  }

  #accept(socket: Socket): void {
    if (this.#connections.size >= this.#limits.maxConnections || this.#server === null) {
      this.#logger.warn({ remote: socket.remoteAddress, limit: this.#limits.maxConnections }, "connection refused: too many connections");
      socket.destroy();
      return;
    }
    const connection = new Connection(this.#nextId++, socket, this.#limits, this.#logger, (request, conn) => this.#dispatch(request, conn));
    this.#connections.add(connection);
    connection.onClose(() => this.#connections.delete(connection));
  }

  async #dispatch(request: RemotingCommand, connection: Connection): Promise<RemotingCommand | null> {
    const context: RequestContext = { connection };
    try {
      const refused = this.#options.hook?.(request, context) ?? null;
      if (refused !== null) return refused;
      const processor = this.#options.processors.get(request.code);
      if (processor === undefined) {
        return RemotingCommand.response(request, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, `request type ${request.code} not supported`);
      }
      if (processor.rejectRequest?.() === true) {
        return RemotingCommand.response(request, ResponseCode.SYSTEM_BUSY, "[REJECTREQUEST]system busy, start flow control for a while");
      }
      return await processor.processRequest(request, context);
    } catch (error) {
      if (error instanceof HeaderFieldError) return RemotingCommand.response(request, ResponseCode.SYSTEM_ERROR, error.message);
      this.#logger.error({ err: error, code: requestCodeName(request.code), remote: connection.remoteAddress }, "request failed");
      return RemotingCommand.response(request, ResponseCode.SYSTEM_ERROR, `${requestCodeName(request.code)} failed: ${(error as Error).message}`);
    }
  }
}

type Dispatch = (request: RemotingCommand, connection: Connection) => Promise<RemotingCommand | null>;

/** One accepted socket: decodes frames, runs requests concurrently, writes responses as they finish. */
class Connection implements RemotingConnection {
  readonly id: number;
  readonly remoteAddress: string;
  readonly #socket: Socket;
  readonly #decoder: FrameDecoder;
  readonly #limits: RemotingServerLimits;
  readonly #logger: Logger;
  readonly #dispatch: Dispatch;
  readonly #closeListeners: (() => void)[] = [];
  #inFlight = 0;
  #writeBlocked = false;
  #idleWaiters: (() => void)[] = [];
  #open = true;

  constructor(id: number, socket: Socket, limits: RemotingServerLimits, logger: Logger, dispatch: Dispatch) {
    this.id = id;
    this.remoteAddress = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? 0}`;
    this.#socket = socket;
    this.#limits = limits;
    this.#logger = logger;
    this.#dispatch = dispatch;
    this.#decoder = new FrameDecoder(limits);
    socket.setTimeout(limits.idleTimeoutMs);
    socket.on("timeout", () => {
      this.#logger.info({ remote: this.remoteAddress, idleMs: limits.idleTimeoutMs }, "closing idle connection");
      socket.destroy();
    });
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("drain", () => {
      this.#writeBlocked = false;
      this.#updateReading();
    });
    socket.on("error", (error) => this.#logger.debug({ err: error, remote: this.remoteAddress }, "socket error"));
    socket.on("close", () => this.#onClose());
  }

  get isOpen(): boolean {
    return this.#open;
  }

  sendOneway(command: RemotingCommand): void {
    this.#write(command);
  }

  onClose(listener: () => void): void {
    if (this.#open) this.#closeListeners.push(listener);
    else listener();
  }

  /** Resolves once no request is in flight, or at `deadline` (ms since epoch). */
  drain(deadline: number): Promise<void> {
    if (this.#inFlight === 0 || !this.#open) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      this.#idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (error) {
      this.#logger.warn({ err: error, remote: this.remoteAddress }, "closing connection: bad frame");
      this.#socket.destroy();
      return;
    }
    for (const frame of frames) {
      let command: RemotingCommand;
      try {
        command = RemotingCommand.decode(frame);
      } catch (error) {
        this.#logger.warn({ err: error, remote: this.remoteAddress }, "closing connection: bad frame");
        this.#socket.destroy();
        return;
      }
      if (!command.isResponse) this.#run(command);
    }
    this.#updateReading();
  }

  #run(request: RemotingCommand): void {
    this.#inFlight++;
    void this.#dispatch(request, this).then((response) => {
      this.#inFlight--;
      if (response !== null && !request.isOneway) this.#write(response);
      if (this.#inFlight === 0) this.#notifyIdle();
      this.#updateReading();
    });
  }

  #write(command: RemotingCommand): void {
    if (!this.#open) return;
    if (!this.#socket.write(command.encode())) this.#writeBlocked = true;
  }

  /** Reads only while the peer's writes drain and fewer than the limit of requests are in flight. */
  #updateReading(): void {
    if (!this.#open) return;
    const shouldPause = this.#writeBlocked || this.#inFlight >= this.#limits.maxInFlightPerConnection;
    if (shouldPause && !this.#socket.isPaused()) this.#socket.pause();
    else if (!shouldPause && this.#socket.isPaused()) this.#socket.resume();
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const waiter of waiters) waiter();
  }

  #onClose(): void {
    this.#open = false;
    this.#notifyIdle();
    for (const listener of this.#closeListeners.splice(0)) listener();
  }
}
