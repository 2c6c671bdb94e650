import { connect } from "node:net";
import type { Socket } from "node:net";
import type { ExtFields } from "@store/broker";
import { FrameDecoder, RemotingCommand, RequestCode, ResponseCode } from "@store/broker";
import { StoreError } from "@store/mapped-file";

/** Why a wire call failed: no connection, a closed connection, a timeout, or an error answer. */
export type WireErrorCode = "CONNECT_FAILED" | "CONNECTION_CLOSED" | "TIMEOUT" | "TOO_MANY_IN_FLIGHT" | "BAD_RESPONSE";

export class WireError extends StoreError<WireErrorCode> {
  override readonly name = "WireError";
}

/** Requests one connection keeps in flight at most; past it `invoke` refuses (the caller bounds its concurrency). */
export const MAX_IN_FLIGHT_PER_CONNECTION = 4096;

/**
 * One RocketMQ 4.x remoting connection (JSON headers, responses matched by opaque, many requests in
 * flight): enough of a client for `demo-broker bench` and the tests that drive the broker over the wire.
 */
export class WireClient {
  readonly address: string;
  readonly #socket: Socket;
  readonly #pending = new Map<number, { resolve: (c: RemotingCommand) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  readonly #decoder = new FrameDecoder();
  #opaque = 1;
  #closed: WireError | null = null;

  private constructor(address: string, socket: Socket) {
    this.address = address;
    this.#socket = socket;
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("error", () => undefined); // "close" follows and fails what is pending
    socket.on("close", () => this.#fail(new WireError("CONNECTION_CLOSED", `connection to ${address} closed`)));
  }

  /** Connects to `host:port`. @throws WireError CONNECT_FAILED. */
  static connect(address: string, timeoutMs = 5000): Promise<WireClient> {
    const [host, portText] = splitAddress(address);
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port: Number(portText), noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new WireError("CONNECT_FAILED", `cannot connect to ${address}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        resolve(new WireClient(address, socket));
      });
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(new WireError("CONNECT_FAILED", `cannot connect to ${address}: ${error.message}`, { cause: error }));
      });
    });
  }

  /** Requests waiting for their answer. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** Sends a request and resolves its response. @throws WireError CONNECTION_CLOSED, TIMEOUT, TOO_MANY_IN_FLIGHT. */
  invoke(code: number, extFields: ExtFields, body: Buffer | null = null, timeoutMs = 10_000): Promise<RemotingCommand> {
    if (this.#closed !== null) return Promise.reject(this.#closed);
    if (this.#pending.size >= MAX_IN_FLIGHT_PER_CONNECTION) {
      return Promise.reject(new WireError("TOO_MANY_IN_FLIGHT", `${this.#pending.size} requests in flight to ${this.address}`));
    }
    const opaque = this.#opaque++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(opaque);
        reject(new WireError("TIMEOUT", `no answer from ${this.address} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(opaque, { resolve, reject, timer });
      this.#socket.write(RemotingCommand.request(code, opaque, extFields, body).encode());
    });
  }

  /** Closes the connection; requests in flight fail with CONNECTION_CLOSED. */
  close(): Promise<void> {
    if (this.#socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#socket.once("close", () => resolve());
      this.#socket.end();
      setTimeout(() => this.#socket.destroy(), 1000).unref();
    });
  }

  #onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (error) {
      this.#fail(new WireError("BAD_RESPONSE", `bad frame from ${this.address}: ${String(error)}`, { cause: error }));
      this.#socket.destroy();
      return;
    }
    for (const frame of frames) {
      const command = RemotingCommand.decode(frame);
      if (!command.isResponse) continue; // server requests (NOTIFY_CONSUMER_IDS_CHANGED, ...) are not needed here
      const pending = this.#pending.get(command.opaque);
      if (pending === undefined) continue;
      this.#pending.delete(command.opaque);
      clearTimeout(pending.timer);
      pending.resolve(command);
    }
  }

  #fail(error: WireError): void {
    this.#closed ??= error;
    for (const [opaque, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
      this.#pending.delete(opaque);
    }
  }
}

/** `host:port` → [host, port]. @throws WireError CONNECT_FAILED for another form. */
export function splitAddress(address: string): [string, string] {
  const at = address.lastIndexOf(":");
  if (at <= 0 || !/^\d{1,5}$/.test(address.slice(at + 1))) {
    throw new WireError("CONNECT_FAILED", `expected host:port, got ${JSON.stringify(address)}`);
  }
  return [address.slice(0, at), address.slice(at + 1)];
}

/** Where a topic lives: the master's address and its write / read queue counts. */
export interface TopicRoute {
  readonly brokerAddr: string;
  readonly brokerName: string;
  readonly writeQueueNums: number;
  readonly readQueueNums: number;
}

/**
 * Asks a name server (or a broker that answers routes) where `topic` is: its first broker with a
 * master (brokerId 0). Null when the name server does not know the topic. Accepts fastjson's integer
 * map keys (`{0:"ip:port"}`), which real RocketMQ name servers write.
 * @throws WireError for a connection problem or an unreadable answer.
 */
export async function queryTopicRoute(namesrvAddr: string, topic: string, timeoutMs = 5000): Promise<TopicRoute | null> {
  const client = await WireClient.connect(namesrvAddr, timeoutMs);
  try {
    const response = await client.invoke(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }, null, timeoutMs);
    if (response.code === ResponseCode.TOPIC_NOT_EXIST) return null;
    if (response.code !== ResponseCode.SUCCESS || response.body === null) {
      throw new WireError("BAD_RESPONSE", `route of ${topic} from ${namesrvAddr}: code ${response.code} ${response.remark ?? ""}`.trim());
    }
    const text = response.body.toString("utf8").replace(/([{,])\s*(-?\d+)\s*:/g, '$1"$2":');
    const route = JSON.parse(text) as {
      brokerDatas?: { brokerName: string; brokerAddrs: Record<string, string> }[];
      queueDatas?: { brokerName: string; writeQueueNums: number; readQueueNums: number }[];
    };
    for (const broker of route.brokerDatas ?? []) {
      const master = broker.brokerAddrs["0"];
      const queues = route.queueDatas?.find((queue) => queue.brokerName === broker.brokerName);
      if (master !== undefined && queues !== undefined) {
        return { brokerAddr: master, brokerName: broker.brokerName, writeQueueNums: queues.writeQueueNums, readQueueNums: queues.readQueueNums };
      }
    }
    return null;
  } finally {
    await client.close();
  }
}
