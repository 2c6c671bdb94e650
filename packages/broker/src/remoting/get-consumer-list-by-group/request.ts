/*
 * GET_CONSUMER_LIST_BY_GROUP (38): extFields = { consumerGroup }; no body.
 * Response: code 0, body = {"consumerIdList":["127.0.0.1@11679",...]} (the caller included), or
 * 1 SYSTEM_ERROR when the group has no consumer online.
 */
import { requiredString } from "../header-fields.js";
import { RemotingCommand } from "../remoting-command.js";

/** @throws HeaderFieldError. */
export function decodeGetConsumerListByGroupRequest(command: RemotingCommand): {
  readonly consumerGroup: string;
} {
  return { consumerGroup: requiredString(command.extFields, "consumerGroup") };
}

export function getConsumerListByGroupResponse(
  request: RemotingCommand,
  consumerIdList: readonly string[],
): RemotingCommand {
  return RemotingCommand.response(
    request,
    0,
    null,
    {},
    Buffer.from(JSON.stringify({ consumerIdList })),
  );
}
