import type { Socket } from "node:net";
import type { Logger } from "pino";
import { FrameDecoder } from "./remoting/frame-decoder.js";
import type { FrameLimits } from "./remoting/frame-decoder.js";
import { RemotingCommand } from "./remoting/remoting-command.js";
import { ResponseCode } from "./remoting/response-code.js";
import type { RemotingConnection } from "./request-processor.js";

/** The limits one connection keeps (a subset of RemotingServerLimits). */
export interface ConnectionLimits extends FrameLimits {
  readonly maxInFlightPerConnection: number;
  readonly idleTimeoutMs: number;
}

/** Runs one request; resolves its response, or null for none. Never rejects. */
export type Dispatch = (
  request: RemotingCommand,
  connection: ServerConnection,
) => Promise<RemotingCommand | null>;

/**
 * Runs `connection.pumpScheduled()` later in this turn of the event loop (after the poll phase), for
 * every connection that received frames in it at once.
 */
export type SchedulePump = (connection: ServerConnection) => void;

/**
 * One accepted socket of a RemotingServer: decodes frames, runs up to `maxInFlightPerConnection`
 * requests at once, writes each response as it is ready (out of order), and stops reading the socket
 * while its writes do not drain, while requests running and waiting reach the in-flight limit, or
 * once the server is closing.
 *
 * Frames are started in the check phase of the event-loop turn that read them, with those of every
 * other connection of that turn: one macrotask, so the store batches their puts (one write per
 * turn, not one per connection).
 *
 * Memory per connection is bounded: the socket's readable buffer, the decoder's partial frame
 * (≤ frameMaxLength), up to `maxInFlightPerConnection` frames (and one more chunk's) waiting to
 * start, and the responses of at most `maxInFlightPerConnection` requests queued for writing once
 * the peer stops reading.
 */
export class ServerConnection implements RemotingConnection {
  readonly id: number;
  readonly remoteAddress: string;
  readonly #socket: Socket;
  readonly #decoder: FrameDecoder;
  readonly #limits: ConnectionLimits;
  readonly #logger: Logger;
  readonly #dispatch: Dispatch;
  readonly #schedulePump: SchedulePump;
  #pumpScheduled = false;
  readonly #closeListeners: (() => void)[] = [];
  /** Decoded frames waiting for an in-flight slot, from `#backlogStart`. */
  #backlog: Buffer[] = [];
  #backlogStart = 0;
  #backlogBytes = 0;
  #inFlight = 0;
  #writeBlocked = false;
  #corked = false;
  #closing = false;
  /** A bad frame arrived: nothing after it is read. */
  #broken = false;
  #open = true;
  #idleWaiters: (() => void)[] = [];

  constructor(
    id: number,
    socket: Socket,
    limits: ConnectionLimits,
    logger: Logger,
    dispatch: Dispatch,
    schedulePump: SchedulePump,
  ) {
    this.id = id;
    this.remoteAddress = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? 0}`;
    this.#socket = socket;
    this.#limits = limits;
    this.#logger = logger;
    this.#dispatch = dispatch;
    this.#schedulePump = schedulePump;
    this.#decoder = new FrameDecoder(limits);
    if (limits.idleTimeoutMs > 0) socket.setTimeout(limits.idleTimeoutMs);
    socket.on("timeout", () => {
      this.#logger.info(
        { remote: this.remoteAddress, idleMs: limits.idleTimeoutMs },
        "closing idle connection",
      );
      socket.destroy();
    });
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("drain", () => {
      this.#writeBlocked = false;
      this.#pump();
    });
    socket.on("error", (error) =>
      this.#logger.debug({ err: error, remote: this.remoteAddress }, "socket error"),
    );
    socket.on("close", () => this.#onClose());
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** Requests being processed now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Bytes this connection holds: responses not yet taken by the kernel, a partial frame, waiting frames. */
  get bufferedBytes(): number {
    return this.#socket.writableLength + this.#decoder.bufferedBytes + this.#backlogBytes;
  }

  /** Whether the socket is not being read (backpressure, in-flight limit, or closing). */
  get isReadPaused(): boolean {
    return this.#socket.isPaused();
  }

  sendOneway(command: RemotingCommand): void {
    this.#writeFrame(command.encode());
  }

  onClose(listener: () => void): void {
    if (this.#open) this.#closeListeners.push(listener);
    else this.#runCloseListener(listener);
  }

  /** Stops reading new requests; those already received still run. */
  beginClosing(): void {
    this.#closing = true;
    this.#updateReading();
  }

  /** Resolves once no request is in flight or waiting, or at `deadline` (ms since epoch). */
  drain(deadline: number): Promise<void> {
    if (this.#isIdle() || !this.#open) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      this.#idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Ends the socket once its writes are flushed; destroys it at `deadline` if that takes longer. */
  end(deadline: number): Promise<void> {
    if (!this.#open) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#socket.destroy(), Math.max(0, deadline - Date.now()));
      this.#socket.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      this.#socket.end();
    });
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    if (this.#broken) return;
    let frames: Buffer[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (error) {
      this.#closeBadFrame(error); // the frames before it still run
      return;
    }
    for (const frame of frames) {
      this.#backlog.push(frame);
      this.#backlogBytes += frame.length;
    }
    if (!this.#pumpScheduled) {
      this.#pumpScheduled = true;
      this.#schedulePump(this);
    }
    this.#updateReading();
  }

  /** Starts the requests received in this turn of the event loop (see SchedulePump). */
  pumpScheduled(): void {
    this.#pumpScheduled = false;
    this.#pump();
  }

  /** Starts waiting requests while slots are free and writes drain, then decides whether to read on. */
  #pump(): void {
    const limit = this.#limits.maxInFlightPerConnection;
    while (
      this.#open &&
      !this.#writeBlocked &&
      this.#backlogStart < this.#backlog.length &&
      this.#inFlight < limit
    ) {
      const frame = this.#backlog[this.#backlogStart]!;
      this.#backlog[this.#backlogStart++] = EMPTY;
      this.#backlogBytes -= frame.length;
      let command: RemotingCommand;
      try {
        command = RemotingCommand.decode(frame);
      } catch (error) {
        this.#discardBacklog(); // the frames after it
        this.#closeBadFrame(error);
        return;
      }
      if (command.isResponse) {
        this.#logger.debug(
          { remote: this.remoteAddress, opaque: command.opaque },
          "ignoring a response from a client",
        );
      } else this.#run(command);
    }
    if (this.#backlogStart === this.#backlog.length) {
      this.#backlog = [];
      this.#backlogStart = 0;
    }
    this.#updateReading();
  }

  #run(request: RemotingCommand): void {
    this.#inFlight++;
    this.#dispatch(request, this)
      .then((response) => {
        this.#inFlight--;
        if (response !== null && !request.isOneway) this.#writeResponse(request, response);
        this.#pump();
        if (this.#isIdle()) this.#notifyIdle();
      })
      .catch((error: unknown) => {
        this.#logger.error(
          { err: error, remote: this.remoteAddress },
          "closing connection: answering a request failed",
        );
        this.#socket.destroy();
      });
  }

  #writeResponse(request: RemotingCommand, response: RemotingCommand): void {
    let frame: Buffer;
    try {
      frame = response.encode();
    } catch (error) {
      this.#logger.error(
        { err: error, remote: this.remoteAddress, code: request.code },
        "a response could not be encoded",
      );
      const remark = `the response could not be encoded: ${messageOf(error)}`;
      frame = RemotingCommand.response(request, ResponseCode.SYSTEM_ERROR, remark).encode();
    }
    this.#writeFrame(frame);
  }

  /** Writes of one tick go out together (cork until the tick's promise jobs are done: one writev). */
  #writeFrame(frame: Buffer): void {
    if (!this.#open) return;
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(uncork, this);
    }
    if (!this.#socket.write(frame)) this.#writeBlocked = true;
  }

  /** Sends what this tick corked (called by `uncork` on the next tick). */
  flushCorked(): void {
    this.#corked = false;
    this.#socket.uncork();
  }

  /** Reads only while writes drain, requests running and waiting stay under the limit, and the server is not closing. */
  #updateReading(): void {
    if (!this.#open) return;
    const waiting = this.#backlog.length - this.#backlogStart;
    const atLimit = this.#inFlight + waiting >= this.#limits.maxInFlightPerConnection;
    const shouldPause = this.#closing || this.#writeBlocked || atLimit;
    if (shouldPause && !this.#socket.isPaused()) this.#socket.pause();
    else if (!shouldPause && this.#socket.isPaused()) this.#socket.resume();
  }

  /**
   * The stream cannot be resynchronised after a bad frame: read nothing more, answer the requests
   * that came before it (up to BAD_FRAME_GRACE_MS), then close.
   */
  #closeBadFrame(error: unknown): void {
    this.#logger.warn(
      { err: error, remote: this.remoteAddress },
      `closing connection: bad frame: ${messageOf(error)}`,
    );
    this.#broken = true;
    this.beginClosing();
    const deadline = Date.now() + BAD_FRAME_GRACE_MS;
    void this.drain(deadline).then(() => this.end(deadline + BAD_FRAME_GRACE_MS));
  }

  #isIdle(): boolean {
    return this.#inFlight === 0 && this.#backlogStart === this.#backlog.length;
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const waiter of waiters) waiter();
  }

  #discardBacklog(): void {
    this.#backlog = [];
    this.#backlogStart = 0;
    this.#backlogBytes = 0;
  }

  #onClose(): void {
    this.#open = false;
    this.#discardBacklog();
    this.#notifyIdle();
    for (const listener of this.#closeListeners.splice(0)) this.#runCloseListener(listener);
  }

  #runCloseListener(listener: () => void): void {
    try {
      listener();
    } catch (error) {
      this.#logger.error(
        { err: error, remote: this.remoteAddress },
        "a connection close listener threw",
      );
    }
  }
}

const EMPTY = Buffer.alloc(0);

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function uncork(connection: ServerConnection): void {
  connection.flushCorked();
}

/** How long a connection closed for a bad frame has to answer its earlier requests, and then to flush, ms. */
const BAD_FRAME_GRACE_MS = 3_000;
