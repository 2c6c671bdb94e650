/*
 * QUERY_CONSUMER_OFFSET (14): extFields = { consumerGroup, topic, queueId }; no body.
 * Response: code 0 with extFields { offset } (the next queue offset to consume), or 22
 * QUERY_NOT_FOUND when the group has none and the queue no longer starts at 0.
 */
import { requiredInt, requiredString } from "../header-fields.js";
import { RemotingCommand } from "../remoting-command.js";

export interface QueryConsumerOffsetRequestHeader {
  readonly consumerGroup: string;
  readonly topic: string;
  readonly queueId: number;
}

/** @throws HeaderFieldError. */
export function decodeQueryConsumerOffsetRequest(
  command: RemotingCommand,
): QueryConsumerOffsetRequestHeader {
  const fields = command.extFields;
  return {
    consumerGroup: requiredString(fields, "consumerGroup"),
    topic: requiredString(fields, "topic"),
    queueId: requiredInt(fields, "queueId", { min: 0, max: 2_147_483_647 }),
  };
}

export function queryConsumerOffsetResponse(
  request: RemotingCommand,
  offset: number,
): RemotingCommand {
  return RemotingCommand.response(request, 0, null, { offset: String(offset) });
}
