/*
 * NOTIFY_CONSUMER_IDS_CHANGED (40): broker → client, oneway (flag 2); extFields = { consumerGroup };
 * no body, no response. Java clients rebalance at once; ali-ons ignores server requests and
 * rebalances on its 10 s timer.
 */
import { RemotingCommand } from "../remoting-command.js";
import { RequestCode } from "../request-code.js";

export function notifyConsumerIdsChangedRequest(
  opaque: number,
  consumerGroup: string,
): RemotingCommand {
  return RemotingCommand.request(
    RequestCode.NOTIFY_CONSUMER_IDS_CHANGED,
    opaque,
    { consumerGroup },
    null,
    true,
  );
}
