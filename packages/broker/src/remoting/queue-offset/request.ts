/*
 * The per-queue offset queries, all without body:
 *
 *   GET_MAX_OFFSET (30)             extFields = { topic, queueId }             → extFields { offset }
 *     offset: one past the last message (the queue's entry count)
 *   GET_MIN_OFFSET (31)             extFields = { topic, queueId }             → extFields { offset }
 *   SEARCH_OFFSET_BY_TIMESTAMP (29) extFields = { topic, queueId, timestamp }  → extFields { offset }
 *     offset: the first message stored at or after timestamp (ms), or the max offset
 *   GET_EARLIEST_MSG_STORETIME (32) extFields = { topic, queueId }             → extFields { timestamp }
 */
import { requiredInt, requiredString } from "../header-fields.js";
import { RemotingCommand } from "../remoting-command.js";

export interface QueueOffsetRequestHeader {
  readonly topic: string;
  readonly queueId: number;
  /** SEARCH_OFFSET_BY_TIMESTAMP only, ms. */
  readonly timestamp: number;
}

/** @throws HeaderFieldError. */
export function decodeQueueOffsetRequest(
  command: RemotingCommand,
  withTimestamp: boolean,
): QueueOffsetRequestHeader {
  const fields = command.extFields;
  return {
    topic: requiredString(fields, "topic"),
    queueId: requiredInt(fields, "queueId", { min: 0, max: 2_147_483_647 }),
    timestamp: withTimestamp ? requiredInt(fields, "timestamp", { min: 0 }) : 0,
  };
}

export function offsetResponse(request: RemotingCommand, offset: number): RemotingCommand {
  return RemotingCommand.response(request, 0, null, { offset: String(offset) });
}

export function timestampResponse(request: RemotingCommand, timestamp: number): RemotingCommand {
  return RemotingCommand.response(request, 0, null, { timestamp: String(timestamp) });
}
