import { groupName, topicName } from "./names.js";
import type { GetOffsetRequest, QueryOffsetRequest, Status } from "./proto-types.js";
import { timestampMs } from "./proto-types.js";
import type { ProxyBroker } from "./proxy-broker.js";
import { Code, OK_STATUS, status } from "./status.js";

/**
 * GetOffset (a group's next pop offset in a queue) and QueryOffset (a queue's first or last offset,
 * or the first at a time). The 1.0.8 client does not call them; other clients' pull consumers do.
 */
export class OffsetActivity {
  readonly #broker: ProxyBroker;

  constructor(broker: ProxyBroker) {
    this.#broker = broker;
  }

  getOffset(request: GetOffsetRequest): { status: Status; offset: number } {
    const group = groupName(request.group);
    const topic = topicName(request.message_queue?.topic);
    const queueId = request.message_queue?.id ?? 0;
    const offset = this.#broker.popService.getConsumedOffset(group, topic, queueId);
    if (offset === undefined)
      return {
        status: status(
          Code.OFFSET_NOT_FOUND,
          `group ${group} has no offset in ${topic} queue ${queueId}`,
        ),
        offset: 0,
      };
    return { status: OK_STATUS, offset };
  }

  async queryOffset(request: QueryOffsetRequest): Promise<{ status: Status; offset: number }> {
    const topic = topicName(request.message_queue?.topic);
    const queueId = request.message_queue?.id ?? 0;
    const store = this.#broker.messageStore;
    const policy = request.query_offset_policy ?? "BEGINNING";
    if (policy === "BEGINNING")
      return { status: OK_STATUS, offset: store.getMinOffsetInQueue(topic, queueId) };
    if (policy === "END")
      return { status: OK_STATUS, offset: store.getMaxOffsetInQueue(topic, queueId) };
    if (request.timestamp === undefined)
      return {
        status: status(Code.BAD_REQUEST, "timestamp is required for the TIMESTAMP policy"),
        offset: 0,
      };
    return {
      status: OK_STATUS,
      offset: await store.getOffsetInQueueByTime(topic, queueId, timestampMs(request.timestamp)),
    };
  }
}
