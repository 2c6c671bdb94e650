import type { Logger } from "pino";
import type { ClusterInfo } from "../remoting/get-broker-cluster-info/response.js";
import type {
  BrokerData,
  QueueData,
  TopicRouteData,
} from "../remoting/get-routeinfo-by-topic/request.js";
import type {
  RegisterBrokerBody,
  RegisterBrokerRequestHeader,
  RegisteredTopic,
} from "../remoting/register-broker/request.js";
import { AUTO_CREATE_TOPIC_KEY_TOPIC, RETRY_GROUP_TOPIC_PREFIX } from "../topic/topic-config.js";

/** A broker is dropped when not heard from for this long, ms (RouteInfoManager's BROKER_CHANNEL_EXPIRED_TIME). */
export const DEFAULT_BROKER_CHANNEL_EXPIRED_TIME_MS = 120_000;
/** Brokers (addresses) tracked at most; a registration beyond it is refused. */
export const MAX_BROKERS = 4096;

interface BrokerLiveInfo {
  readonly brokerName: string;
  readonly clusterName: string;
  readonly brokerId: number;
  lastUpdateTimestamp: number;
  timeoutMs: number;
  /** The connection it registered over (network registrations), whose close removes it. */
  channelId: number | undefined;
}

/** Options of the `RouteInfoManager`: how long a broker stays registered without a heartbeat. */
export interface RouteInfoManagerOptions {
  /** A broker not heard from for this long is dropped, unless its registration names a timeout; ms. */
  readonly brokerChannelExpiredTimeMs?: number;
}

/**
 * The name server's route table (RouteInfoManager.java) for many brokers: brokerName → addresses by
 * brokerId and cluster, each master's topics with their queues, and when each broker was last heard
 * from (dropped after its heartbeat timeout, 120 s by default). A topic nobody registered is routed to
 * the masters that advertise TBW102 (they create topics on first use): `%RETRY%` topics with 1 queue,
 * others with TBW102's queue counts, as RocketMQ clients do with the default topic. A broker that
 * registered over a connection is also dropped when that connection closes (onChannelDestroy).
 */
export class RouteInfoManager {
  readonly #clusters = new Map<string, Set<string>>();
  readonly #brokers = new Map<string, { cluster: string; addrs: Map<number, string> }>();
  readonly #topics = new Map<string, Map<string, QueueData>>();
  readonly #live = new Map<string, BrokerLiveInfo>();
  readonly #logger: Logger;
  readonly #expiredTimeMs: number;

  constructor(logger: Logger, options: RouteInfoManagerOptions = {}) {
    this.#logger = logger;
    this.#expiredTimeMs =
      options.brokerChannelExpiredTimeMs ?? DEFAULT_BROKER_CHANNEL_EXPIRED_TIME_MS;
  }

  /**
   * Registers or refreshes a broker; the master's topics replace what it registered before. False when
   * full. `channelId` names the connection it came over (none for a broker in this process).
   */
  registerBroker(
    header: RegisterBrokerRequestHeader,
    body: RegisterBrokerBody,
    now = Date.now(),
    channelId?: number,
  ): boolean {
    const live = this.#live.get(header.brokerAddr);
    if (live === undefined && this.#live.size >= MAX_BROKERS) return false;
    let names = this.#clusters.get(header.clusterName);
    if (names === undefined) this.#clusters.set(header.clusterName, (names = new Set()));
    names.add(header.brokerName);
    let broker = this.#brokers.get(header.brokerName);
    if (broker === undefined)
      this.#brokers.set(
        header.brokerName,
        (broker = { cluster: header.clusterName, addrs: new Map() }),
      );
    for (const [id, addr] of [...broker.addrs])
      if (addr === header.brokerAddr && id !== header.brokerId) broker.addrs.delete(id);
    broker.addrs.set(header.brokerId, header.brokerAddr);
    if (header.brokerId === 0) this.#replaceTopics(header.brokerName, body.topics);
    const timeoutMs = header.heartbeatTimeoutMillis ?? this.#expiredTimeMs;
    if (live === undefined) {
      const { brokerName, clusterName, brokerId } = header;
      const info = {
        brokerName,
        clusterName,
        brokerId,
        lastUpdateTimestamp: now,
        timeoutMs,
        channelId,
      };
      this.#live.set(header.brokerAddr, info);
      this.#logger.info(
        {
          broker: header.brokerName,
          addr: header.brokerAddr,
          id: header.brokerId,
          topics: body.topics.size,
        },
        "broker registered",
      );
    } else {
      live.lastUpdateTimestamp = now;
      live.timeoutMs = timeoutMs;
      live.channelId = channelId;
    }
    return true;
  }

  /** Drops every broker whose registrations came over connection `channelId` (it closed); returns how many. */
  onChannelDestroy(channelId: number): number {
    let removed = 0;
    for (const [addr, live] of [...this.#live]) {
      if (live.channelId !== channelId) continue;
      this.#logger.warn(
        { broker: live.brokerName, addr },
        "broker connection closed: removed from the routes",
      );
      this.unregisterBroker(addr, live.brokerName, live.brokerId);
      removed++;
    }
    return removed;
  }

  /** Removes a broker address (UNREGISTER_BROKER, expiry); its routes go with its last address. */
  unregisterBroker(brokerAddr: string, brokerName: string, brokerId: number): void {
    const live = this.#live.get(brokerAddr);
    this.#live.delete(brokerAddr);
    const broker = this.#brokers.get(brokerName);
    if (broker !== undefined && broker.addrs.get(brokerId) === brokerAddr)
      broker.addrs.delete(brokerId);
    if (broker !== undefined && (broker.addrs.size === 0 || brokerId === 0)) {
      if (broker.addrs.size === 0) {
        this.#brokers.delete(brokerName);
        this.#clusters.get(broker.cluster)?.delete(brokerName);
        if (this.#clusters.get(broker.cluster)?.size === 0) this.#clusters.delete(broker.cluster);
      }
      this.#replaceTopics(brokerName, new Map());
    }
    if (live !== undefined)
      this.#logger.info({ broker: brokerName, addr: brokerAddr }, "broker unregistered");
  }

  /** Drops brokers not heard from within their timeout; returns how many. */
  scanNotActiveBroker(now = Date.now()): number {
    let removed = 0;
    for (const [addr, live] of [...this.#live]) {
      if (now - live.lastUpdateTimestamp > live.timeoutMs) {
        this.#logger.warn(
          { broker: live.brokerName, addr, silentMs: now - live.lastUpdateTimestamp },
          "broker expired",
        );
        this.unregisterBroker(addr, live.brokerName, live.brokerId);
        removed++;
      }
    }
    return removed;
  }

  /** The route of a topic, or null when no live broker serves or could create it. */
  pickupTopicRouteData(topic: string): TopicRouteData | null {
    const registered = this.#topics.get(topic);
    const queueDatas =
      registered !== undefined && registered.size > 0
        ? [...registered.values()]
        : this.#defaultRoute(topic);
    if (queueDatas.length === 0) return null;
    const brokerDatas: BrokerData[] = [];
    for (const queue of queueDatas) {
      const broker = this.#brokers.get(queue.brokerName);
      if (broker !== undefined) brokerDatas.push(brokerDataOf(queue.brokerName, broker));
    }
    if (brokerDatas.length === 0) return null;
    return { queueDatas, brokerDatas, filterServerTable: {} };
  }

  /** Every registered broker by name and cluster (GET_BROKER_CLUSTER_INFO's body). */
  getClusterInfo(): ClusterInfo {
    const brokerAddrTable: Record<string, BrokerData> = {};
    for (const [name, broker] of this.#brokers) brokerAddrTable[name] = brokerDataOf(name, broker);
    const clusterAddrTable: Record<string, string[]> = {};
    for (const [cluster, names] of this.#clusters) clusterAddrTable[cluster] = [...names].sort();
    return { brokerAddrTable, clusterAddrTable };
  }

  #defaultRoute(topic: string): QueueData[] {
    const defaults = this.#topics.get(AUTO_CREATE_TOPIC_KEY_TOPIC);
    if (defaults === undefined) return [];
    const retry = topic.startsWith(RETRY_GROUP_TOPIC_PREFIX);
    return [...defaults.values()].map((queue) => ({
      brokerName: queue.brokerName,
      readQueueNums: retry ? 1 : queue.readQueueNums,
      writeQueueNums: retry ? 1 : queue.writeQueueNums,
      perm: 6,
      topicSysFlag: 0,
    }));
  }

  #replaceTopics(brokerName: string, topics: ReadonlyMap<string, RegisteredTopic>): void {
    for (const [topic, queues] of [...this.#topics]) {
      if (topics.has(topic)) continue;
      queues.delete(brokerName);
      if (queues.size === 0) this.#topics.delete(topic);
    }
    for (const [topic, config] of topics) {
      let queues = this.#topics.get(topic);
      if (queues === undefined) this.#topics.set(topic, (queues = new Map<string, QueueData>()));
      queues.set(brokerName, {
        brokerName,
        readQueueNums: config.readQueueNums,
        writeQueueNums: config.writeQueueNums,
        perm: config.perm,
        topicSysFlag: config.topicSysFlag,
      });
    }
  }
}

function brokerDataOf(
  brokerName: string,
  broker: { cluster: string; addrs: Map<number, string> },
): BrokerData {
  return {
    cluster: broker.cluster,
    brokerName,
    brokerAddrs: Object.fromEntries([...broker.addrs].map(([id, addr]) => [String(id), addr])),
  };
}
