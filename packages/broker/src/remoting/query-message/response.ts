/*
 * Response to QUERY_MESSAGE (12) (QueryMessageResponseHeader):
 *
 *   code 0 SUCCESS | 22 QUERY_NOT_FOUND "can not find message, maybe time range not correct"
 *   extFields (both codes) = { indexLastUpdateTimestamp, indexLastUpdatePhyoffset }
 *     indexLastUpdateTimestamp: store time (ms) of the last message the index covers
 *     indexLastUpdatePhyoffset: commit-log offset up to which the index covers the log
 *   body (SUCCESS) = the matching records back to back (RocketMQ v1 layout), in commit-log order
 */
import { RemotingCommand } from "../remoting-command.js";
import { ResponseCode } from "../response-code.js";

export interface QueryMessageResponseHeader {
  readonly indexLastUpdateTimestamp: number;
  readonly indexLastUpdatePhyoffset: number;
}

export const QUERY_NOT_FOUND_REMARK = "can not find message, maybe time range not correct";

export function queryMessageResponse(
  request: RemotingCommand,
  header: QueryMessageResponseHeader,
  records: readonly Buffer[],
): RemotingCommand {
  const extFields = {
    indexLastUpdateTimestamp: String(header.indexLastUpdateTimestamp),
    indexLastUpdatePhyoffset: String(header.indexLastUpdatePhyoffset),
  };
  if (records.length === 0)
    return RemotingCommand.response(
      request,
      ResponseCode.QUERY_NOT_FOUND,
      QUERY_NOT_FOUND_REMARK,
      extFields,
    );
  return RemotingCommand.response(
    request,
    ResponseCode.SUCCESS,
    null,
    extFields,
    Buffer.concat(records),
  );
}
