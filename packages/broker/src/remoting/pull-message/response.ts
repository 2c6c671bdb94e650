/*
 * Response to PULL_MESSAGE (11):
 *
 *   code 0 FOUND | 19 PULL_NOT_FOUND | 20 PULL_RETRY_IMMEDIATELY | 21 PULL_OFFSET_MOVED | errors
 *   extFields (always, on the four pull codes) = { suggestWhichBrokerId, nextBeginOffset, minOffset, maxOffset }
 *     nextBeginOffset: where the client pulls next (it uses it unconditionally)
 *   body (FOUND) = the stored records back to back (RocketMQ v1 layout, research §5)
 */
import { RemotingCommand } from "../remoting-command.js";

export interface PullMessageResponseHeader {
  readonly suggestWhichBrokerId: number;
  readonly nextBeginOffset: number;
  readonly minOffset: number;
  readonly maxOffset: number;
}

export function pullMessageResponse(
  request: RemotingCommand,
  code: number,
  remark: string | null,
  header: PullMessageResponseHeader,
  body: Buffer | null = null,
): RemotingCommand {
  return RemotingCommand.response(
    request,
    code,
    remark,
    {
      suggestWhichBrokerId: String(header.suggestWhichBrokerId),
      nextBeginOffset: String(header.nextBeginOffset),
      minOffset: String(header.minOffset),
      maxOffset: String(header.maxOffset),
    },
    body,
  );
}
