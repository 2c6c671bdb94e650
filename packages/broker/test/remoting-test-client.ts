import { connect } from "node:net";
import type { Socket } from "node:net";
import { FrameDecoder, RemotingCommand } from "../src/index.js";
import type { ExtFields } from "../src/index.js";

/**
 * A minimal remoting client for tests: sends requests, matches responses by opaque, and records
 * server-initiated requests and the close.
 */
export class RemotingTestClient {
  readonly socket: Socket;
  readonly requestsFromServer: RemotingCommand[] = [];
  readonly closed: Promise<void>;
  readonly #pending = new Map<number, (response: RemotingCommand) => void>();
  readonly #decoder = new FrameDecoder();
  #opaque = 1;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("data", (chunk: Buffer) => {
      for (const frame of this.#decoder.push(chunk)) {
        const command = RemotingCommand.decode(frame);
        if (!command.isResponse) this.requestsFromServer.push(command);
        else this.#pending.get(command.opaque)?.(command);
        this.#pending.delete(command.opaque);
      }
    });
    socket.on("error", () => {});
  }

  static connect(port: number, host = "127.0.0.1"): Promise<RemotingTestClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host, () => resolve(new RemotingTestClient(socket)));
      socket.once("error", reject);
    });
  }

  /** Sends a request and resolves its response. */
  invoke(
    code: number,
    extFields: ExtFields = {},
    body: Buffer | null = null,
  ): Promise<RemotingCommand> {
    const opaque = this.#opaque++;
    const response = new Promise<RemotingCommand>((resolve) => this.#pending.set(opaque, resolve));
    this.socket.write(RemotingCommand.request(code, opaque, extFields, body).encode());
    return response;
  }

  /** Writes raw bytes (malformed frames). */
  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): Promise<void> {
    this.socket.end();
    return this.closed;
  }
}
