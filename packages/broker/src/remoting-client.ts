import { connect } from "node:net";
import type { Socket } from "node:net";
import type { Logger } from "pino";
import { pino } from "pino";
import { DEFAULT_FRAME_LIMITS, FrameDecoder } from "./remoting/frame-decoder.js";
import type { FrameLimits } from "./remoting/frame-decoder.js";
import { FLAG_ONEWAY, RemotingCommand } from "./remoting/remoting-command.js";
import { RemotingError } from "./remoting/remoting-error.js";
import { requestCodeName } from "./remoting/request-code.js";
import { ResponseCode } from "./remoting/response-code.js";

/** Answers a request the server sent (e.g. NOTIFY_CONSUMER_IDS_CHANGED): a response, or null for none. */
export type ServerRequestHandler = (
  request: RemotingCommand,
  client: RemotingClient,
) => RemotingCommand | null | undefined | Promise<RemotingCommand | null | undefined>;

/** Options of a `RemotingClient`: the server's address and timeouts. */
export interface RemotingClientOptions {
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Give up connecting after this long, ms; default 3000. */
  readonly connectTimeoutMs?: number;
  /**
   * Requests waiting for a response (and oneways not yet written) at most; one more is refused with
   * TOO_MANY_REQUESTS. Default 4096.
   */
  readonly maxPendingRequests?: number;
  /** Server-initiated requests handled at once at most; more are answered SYSTEM_BUSY. Default 64. */
  readonly maxServerRequests?: number;
  /** Frames the server may send; default 16 MiB and a 64 KiB header. */
  readonly limits?: Partial<FrameLimits>;
  /** Handles requests the server sends; without it they are answered REQUEST_CODE_NOT_SUPPORTED. */
  readonly onRequest?: ServerRequestHandler;
  readonly logger?: Logger;
}

interface Pending {
  readonly code: number;
  readonly resolve: (response: RemotingCommand) => void;
  readonly reject: (error: RemotingError) => void;
  readonly timer: NodeJS.Timeout;
}

const MAX_OPAQUE = 0x7fffffff;

/**
 * A RocketMQ remoting-protocol client over one TCP connection: requests are numbered with its own
 * opaque counter, many may be in flight, and responses are matched by opaque whatever their order.
 * Failures reject with a RemotingError: REMOTING_TIMEOUT, CONNECTION_CLOSED, CONNECT_FAILED or
 * TOO_MANY_REQUESTS. After the connection closes every call fails; connect a new client.
 */
export class RemotingClient {
  /** `host:port` of the server. */
  readonly address: string;
  /** Resolves when the connection has closed, for whatever reason. */
  readonly closed: Promise<void>;
  readonly #socket: Socket;
  readonly #decoder: FrameDecoder;
  readonly #options: RemotingClientOptions;
  readonly #logger: Logger;
  readonly #pending = new Map<number, Pending>();
  readonly #maxPending: number;
  #onewaysUnwritten = 0;
  #serverRequests = 0;
  #opaque = 0;
  #open = true;
  #closeCause: unknown = undefined;

  private constructor(socket: Socket, options: RemotingClientOptions, address: string) {
    this.#socket = socket;
    this.#options = options;
    this.address = address;
    this.#logger = options.logger ?? pino({ level: "silent" });
    this.#maxPending = options.maxPendingRequests ?? 4096;
    this.#decoder = new FrameDecoder({ ...DEFAULT_FRAME_LIMITS, ...options.limits });
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("error", (error) => {
      this.#closeCause ??= error;
      this.#logger.debug({ err: error, server: address }, "socket error");
    });
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        this.#onClose();
        resolve();
      }),
    );
  }

  /**
   * Connects to `host:port`.
   * @throws RemotingError CONNECT_FAILED when the connection is refused or takes over connectTimeoutMs.
   */
  static connect(options: RemotingClientOptions): Promise<RemotingClient> {
    const host = options.host ?? "127.0.0.1";
    const address = `${host}:${options.port}`;
    const timeoutMs = options.connectTimeoutMs ?? 3_000;
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port: options.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new RemotingError("CONNECT_FAILED", `connecting to ${address} took over ${timeoutMs} ms`),
        );
      }, timeoutMs);
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(
          new RemotingError("CONNECT_FAILED", `could not connect to ${address}: ${error.message}`, {
            cause: error,
          }),
        );
      });
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        resolve(new RemotingClient(socket, options, address));
      });
    });
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** Requests waiting for their response. */
  get pendingRequests(): number {
    return this.#pending.size;
  }

  /**
   * Sends `command` as a request under this client's next opaque (its own opaque is ignored) and
   * resolves the response, whatever its code: a non-SUCCESS code is an answer, not an error.
   * @throws RemotingError REMOTING_TIMEOUT after `timeoutMs`; CONNECTION_CLOSED when the connection
   * is or gets closed first; TOO_MANY_REQUESTS at maxPendingRequests.
   */
  invoke(command: RemotingCommand, timeoutMs = 3_000): Promise<RemotingCommand> {
    const refused = this.#refusal();
    if (refused !== null) return Promise.reject(refused);
    const opaque = this.#nextOpaque();
    return new Promise<RemotingCommand>((resolve, reject) => {
      const frame = command.withOpaque(opaque).encode(); // a throw here rejects
      const timer = setTimeout(() => {
        this.#pending.delete(opaque);
        const name = requestCodeName(command.code);
        const message = `no response to ${name} (opaque ${opaque}) from ${this.address} within ${timeoutMs} ms`;
        reject(new RemotingError("REMOTING_TIMEOUT", message));
      }, timeoutMs);
      this.#pending.set(opaque, { code: command.code, resolve, reject, timer });
      this.#socket.write(frame);
    });
  }

  /**
   * Sends `command` with the ONEWAY flag (no response expected); resolves once the socket has taken it.
   * @throws RemotingError CONNECTION_CLOSED or TOO_MANY_REQUESTS.
   */
  invokeOneway(command: RemotingCommand): Promise<void> {
    const refused = this.#refusal();
    if (refused !== null) return Promise.reject(refused);
    return new Promise((resolve, reject) => {
      const frame = command.withOpaque(this.#nextOpaque(), FLAG_ONEWAY).encode(); // a throw here rejects
      this.#onewaysUnwritten++;
      this.#socket.write(frame, (error) => {
        this.#onewaysUnwritten--;
        if (error === null || error === undefined) resolve();
        else reject(this.#closedError(error));
      });
    });
  }

  /** Closes the connection; requests still waiting fail with CONNECTION_CLOSED. Resolves once closed. */
  close(): Promise<void> {
    if (this.#open) {
      this.#open = false;
      this.#closeCause ??= "closed by the client";
      this.#failPending();
      this.#socket.end();
      const force = setTimeout(() => this.#socket.destroy(), 1_000);
      force.unref();
    }
    return this.closed;
  }

  #refusal(): RemotingError | null {
    if (!this.#open) return this.#closedError(this.#closeCause);
    if (this.#pending.size + this.#onewaysUnwritten >= this.#maxPending) {
      return new RemotingError(
        "TOO_MANY_REQUESTS",
        `${this.#maxPending} requests to ${this.address} are already waiting`,
      );
    }
    return null;
  }

  #nextOpaque(): number {
    this.#opaque = this.#opaque >= MAX_OPAQUE ? 1 : this.#opaque + 1;
    return this.#opaque;
  }

  #onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.#decoder.push(chunk);
      for (const frame of frames) this.#onCommand(RemotingCommand.decode(frame));
    } catch (error) {
      this.#logger.warn(
        { err: error, server: this.address },
        "closing connection: bad frame from the server",
      );
      this.#closeCause ??= error;
      this.#socket.destroy();
    }
  }

  #onCommand(command: RemotingCommand): void {
    if (!command.isResponse) {
      this.#onServerRequest(command);
      return;
    }
    const pending = this.#pending.get(command.opaque);
    if (pending === undefined) {
      this.#logger.debug(
        { server: this.address, opaque: command.opaque },
        "a response nobody waits for (timed out?)",
      );
      return;
    }
    this.#pending.delete(command.opaque);
    clearTimeout(pending.timer);
    pending.resolve(command);
  }

  #onServerRequest(request: RemotingCommand): void {
    const handler = this.#options.onRequest;
    if (handler === undefined) {
      const remark = `request type ${request.code} not supported`;
      this.#answer(
        request,
        RemotingCommand.response(request, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, remark),
      );
      return;
    }
    if (this.#serverRequests >= (this.#options.maxServerRequests ?? 64)) {
      const remark = "too many requests from the server in progress";
      this.#answer(request, RemotingCommand.response(request, ResponseCode.SYSTEM_BUSY, remark));
      return;
    }
    this.#serverRequests++;
    Promise.resolve()
      .then(() => handler(request, this))
      .then(
        (response) => this.#answer(request, response ?? null),
        (error: unknown) => {
          this.#logger.error(
            { err: error, server: this.address, code: request.code },
            "the server request handler failed",
          );
          const message = error instanceof Error ? error.message : String(error);
          this.#answer(
            request,
            RemotingCommand.response(request, ResponseCode.SYSTEM_ERROR, message),
          );
        },
      )
      .finally(() => this.#serverRequests--)
      .catch((error: unknown) => {
        this.#logger.error(
          { err: error, server: this.address },
          "answering a server request failed",
        );
      });
  }

  #answer(request: RemotingCommand, response: RemotingCommand | null): void {
    if (response === null || request.isOneway || !this.#open) return;
    this.#socket.write(response.encode());
  }

  #closedError(cause: unknown): RemotingError {
    const detail =
      cause instanceof Error ? `: ${cause.message}` : typeof cause === "string" ? `: ${cause}` : "";
    return new RemotingError(
      "CONNECTION_CLOSED",
      `the connection to ${this.address} is closed${detail}`,
      { cause },
    );
  }

  #failPending(): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const request of pending) {
      clearTimeout(request.timer);
      request.reject(this.#closedError(this.#closeCause));
    }
  }

  #onClose(): void {
    this.#open = false;
    this.#closeCause ??= "closed by the server";
    this.#failPending();
  }
}
