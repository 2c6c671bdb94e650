import type { Logger } from "pino";
import type { RemotingConnection } from "../request-processor.js";

/** Registrations (group × connection) at most; further producers are not tracked. */
export const MAX_PRODUCER_REGISTRATIONS = 100_000;

interface ProducerChannel {
  readonly clientId: string;
  lastUpdateTimestamp: number;
}

/**
 * Online producers per group (ProducerManager.java), from heartbeats; dropped on UNREGISTER_CLIENT,
 * connection close, or after `channelExpiredTimeoutMs` without a heartbeat.
 */
export class ProducerManager {
  readonly #groups = new Map<string, Map<number, ProducerChannel>>();
  readonly #channelExpiredTimeoutMs: number;
  readonly #logger: Logger;
  #registrations = 0;

  constructor(options: { readonly channelExpiredTimeoutMs: number; readonly logger: Logger }) {
    this.#channelExpiredTimeoutMs = options.channelExpiredTimeoutMs;
    this.#logger = options.logger;
  }

  /** Client ids of a producer group. */
  getClientIds(group: string): string[] {
    return [...(this.#groups.get(group)?.values() ?? [])].map((channel) => channel.clientId);
  }

  /** Records a producer's heartbeat (`now`: ms). */
  registerProducer(
    group: string,
    clientId: string,
    connection: RemotingConnection,
    now = Date.now(),
  ): void {
    let channels = this.#groups.get(group);
    const existing = channels?.get(connection.id);
    if (existing !== undefined) {
      existing.lastUpdateTimestamp = now;
      return;
    }
    if (this.#registrations >= MAX_PRODUCER_REGISTRATIONS) return;
    if (channels === undefined)
      this.#groups.set(group, (channels = new Map<number, ProducerChannel>()));
    channels.set(connection.id, { clientId, lastUpdateTimestamp: now });
    this.#registrations++;
    this.#logger.debug({ group, clientId }, "producer registered");
  }

  /** Forgets the producer of `group` on this connection. */
  unregisterProducer(group: string, connection: RemotingConnection): void {
    this.#delete(group, connection.id);
  }

  /** Forgets every producer on a closed connection. */
  doChannelCloseEvent(connection: RemotingConnection): void {
    for (const group of [...this.#groups.keys()]) this.#delete(group, connection.id);
  }

  /** Forgets producers whose last heartbeat is older than the idle limit (`now`: ms). */
  scanNotActiveChannel(now = Date.now()): void {
    for (const [group, channels] of [...this.#groups]) {
      for (const [id, channel] of [...channels])
        if (now - channel.lastUpdateTimestamp > this.#channelExpiredTimeoutMs)
          this.#delete(group, id);
    }
  }

  #delete(group: string, connectionId: number): void {
    const channels = this.#groups.get(group);
    if (channels?.delete(connectionId) !== true) return;
    this.#registrations--;
    if (channels.size === 0) this.#groups.delete(group);
  }
}
