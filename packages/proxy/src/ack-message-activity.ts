import type { Logger } from "pino";
import { groupName, topicName } from "./names.js";
import type {
  AckMessageRequest,
  ChangeInvisibleDurationRequest,
  ForwardMessageToDeadLetterQueueRequest,
  Status,
} from "./proto-types.js";
import { durationMs } from "./proto-types.js";
import type { ProxyBroker } from "./proxy-broker.js";
import { Code, commonStatus, OK_STATUS, status } from "./status.js";

/** Entries in one AckMessage request at most. */
export const MAX_ACK_ENTRIES = 1024;

interface AckEntryResult {
  message_id: string;
  receipt_handle: string;
  status: Status;
}

/**
 * AckMessage, ChangeInvisibleDuration and ForwardMessageToDeadLetterQueue. Every answer has an
 * explicit status (research pitfall 5): the push consumer retries forever on anything but OK or
 * INVALID_RECEIPT_HANDLE. ChangeInvisibleDuration raises too-short durations to the pop service's
 * minimum instead of refusing them (pitfall 9: the push client sends seconds as milliseconds).
 */
export class AckMessageActivity {
  readonly #broker: ProxyBroker;
  readonly #logger: Logger;

  constructor(broker: ProxyBroker, logger: Logger) {
    this.#broker = broker;
    this.#logger = logger;
  }

  async ackMessage(
    request: AckMessageRequest,
  ): Promise<{ status: Status; entries: AckEntryResult[] }> {
    const group = groupName(request.group);
    const topic = topicName(request.topic);
    const entries = request.entries ?? [];
    if (entries.length === 0)
      return { status: status(Code.BAD_REQUEST, "no entry to ack"), entries: [] };
    if (entries.length > MAX_ACK_ENTRIES)
      return {
        status: status(Code.BAD_REQUEST, `more than ${MAX_ACK_ENTRIES} entries`),
        entries: [],
      };
    const results: AckEntryResult[] = [];
    for (const entry of entries) {
      const handle = entry.receipt_handle ?? "";
      let entryStatus: Status;
      try {
        const result = await this.#broker.popService.ack(group, topic, handle);
        entryStatus =
          result.status === "OK" ? OK_STATUS : status(Code.INVALID_RECEIPT_HANDLE, result.reason);
      } catch (error) {
        this.#logger.error({ err: error }, "ack failed");
        entryStatus = status(Code.INTERNAL_SERVER_ERROR, `ack failed: ${String(error)}`);
      }
      results.push({
        message_id: entry.message_id ?? "",
        receipt_handle: handle,
        status: entryStatus,
      });
    }
    return { status: commonStatus(results.map((result) => result.status)), entries: results };
  }

  async changeInvisibleDuration(
    request: ChangeInvisibleDurationRequest,
  ): Promise<{ status: Status; receipt_handle: string }> {
    const group = groupName(request.group);
    const topic = topicName(request.topic);
    const pop = this.#broker.popService;
    const invisibleTimeMs = durationMs(request.invisible_duration);
    if (invisibleTimeMs > pop.limits.maxInvisibleTimeMs) {
      return {
        status: status(
          Code.ILLEGAL_INVISIBLE_TIME,
          `invisible_duration over ${pop.limits.maxInvisibleTimeMs} ms`,
        ),
        receipt_handle: "",
      };
    }
    const result = await pop.changeInvisibleTime(
      group,
      topic,
      request.receipt_handle ?? "",
      invisibleTimeMs,
    );
    if (result.status !== "OK")
      return { status: status(Code.INVALID_RECEIPT_HANDLE, result.reason), receipt_handle: "" };
    return { status: OK_STATUS, receipt_handle: result.receiptHandle };
  }

  async forwardMessageToDeadLetterQueue(
    request: ForwardMessageToDeadLetterQueueRequest,
  ): Promise<{ status: Status }> {
    const group = groupName(request.group);
    const topic = topicName(request.topic);
    const result = await this.#broker.popService.forwardToDeadLetterQueue(
      group,
      topic,
      request.receipt_handle ?? "",
    );
    if (result.status === "OK") return { status: OK_STATUS };
    if (result.status === "INVALID_RECEIPT_HANDLE")
      return { status: status(Code.INVALID_RECEIPT_HANDLE, result.reason) };
    return { status: status(Code.INTERNAL_SERVER_ERROR, result.reason) };
  }
}
