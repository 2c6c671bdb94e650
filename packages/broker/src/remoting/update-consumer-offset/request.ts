/*
 * UPDATE_CONSUMER_OFFSET (15): extFields = { consumerGroup, topic, queueId, commitOffset }; no body.
 * commitOffset is the next queue offset to consume; ali-ons sends -1 for queues it never consumed
 * (ignored). ali-ons does not wait for the response (code 0, no extFields).
 */
import { requiredInt, requiredString } from "../header-fields.js";
import type { RemotingCommand } from "../remoting-command.js";

export interface UpdateConsumerOffsetRequestHeader {
  readonly consumerGroup: string;
  readonly topic: string;
  readonly queueId: number;
  readonly commitOffset: number;
}

/** @throws HeaderFieldError (commitOffset below -1, a non-number, ...). */
export function decodeUpdateConsumerOffsetRequest(
  command: RemotingCommand,
): UpdateConsumerOffsetRequestHeader {
  const fields = command.extFields;
  return {
    consumerGroup: requiredString(fields, "consumerGroup"),
    topic: requiredString(fields, "topic"),
    queueId: requiredInt(fields, "queueId", { min: 0, max: 2_147_483_647 }),
    commitOffset: requiredInt(fields, "commitOffset", { min: -1 }),
  };
}
