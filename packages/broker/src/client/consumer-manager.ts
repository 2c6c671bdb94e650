import type { Logger } from "pino";
import type { RemotingConnection } from "../request-processor.js";
import { notifyConsumerIdsChangedRequest } from "../remoting/notify-consumer-ids-changed/request.js";
import type { ConsumerData, SubscriptionData } from "../remoting/heart-beat/request.js";

/** One client connection of a group, as last heard from. */
interface ClientChannel {
  readonly clientId: string;
  readonly connection: RemotingConnection;
  lastUpdateTimestamp: number;
}

/** A consumer group's online clients and subscriptions (ConsumerGroupInfo.java). */
export interface ConsumerGroupInfo {
  readonly groupName: string;
  messageModel: "CLUSTERING" | "BROADCASTING";
  consumeType: string;
  consumeFromWhere: string;
  readonly subscriptions: Map<string, SubscriptionData>;
  /** connection id → client. */
  readonly channels: Map<number, ClientChannel>;
}

/** Registrations (group × connection) at most; a heartbeat beyond it is refused as busy. */
export const MAX_CONSUMER_REGISTRATIONS = 100_000;

/**
 * Online consumers per group (ConsumerManager.java): registered by heartbeats, dropped on
 * UNREGISTER_CLIENT, when their connection closes, or after `channelExpiredTimeoutMs` without a
 * heartbeat. When a group's members change, its other members get NOTIFY_CONSUMER_IDS_CHANGED.
 */
export class ConsumerManager {
  readonly #groups = new Map<string, ConsumerGroupInfo>();
  readonly #channelExpiredTimeoutMs: number;
  readonly #logger: Logger;
  #registrations = 0;
  #opaque = 1;

  constructor(options: { readonly channelExpiredTimeoutMs: number; readonly logger: Logger }) {
    this.#channelExpiredTimeoutMs = options.channelExpiredTimeoutMs;
    this.#logger = options.logger;
  }

  /** The group's live consumers and subscriptions, or undefined when none is registered. */
  getConsumerGroupInfo(group: string): ConsumerGroupInfo | undefined {
    return this.#groups.get(group);
  }

  /** The group's client ids, sorted, each once. */
  getAllClientIds(group: string): string[] {
    const info = this.#groups.get(group);
    if (info === undefined) return [];
    return [...new Set([...info.channels.values()].map((channel) => channel.clientId))].sort();
  }

  /** The group's subscription to `topic`, or undefined. */
  findSubscriptionData(group: string, topic: string): SubscriptionData | undefined {
    return this.#groups.get(group)?.subscriptions.get(topic);
  }

  /**
   * Registers or refreshes a consumer from a heartbeat. False when the registration limit is reached.
   * A new member makes the group's others get NOTIFY_CONSUMER_IDS_CHANGED.
   */
  registerConsumer(
    data: ConsumerData,
    clientId: string,
    connection: RemotingConnection,
    now = Date.now(),
  ): boolean {
    let info = this.#groups.get(data.groupName);
    const existing = info?.channels.get(connection.id);
    if (existing === undefined && this.#registrations >= MAX_CONSUMER_REGISTRATIONS) return false;
    if (info === undefined) {
      info = {
        groupName: data.groupName,
        messageModel: data.messageModel,
        consumeType: data.consumeType,
        consumeFromWhere: data.consumeFromWhere,
        subscriptions: new Map(),
        channels: new Map(),
      };
      this.#groups.set(data.groupName, info);
    }
    info.messageModel = data.messageModel;
    info.consumeType = data.consumeType;
    info.consumeFromWhere = data.consumeFromWhere;
    for (const subscription of data.subscriptions)
      info.subscriptions.set(subscription.topic, subscription);
    if (existing !== undefined && existing.clientId === clientId) {
      existing.lastUpdateTimestamp = now;
      return true;
    }
    if (existing === undefined) this.#registrations++;
    info.channels.set(connection.id, { clientId, connection, lastUpdateTimestamp: now });
    this.#logger.info(
      { group: data.groupName, clientId, remote: connection.remoteAddress },
      "consumer joined",
    );
    this.#notifyChanged(info, connection.id);
    return true;
  }

  /** UNREGISTER_CLIENT: removes the client's registration on this connection. */
  unregisterConsumer(group: string, clientId: string, connection: RemotingConnection): void {
    const info = this.#groups.get(group);
    const channel = info?.channels.get(connection.id);
    if (info === undefined || channel === undefined || channel.clientId !== clientId) return;
    this.#remove(info, connection.id, "unregistered");
  }

  /** The connection closed: every registration over it goes. */
  doChannelCloseEvent(connection: RemotingConnection): void {
    for (const info of [...this.#groups.values()])
      if (info.channels.has(connection.id)) this.#remove(info, connection.id, "connection closed");
  }

  /** Drops clients not heard from for channelExpiredTimeoutMs; returns how many. */
  scanNotActiveChannel(now = Date.now()): number {
    let removed = 0;
    for (const info of [...this.#groups.values()]) {
      for (const [id, channel] of [...info.channels]) {
        if (now - channel.lastUpdateTimestamp > this.#channelExpiredTimeoutMs) {
          this.#remove(info, id, "expired");
          removed++;
        }
      }
    }
    return removed;
  }

  #remove(info: ConsumerGroupInfo, connectionId: number, why: string): void {
    const channel = info.channels.get(connectionId);
    info.channels.delete(connectionId);
    this.#registrations--;
    this.#logger.info({ group: info.groupName, clientId: channel?.clientId, why }, "consumer left");
    if (info.channels.size === 0) this.#groups.delete(info.groupName);
    else this.#notifyChanged(info, -1);
  }

  /** NOTIFY_CONSUMER_IDS_CHANGED (oneway) to every member but the one that changed. */
  #notifyChanged(info: ConsumerGroupInfo, exceptConnectionId: number): void {
    for (const [id, channel] of info.channels) {
      if (id === exceptConnectionId || !channel.connection.isOpen) continue;
      channel.connection.sendOneway(
        notifyConsumerIdsChangedRequest(this.#opaque++, info.groupName),
      );
    }
  }
}
