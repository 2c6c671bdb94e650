import type { Settings } from "./proto-types.js";
import { durationOf } from "./proto-types.js";

/** What the proxy tells clients in its Settings replies. */
export interface ClientSettingsConfig {
  /** Largest body producers may send, bytes. */
  readonly maxBodySize: number;
  /** Long-poll time of push consumers, ms (the Java proxy's 20 s). */
  readonly longPollingTimeoutMs: number;
  /** Messages per push-consumer receive. */
  readonly receiveBatchSize: number;
  /** A group's `maxReconsumeTimes`: consumers get `max_attempts` = this + 1. */
  readonly maxReconsumeTimes: (group: string) => number;
  /** Clients whose settings are kept at most. */
  readonly maxClients: number;
}

/** A client as the proxy knows it from its Settings. */
export interface ClientRecord {
  readonly clientId: string;
  readonly settings: Settings;
  /** Last Settings or Heartbeat, ms since the epoch. */
  lastSeenMs: number;
}

/**
 * The clients' settings by client id (the Java proxy's GrpcClientSettingsManager): each Settings a
 * client sends is kept and answered with the complete reply the client needs (research §3.2):
 * producers get `backoff_policy.exponential_backoff` and `publishing{max_body_size,
 * validate_message_type}`, consumers `subscription{receive_batch_size, long_polling_timeout, fifo}` and an
 * exponential back-off (the Node client asserts that strategy).
 */
export class ClientSettingsManager {
  readonly #config: ClientSettingsConfig;
  readonly #clients = new Map<string, ClientRecord>();

  constructor(config: ClientSettingsConfig) {
    this.#config = config;
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  get(clientId: string): ClientRecord | undefined {
    return this.#clients.get(clientId);
  }

  /** Records a client's settings; false when `maxClients` other clients are already known. */
  update(clientId: string, settings: Settings): boolean {
    if (!this.#clients.has(clientId) && this.#clients.size >= this.#config.maxClients) return false;
    this.#clients.set(clientId, { clientId, settings, lastSeenMs: Date.now() });
    return true;
  }

  touch(clientId: string): boolean {
    const record = this.#clients.get(clientId);
    if (record !== undefined) record.lastSeenMs = Date.now();
    return record !== undefined;
  }

  remove(clientId: string): void {
    this.#clients.delete(clientId);
  }

  /** The Settings reply: the client's own settings with the server's values merged in. */
  reply(settings: Settings): Settings {
    const reply: Settings = { ...settings, metric: { on: false } };
    delete reply.pub_sub;
    if (
      settings.subscription !== undefined ||
      settings.client_type === "PUSH_CONSUMER" ||
      settings.client_type === "SIMPLE_CONSUMER"
    ) {
      const group = settings.subscription?.group?.name ?? "";
      reply.subscription = {
        ...settings.subscription,
        receive_batch_size: this.#config.receiveBatchSize,
        long_polling_timeout: durationOf(this.#config.longPollingTimeoutMs),
        fifo: false,
      };
      reply.backoff_policy = {
        max_attempts: this.#config.maxReconsumeTimes(group) + 1,
        exponential_backoff: { initial: durationOf(1000), max: durationOf(60_000), multiplier: 2 },
      };
      delete reply.publishing;
      return reply;
    }
    reply.publishing = {
      topics: settings.publishing?.topics ?? [],
      max_body_size: this.#config.maxBodySize,
      validate_message_type: true,
    };
    reply.backoff_policy = {
      max_attempts: 3,
      exponential_backoff: { initial: durationOf(10), max: durationOf(1000), multiplier: 2 },
    };
    return reply;
  }
}
