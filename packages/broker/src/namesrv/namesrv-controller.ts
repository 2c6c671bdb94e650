import type { Logger } from "pino";
import { pino } from "pino";
import { z } from "zod";
import { BrokerError } from "../broker-error.js";
import { RemotingServer } from "../remoting-server.js";
import { RequestCode } from "../remoting/request-code.js";
import type { RequestProcessor } from "../request-processor.js";
import { NamesrvProcessor } from "./namesrv-processor.js";
import { DEFAULT_BROKER_CHANNEL_EXPIRED_TIME_MS, RouteInfoManager } from "./route-info-manager.js";

/** The name server's settings (RocketMQ's NamesrvConfig names). */
export const namesrvConfigSchema = z
  .object({
    namesrvPort: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(9876)
      .describe("name-server port for clients and brokers; 0 picks a free one"),
    namesrvHost: z.string().optional().describe("address to bind; default all interfaces"),
    scanNotActiveBrokerInterval: z
      .number()
      .int()
      .min(100)
      .max(2_147_483_647)
      .default(5000)
      .describe("ms between checks for brokers not heard from for brokerChannelExpiredTimeMs"),
    brokerChannelExpiredTimeMs: z
      .number()
      .int()
      .min(1000)
      .max(2_147_483_647)
      .default(DEFAULT_BROKER_CHANNEL_EXPIRED_TIME_MS)
      .describe(
        "ms; a broker not heard from this long leaves the routes (unless its registration names its own timeout)",
      ),
    serverChannelMaxIdleTimeSeconds: z
      .number()
      .int()
      .min(1)
      .max(86_400)
      .default(120)
      .describe("s; an idle connection is closed"),
  })
  .strict();

/** The config a `NamesrvController` accepts. */
export type NamesrvConfigInput = z.input<typeof namesrvConfigSchema>;
/** A validated name-server config with defaults filled in. */
export type NamesrvConfig = z.output<typeof namesrvConfigSchema>;

/**
 * A name server (NamesrvController.java) on its own RemotingServer: routes for many brokers, fed by
 * REGISTER_BROKER over the network or, for a broker in the same process, by `routeInfoManager` directly.
 */
export class NamesrvController {
  readonly config: NamesrvConfig;
  readonly routeInfoManager: RouteInfoManager;
  readonly #logger: Logger;
  #server: RemotingServer | null = null;
  #scanTimer: NodeJS.Timeout | null = null;

  /** @throws BrokerError INVALID_CONFIG naming the bad key. */
  constructor(config: NamesrvConfigInput = {}, options: { readonly logger?: Logger } = {}) {
    const parsed = namesrvConfigSchema.safeParse(config);
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (issue) => `${issue.path.join(".") || "(config)"}: ${issue.message}`,
      );
      throw new BrokerError(
        "INVALID_CONFIG",
        `invalid name-server config: ${problems.join("; ")}`,
        { cause: parsed.error },
      );
    }
    this.config = parsed.data;
    this.#logger = options.logger ?? pino({ name: "namesrv", level: "info" });
    const { brokerChannelExpiredTimeMs } = this.config;
    this.routeInfoManager = new RouteInfoManager(this.#logger, { brokerChannelExpiredTimeMs });
  }

  /** The bound port (after `start`). */
  get listenPort(): number {
    return this.#server?.port ?? 0;
  }

  /** Starts listening on `namesrvPort` (0: any free port). */
  async start(): Promise<void> {
    if (this.#server !== null)
      throw new BrokerError("BAD_STATE", "the name server is already started");
    const processor = new NamesrvProcessor(this.routeInfoManager);
    const processors = new Map<number, RequestProcessor>(
      [
        RequestCode.REGISTER_BROKER,
        RequestCode.UNREGISTER_BROKER,
        RequestCode.GET_ROUTEINFO_BY_TOPIC,
        RequestCode.GET_BROKER_CLUSTER_INFO,
      ].map((code) => [code, processor]),
    );
    const server = new RemotingServer({
      port: this.config.namesrvPort,
      host: this.config.namesrvHost,
      processors,
      logger: this.#logger,
      limits: { idleTimeoutMs: this.config.serverChannelMaxIdleTimeSeconds * 1000 },
    });
    await server.start();
    this.#server = server;
    this.#scanTimer = setInterval(
      () => this.routeInfoManager.scanNotActiveBroker(),
      this.config.scanNotActiveBrokerInterval,
    );
    this.#scanTimer.unref();
    this.#logger.info({ port: server.port }, "name server started");
  }

  /** Stops listening and closes every connection. */
  async shutdown(): Promise<void> {
    if (this.#scanTimer !== null) clearInterval(this.#scanTimer);
    this.#scanTimer = null;
    await this.#server?.shutdown(1000);
    this.#server = null;
  }
}
