import type { ExtFields, RemotingError } from "@store/broker";
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from "@store/broker";
import { StoreError } from "@store/mapped-file";

/** Why a wire call failed besides the transport's own errors: a bad address or an unreadable answer. */
export type WireErrorCode = "BAD_ADDRESS" | "BAD_RESPONSE";

export class WireError extends StoreError<WireErrorCode> {
  override readonly name = "WireError";
}

/**
 * One RocketMQ 4.x remoting connection for `demo-broker bench` and the tests that drive the broker
 * over the wire: @store/broker's `RemotingClient` (responses matched by opaque, many in flight,
 * bounded pending requests) addressed by `host:port`, with the request built from a code and fields.
 */
export class WireClient {
  readonly address: string;
  readonly #client: RemotingClient;

  private constructor(client: RemotingClient) {
    this.#client = client;
    this.address = client.address;
  }

  /** Connects to `host:port`. @throws WireError BAD_ADDRESS; RemotingError CONNECT_FAILED. */
  static async connect(address: string, timeoutMs = 5000): Promise<WireClient> {
    const [host, port] = splitAddress(address);
    return new WireClient(
      await RemotingClient.connect({ host, port: Number(port), connectTimeoutMs: timeoutMs }),
    );
  }

  /** Requests waiting for their answer. */
  get inFlight(): number {
    return this.#client.pendingRequests;
  }

  /**
   * Sends a request and resolves its response (any code).
   * @throws RemotingError CONNECTION_CLOSED, REMOTING_TIMEOUT, TOO_MANY_REQUESTS.
   */
  invoke(
    code: number,
    extFields: ExtFields,
    body: Buffer | null = null,
    timeoutMs = 10_000,
  ): Promise<RemotingCommand> {
    return this.#client.invoke(RemotingCommand.request(code, 0, extFields, body), timeoutMs);
  }

  /** Closes the connection; requests in flight fail with CONNECTION_CLOSED. */
  close(): Promise<void> {
    return this.#client.close();
  }
}

/** Whether `error` says the connection is gone (closed or never made). */
export function isConnectionLost(error: unknown): boolean {
  const code = (error as RemotingError | null)?.code;
  return code === "CONNECTION_CLOSED" || code === "CONNECT_FAILED";
}

/** `host:port` → [host, port]. @throws WireError CONNECT_FAILED for another form. */
export function splitAddress(address: string): [string, string] {
  const at = address.lastIndexOf(":");
  if (at <= 0 || !/^\d{1,5}$/.test(address.slice(at + 1))) {
    throw new WireError("BAD_ADDRESS", `expected host:port, got ${JSON.stringify(address)}`);
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
 * @throws RemotingError for a connection problem; WireError BAD_RESPONSE for an unreadable answer.
 */
export async function queryTopicRoute(
  namesrvAddr: string,
  topic: string,
  timeoutMs = 5000,
): Promise<TopicRoute | null> {
  const client = await WireClient.connect(namesrvAddr, timeoutMs);
  try {
    const response = await client.invoke(
      RequestCode.GET_ROUTEINFO_BY_TOPIC,
      { topic },
      null,
      timeoutMs,
    );
    if (response.code === ResponseCode.TOPIC_NOT_EXIST) return null;
    if (response.code !== ResponseCode.SUCCESS || response.body === null) {
      throw new WireError(
        "BAD_RESPONSE",
        `route of ${topic} from ${namesrvAddr}: code ${response.code} ${response.remark ?? ""}`.trim(),
      );
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
        return {
          brokerAddr: master,
          brokerName: broker.brokerName,
          writeQueueNums: queues.writeQueueNums,
          readQueueNums: queues.readQueueNums,
        };
      }
    }
    return null;
  } finally {
    await client.close();
  }
}
