import { isIP } from "node:net";
import { topicName, groupName } from "./names.js";
import type {
  Endpoints,
  MessageQueue,
  QueryAssignmentRequest,
  QueryRouteRequest,
  Status,
} from "./proto-types.js";
import type { ProxyBroker, ProxyTopicQueues } from "./proxy-broker.js";
import { Code, OK_STATUS, status } from "./status.js";

/** Every message type: our topics are MIXED (the proxy refuses transactional sends itself). */
const ACCEPT_MESSAGE_TYPES = ["NORMAL", "FIFO", "DELAY", "TRANSACTION"];

/** The Endpoints of `host:port` with the scheme the client would pick. */
export function endpointsOf(host: string, port: number): Endpoints {
  const family = isIP(host);
  return {
    scheme: family === 4 ? "IPv4" : family === 6 ? "IPv6" : "DOMAIN_NAME",
    addresses: [{ host, port }],
  };
}

/**
 * QueryRoute and QueryAssignment (the Java proxy's RouteActivity). Routes point at the address the
 * client reached (echoed), so every later call comes back here; queues are numbered read-write
 * first, so queue 0, the only one the Node client uses (research §3.1), is READ_WRITE.
 */
export class RouteActivity {
  readonly #broker: ProxyBroker;
  readonly #fallback: () => Endpoints;

  /** @param fallback - the proxy's own endpoints, for a request that names none. */
  constructor(broker: ProxyBroker, fallback: () => Endpoints) {
    this.#broker = broker;
    this.#fallback = fallback;
  }

  async queryRoute(
    request: QueryRouteRequest,
  ): Promise<{ status: Status; message_queues: MessageQueue[] }> {
    const topic = topicName(request.topic);
    const queues = await this.#broker.getTopicQueues(topic);
    if (queues === null)
      return {
        status: status(Code.TOPIC_NOT_FOUND, `topic ${topic} does not exist`),
        message_queues: [],
      };
    // An empty route would hang the client's startup (research §3.1): answer a status instead.
    if (Math.max(queues.readQueueNums, queues.writeQueueNums) <= 0)
      return { status: status(Code.FORBIDDEN, `topic ${topic} has no queue`), message_queues: [] };
    const endpoints =
      (request.endpoints?.addresses?.length ?? 0) > 0
        ? (request.endpoints as Endpoints)
        : this.#fallback();
    return { status: OK_STATUS, message_queues: this.#messageQueues(topic, queues, endpoints) };
  }

  async queryAssignment(
    request: QueryAssignmentRequest,
  ): Promise<{ status: Status; assignments: { message_queue: MessageQueue }[] }> {
    const topic = topicName(request.topic);
    groupName(request.group);
    const queues = await this.#broker.getTopicQueues(topic);
    if (queues === null)
      return {
        status: status(Code.TOPIC_NOT_FOUND, `topic ${topic} does not exist`),
        assignments: [],
      };
    if (queues.readQueueNums <= 0)
      return {
        status: status(Code.FORBIDDEN, `topic ${topic} has no readable queue`),
        assignments: [],
      };
    const endpoints =
      (request.endpoints?.addresses?.length ?? 0) > 0
        ? (request.endpoints as Endpoints)
        : this.#fallback();
    // As the Java proxy: one assignment per broker, queue -1 meaning "all its queues" (pop reads them all).
    const queue: MessageQueue = {
      topic: { name: topic, resource_namespace: request.topic?.resource_namespace ?? "" },
      id: -1,
      permission: "READ_WRITE",
      broker: { name: this.#broker.brokerName, id: 0, endpoints },
      accept_message_types: ACCEPT_MESSAGE_TYPES,
    };
    return { status: OK_STATUS, assignments: [{ message_queue: queue }] };
  }

  #messageQueues(topic: string, queues: ProxyTopicQueues, endpoints: Endpoints): MessageQueue[] {
    const both = Math.min(queues.readQueueNums, queues.writeQueueNums);
    const total = Math.max(queues.readQueueNums, queues.writeQueueNums);
    const result: MessageQueue[] = [];
    for (let id = 0; id < total; id++) {
      const permission =
        id < both ? "READ_WRITE" : queues.readQueueNums > queues.writeQueueNums ? "READ" : "WRITE";
      result.push({
        topic: { name: topic, resource_namespace: "" },
        id,
        permission,
        broker: { name: this.#broker.brokerName, id: 0, endpoints },
        accept_message_types: ACCEPT_MESSAGE_TYPES,
      });
    }
    return result;
  }
}
