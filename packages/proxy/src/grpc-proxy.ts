import { fileURLToPath } from "node:url";
import type {
  ServerUnaryCall,
  sendUnaryData,
  ServiceDefinition,
  UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import type { Logger } from "pino";
import { pino } from "pino";
import { AckMessageActivity } from "./ack-message-activity.js";
import { ClientActivity, clientIdOf } from "./client-activity.js";
import type { TelemetryCall } from "./client-activity.js";
import { ClientSettingsManager } from "./client-settings-manager.js";
import { OffsetActivity } from "./offset-activity.js";
import type { ProxyBroker } from "./proxy-broker.js";
import { ReceiveMessageActivity } from "./receive-message-activity.js";
import type { ReceiveCall } from "./receive-message-activity.js";
import { endpointsOf, RouteActivity } from "./route-activity.js";
import { SendMessageActivity } from "./send-message-activity.js";
import type { Status } from "./proto-types.js";
import { Code, status, StatusException } from "./status.js";

/** The vendored apache/rocketmq-apis protos (see proto/VERSION). */
export const PROTO_ROOT = fileURLToPath(new URL("../proto", import.meta.url));

const MIB = 1024 * 1024;

/** What a `GrpcProxy` takes: the broker to serve, the port, host, logger and limits. */
export interface GrpcProxyOptions {
  readonly broker: ProxyBroker;
  /** Port to listen on (RocketMQ proxy's default 8081); 0 picks a free one (read `port` after `start`). */
  readonly grpcPort: number;
  /** Address to bind; default all interfaces ("0.0.0.0"). */
  readonly host?: string;
  readonly logger?: Logger;
  /** Largest message body, bytes; told to producers as `max_body_size`. Default 4 MiB (the client's own). */
  readonly maxBodySize?: number;
  /** Push consumers' long-poll, and the longest any receive waits, ms. Default 20 s (the Java proxy's). */
  readonly longPollingTimeoutMs?: number;
  /** Invisible time of push consumers' receives (they name none), ms. Default 60 s. */
  readonly defaultInvisibleTimeMs?: number;
  /** Furthest `delivery_timestamp` ahead of now, ms. Default 24 h. */
  readonly maxDelayMs?: number;
  /** Unary calls and receives being processed at once; past it calls answer TOO_MANY_REQUESTS. Default 10,000. */
  readonly maxInFlightCalls?: number;
  /** Clients whose settings are kept. Default 10,000. */
  readonly maxClients?: number;
  /** How long `shutdown()` waits for calls in progress before cutting them, ms. Default 5,000. */
  readonly shutdownTimeoutMs?: number;
}

type UnaryHandler = (
  call: ServerUnaryCall<unknown, unknown>,
  callback: sendUnaryData<unknown>,
) => void;

let cachedService: ServiceDefinition | null = null;

/** The MessagingService definition, loaded once from the vendored protos. */
export function messagingServiceDefinition(): ServiceDefinition {
  if (cachedService !== null) return cachedService;
  const definition = loadSync("apache/rocketmq/v2/service.proto", {
    includeDirs: [PROTO_ROOT],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  // proto-loader's entry for a service is its method table, which is what Server.addService takes.
  cachedService = definition["apache.rocketmq.v2.MessagingService"] as unknown as ServiceDefinition;
  return cachedService;
}

/**
 * RocketMQ 5's gRPC proxy in "local" mode: `apache.rocketmq.v2.MessagingService` over @grpc/grpc-js,
 * in the broker's process, so the official RocketMQ 5 clients (`rocketmq-client-nodejs` and the others)
 * produce and consume on the broker's topics and store. Consumption uses the broker's pop service.
 *
 * ```ts
 * const proxy = new GrpcProxy({ broker, grpcPort: 8081 });
 * await proxy.start();
 * // ... clients connect to <host>:8081 ...
 * await proxy.shutdown();
 * ```
 */
export class GrpcProxy {
  readonly #options: GrpcProxyOptions;
  readonly #logger: Logger;
  readonly #stopping = new AbortController();
  readonly #clients: ClientActivity;
  readonly #routes: RouteActivity;
  readonly #sends: SendMessageActivity;
  readonly #receives: ReceiveMessageActivity;
  readonly #acks: AckMessageActivity;
  readonly #offsets: OffsetActivity;
  readonly #maxInFlight: number;
  #server: Server | null = null;
  #port = 0;
  #inFlight = 0;

  constructor(options: GrpcProxyOptions) {
    this.#options = options;
    this.#logger = options.logger ?? pino({ level: "silent" });
    const broker = options.broker;
    const maxBodySize = options.maxBodySize ?? 4 * MIB;
    const longPollingTimeoutMs = options.longPollingTimeoutMs ?? 20_000;
    this.#maxInFlight = options.maxInFlightCalls ?? 10_000;
    const settings = new ClientSettingsManager({
      maxBodySize,
      longPollingTimeoutMs,
      receiveBatchSize: broker.popService.limits.maxBatchSize,
      maxReconsumeTimes: (group) => broker.popService.maxReconsumeTimes(group),
      maxClients: options.maxClients ?? 10_000,
    });
    this.#clients = new ClientActivity(settings, this.#logger);
    this.#routes = new RouteActivity(broker, () => endpointsOf(this.#advertisedHost(), this.#port));
    this.#sends = new SendMessageActivity(
      broker,
      {
        maxBodySize,
        maxDelayMs: options.maxDelayMs ?? 24 * 3600 * 1000,
        maxUserPropertySize: 16 * 1024,
        maxMessagesPerRequest: 1024,
      },
      this.#logger,
    );
    const pop = broker.popService.limits;
    this.#receives = new ReceiveMessageActivity(
      broker,
      {
        defaultInvisibleTimeMs: options.defaultInvisibleTimeMs ?? 60_000,
        minInvisibleTimeMs: pop.minInvisibleTimeMs,
        maxInvisibleTimeMs: pop.maxInvisibleTimeMs,
        maxLongPollingTimeoutMs: longPollingTimeoutMs,
        maxBatchSize: pop.maxBatchSize,
      },
      this.#logger,
      this.#stopping.signal,
    );
    this.#acks = new AckMessageActivity(broker, this.#logger);
    this.#offsets = new OffsetActivity(broker);
  }

  /** The bound port (after `start`). */
  get port(): number {
    return this.#port;
  }

  /** Telemetry streams open now (one per client and endpoint). */
  get telemetryStreamCount(): number {
    return this.#clients.streamCount;
  }

  /** Starts serving; resolves the bound port. */
  async start(): Promise<number> {
    if (this.#server !== null) return this.#port;
    const maxBodySize = this.#options.maxBodySize ?? 4 * MIB;
    // Headroom over the body for the request's other fields (research §1: a 4 MiB body is 4194379 bytes).
    const server = new Server({ "grpc.max_receive_message_length": maxBodySize + MIB });
    server.addService(messagingServiceDefinition(), this.#handlers());
    const address = `${this.#options.host ?? "0.0.0.0"}:${this.#options.grpcPort}`;
    this.#port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(address, ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      );
    });
    this.#server = server;
    this.#logger.info({ port: this.#port }, "gRPC proxy listening");
    return this.#port;
  }

  /**
   * Stops gracefully: waiting receives answer MESSAGE_NOT_FOUND, telemetry streams end with OK, calls in
   * progress finish (up to `shutdownTimeoutMs`, then they are cut). Idempotent.
   */
  async shutdown(): Promise<void> {
    const server = this.#server;
    if (server === null) return;
    this.#server = null;
    this.#stopping.abort();
    this.#clients.endAll();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, this.#options.shutdownTimeoutMs ?? 5000);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #advertisedHost(): string {
    const host = this.#options.host ?? "0.0.0.0";
    return host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  }

  #handlers(): UntypedServiceImplementation {
    const unimplemented = (what: string): UnaryHandler =>
      this.#unary(() => ({
        status: status(Code.NOT_IMPLEMENTED, `${what} is not implemented by this broker`),
      }));
    return {
      QueryRoute: this.#unary((request) => this.#routes.queryRoute(request as never)),
      Heartbeat: this.#unary((request, call) =>
        this.#clients.heartbeat(clientIdOf(call), request as never),
      ),
      SendMessage: this.#unary((request, call) =>
        this.#sends.sendMessage(request as never, call.getPeer()),
      ),
      QueryAssignment: this.#unary((request) => this.#routes.queryAssignment(request as never)),
      ReceiveMessage: (call: ReceiveCall) => void this.#receive(call),
      AckMessage: this.#unary((request) => this.#acks.ackMessage(request as never)),
      ForwardMessageToDeadLetterQueue: this.#unary((request) =>
        this.#acks.forwardMessageToDeadLetterQueue(request as never),
      ),
      ChangeInvisibleDuration: this.#unary((request) =>
        this.#acks.changeInvisibleDuration(request as never),
      ),
      NotifyClientTermination: this.#unary((_request, call) =>
        this.#clients.notifyClientTermination(clientIdOf(call)),
      ),
      GetOffset: this.#unary((request) => this.#offsets.getOffset(request as never)),
      QueryOffset: this.#unary((request) => this.#offsets.queryOffset(request as never)),
      Telemetry: (call: TelemetryCall) => this.#clients.telemetry(call),
      PullMessage: (call: ReceiveCall) => {
        call.write({
          status: status(
            Code.NOT_IMPLEMENTED,
            "PullMessage is not implemented by this broker; use ReceiveMessage",
          ),
        });
        call.end();
      },
      UpdateOffset: unimplemented("UpdateOffset"),
      EndTransaction: unimplemented("EndTransaction (transactional messages)"),
      RecallMessage: unimplemented("RecallMessage"),
      SyncLiteSubscription: unimplemented("SyncLiteSubscription (lite topics)"),
    };
  }

  /** A unary handler: every answer carries a status; bad requests and failures too. */
  #unary(
    handle: (request: unknown, call: ServerUnaryCall<unknown, unknown>) => object | Promise<object>,
  ): UnaryHandler {
    return (call, callback) => {
      if (this.#inFlight >= this.#maxInFlight) {
        callback(null, { status: status(Code.TOO_MANY_REQUESTS, "too many calls in progress") });
        return;
      }
      this.#inFlight++;
      Promise.resolve()
        .then(() => handle(call.request, call))
        .then(
          (response) => callback(null, response),
          (error: unknown) => callback(null, { status: this.#failure(error) }),
        )
        .finally(() => this.#inFlight--);
    };
  }

  async #receive(call: ReceiveCall): Promise<void> {
    if (this.#inFlight >= this.#maxInFlight) {
      call.write({ status: status(Code.TOO_MANY_REQUESTS, "too many calls in progress") });
      call.end();
      return;
    }
    this.#inFlight++;
    try {
      await this.#receives.receiveMessage(call);
    } finally {
      this.#inFlight--;
    }
  }

  #failure(error: unknown): Status {
    if (error instanceof StatusException) return error.status;
    this.#logger.error({ err: error }, "call failed");
    return status(
      Code.INTERNAL_SERVER_ERROR,
      `internal error: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
