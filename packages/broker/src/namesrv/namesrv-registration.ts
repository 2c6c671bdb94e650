import type { Logger } from "pino";
import type { BrokerConfig } from "../broker-config.js";
import type { TopicConfigManager } from "../topic/topic-config-manager.js";
import { RemotingClient } from "../remoting-client.js";
import { encodeRegisterBrokerRequest } from "../remoting/register-broker/request.js";
import type {
  RegisteredTopic,
  TopicConfigToRegister,
} from "../remoting/register-broker/request.js";
import type { RemotingCommand } from "../remoting/remoting-command.js";
import { ResponseCode } from "../remoting/response-code.js";
import { encodeUnregisterBrokerRequest } from "../remoting/unregister-broker/request.js";
import type { RouteInfoManager } from "./route-info-manager.js";

/** How long an UNREGISTER_BROKER at shutdown may take per name server, ms (BrokerOuterAPI: 3 s). */
export const UNREGISTER_TIMEOUT_MS = 3_000;
/** First retry after a failed registration, ms; doubled per failure up to the registration period. */
const FIRST_RETRY_MS = 1_000;

/** Who is registering: the header fields of REGISTER_BROKER / UNREGISTER_BROKER. */
export interface BrokerIdentity {
  readonly clusterName: string;
  readonly brokerName: string;
  /** `ip:port` clients connect to. */
  readonly brokerAddr: string;
  readonly brokerId: number;
  /** `ip:port` of the HA service; "" (none). */
  readonly haServerAddr: string;
}

/** The topics to register now and their version (the name server skips unchanged versions). */
export interface TopicSnapshot {
  readonly topics: Iterable<TopicConfigToRegister>;
  readonly dataVersion: { readonly timestamp: number; readonly counter: number };
}

/** Options of the broker's registration with name servers: its identity, the name servers and timing. */
export interface NamesrvRegistrationOptions {
  readonly identity: BrokerIdentity;
  /** External name servers, `host:port` each (the broker's `namesrvAddr` split at `;`). */
  readonly namesrvAddrs: readonly string[];
  /** A name server in this process: registered with directly, no network. */
  readonly local?: RouteInfoManager;
  /** The topic table at the moment of a registration. */
  readonly topics: () => TopicSnapshot;
  /** Per-request timeout of REGISTER_BROKER, ms (registerBrokerTimeoutMills). */
  readonly timeoutMs: number;
  /** Retries after a failure back off up to this, ms (registerNameServerPeriod). */
  readonly periodMs: number;
  readonly logger: Logger;
}

/** Where one external name server stands. */
export interface NamesrvTargetStatus {
  readonly address: string;
  /** When it last accepted a registration (epoch ms), or null. */
  readonly lastRegisteredAt: number | null;
  /** Failures since the last success. */
  readonly failures: number;
}

interface Target {
  readonly address: string;
  readonly host: string;
  readonly port: number;
  client: RemotingClient | null;
  inFlight: Promise<void> | null;
  again: boolean;
  retryTimer: NodeJS.Timeout | null;
  lastRegisteredAt: number | null;
  failures: number;
}

/**
 * The broker's side of the name servers (BrokerOuterAPI.java): `registerAll()` sends REGISTER_BROKER
 * with the whole topic table to every name server in `namesrvAddr`, each over its own kept connection,
 * and to an in-process name server directly; `shutdown()` sends UNREGISTER_BROKER. A registration
 * asked for while one to the same name server is in flight runs once after it (never more than one
 * waiting). Failures are logged and retried with backoff (1 s, 2 s, ... up to the period); they never
 * stop the broker.
 */
export class NamesrvRegistration {
  readonly #options: NamesrvRegistrationOptions;
  readonly #targets: Target[];
  #cached: { key: string; request: RemotingCommand } | null = null;
  #stopped = false;

  constructor(options: NamesrvRegistrationOptions) {
    this.#options = options;
    this.#targets = options.namesrvAddrs.map((address) => {
      const colon = address.lastIndexOf(":");
      const target = {
        address,
        host: address.slice(0, colon),
        port: Number(address.slice(colon + 1)),
      };
      return {
        ...target,
        client: null,
        inFlight: null,
        again: false,
        retryTimer: null,
        lastRegisteredAt: null,
        failures: 0,
      };
    });
  }

  /**
   * The registration of a broker configured by `config` and reachable at `brokerAddr`: with the name
   * servers of `namesrvAddr` and with `local`, an in-process one, if any.
   */
  static forBroker(
    config: BrokerConfig,
    brokerAddr: string,
    topics: TopicConfigManager,
    local: RouteInfoManager | undefined,
    logger: Logger,
  ): NamesrvRegistration {
    return new NamesrvRegistration({
      identity: {
        clusterName: config.brokerClusterName,
        brokerName: config.brokerName,
        brokerAddr,
        brokerId: config.brokerId,
        haServerAddr: "",
      },
      namesrvAddrs: NamesrvRegistration.parseNamesrvAddr(config.namesrvAddr),
      local,
      topics: () => ({ topics: topics.topics.values(), dataVersion: topics.dataVersion }),
      timeoutMs: config.registerBrokerTimeoutMills,
      periodMs: config.registerNameServerPeriod,
      logger,
    });
  }

  /** Splits `namesrvAddr` (`host:port;host:port`) into addresses; empty for undefined. */
  static parseNamesrvAddr(namesrvAddr: string | undefined): string[] {
    return (namesrvAddr ?? "")
      .split(";")
      .map((part) => part.trim())
      .filter((part) => part !== "");
  }

  /** Each external name server's state. */
  get status(): NamesrvTargetStatus[] {
    return this.#targets.map(({ address, lastRegisteredAt, failures }) => ({
      address,
      lastRegisteredAt,
      failures,
    }));
  }

  /** Registers with every name server now (in the background for external ones). */
  registerAll(): void {
    if (this.#stopped) return;
    this.#registerLocal();
    for (const target of this.#targets) this.#registerTo(target);
  }

  /** Resolves once no registration is in flight (those asked for meanwhile included). */
  async settled(): Promise<void> {
    for (;;) {
      const pending = this.#targets
        .map((target) => target.inFlight)
        .filter((inFlight) => inFlight !== null);
      if (pending.length === 0) return;
      await Promise.all(pending);
    }
  }

  /**
   * Stops registering, lets a registration in flight finish, unregisters from every name server that
   * had accepted one (UNREGISTER_BROKER, 3 s each, in parallel) and closes the connections. Never rejects.
   */
  async shutdown(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const { identity, local, logger } = this.#options;
    local?.unregisterBroker(identity.brokerAddr, identity.brokerName, identity.brokerId);
    await Promise.all(
      this.#targets.map(async (target) => {
        if (target.retryTimer !== null) clearTimeout(target.retryTimer);
        await target.inFlight;
        if (target.lastRegisteredAt !== null) await this.#unregisterFrom(target);
        await target.client?.close();
        target.client = null;
      }),
    );
    logger.debug({ namesrvs: this.#targets.length }, "unregistered from the name servers");
  }

  #registerLocal(): void {
    const { local, identity, logger } = this.#options;
    if (local === undefined) return;
    const snapshot = this.#options.topics();
    const topics = new Map<string, RegisteredTopic>();
    for (const topic of snapshot.topics) topics.set(topic.topicName, topic);
    const header = { ...identity, heartbeatTimeoutMillis: undefined };
    if (!local.registerBroker(header, { topics, dataVersion: snapshot.dataVersion }))
      logger.warn("the in-process name server refused the registration (full)");
  }

  #registerTo(target: Target): void {
    if (target.inFlight !== null) {
      target.again = true;
      return;
    }
    if (target.retryTimer !== null) clearTimeout(target.retryTimer);
    target.retryTimer = null;
    target.inFlight = this.#send(target).finally(() => {
      target.inFlight = null;
      if (target.again && !this.#stopped) {
        target.again = false;
        this.#registerTo(target);
      }
    });
  }

  async #send(target: Target): Promise<void> {
    const { logger, timeoutMs, identity } = this.#options;
    try {
      const client = await this.#client(target);
      const response = await client.invoke(this.#request(), timeoutMs);
      if (response.code !== ResponseCode.SUCCESS)
        throw new Error(`answered code ${response.code}: ${response.remark ?? ""}`);
      if (target.lastRegisteredAt === null || target.failures > 0) {
        logger.info(
          { namesrv: target.address, broker: identity.brokerName, addr: identity.brokerAddr },
          "registered with the name server",
        );
      }
      target.lastRegisteredAt = Date.now();
      target.failures = 0;
    } catch (error) {
      target.failures++;
      const retryMs = Math.min(
        FIRST_RETRY_MS * 2 ** Math.min(target.failures - 1, 20),
        this.#options.periodMs,
      );
      logger.warn(
        { namesrv: target.address, failures: target.failures, retryMs, err: messageOf(error) },
        "registering with the name server failed; will retry",
      );
      if (!this.#stopped) {
        target.retryTimer = setTimeout(() => this.#registerTo(target), retryMs);
        target.retryTimer.unref();
      }
    }
  }

  async #unregisterFrom(target: Target): Promise<void> {
    const { identity, logger } = this.#options;
    try {
      const client = await this.#client(target);
      const response = await client.invoke(
        encodeUnregisterBrokerRequest(identity),
        UNREGISTER_TIMEOUT_MS,
      );
      if (response.code !== ResponseCode.SUCCESS)
        throw new Error(`answered code ${response.code}: ${response.remark ?? ""}`);
      logger.info(
        { namesrv: target.address, broker: identity.brokerName },
        "unregistered from the name server",
      );
    } catch (error) {
      logger.warn(
        { namesrv: target.address, err: messageOf(error) },
        // the name server still drops this broker when the connection closes or the registration expires
        "unregistering from the name server failed",
      );
    }
  }

  /** The kept connection to a name server, reconnected when it closed. */
  async #client(target: Target): Promise<RemotingClient> {
    if (target.client?.isOpen === true) return target.client;
    target.client = await RemotingClient.connect({
      host: target.host,
      port: target.port,
      logger: this.#options.logger,
    });
    return target.client;
  }

  /** The REGISTER_BROKER request for the current topics, encoded once per data version. */
  #request(): RemotingCommand {
    const snapshot = this.#options.topics();
    const key = `${snapshot.dataVersion.timestamp}/${snapshot.dataVersion.counter}`;
    if (this.#cached?.key !== key)
      this.#cached = {
        key,
        request: encodeRegisterBrokerRequest(
          this.#options.identity,
          snapshot.topics,
          snapshot.dataVersion,
        ),
      };
    return this.#cached.request;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
