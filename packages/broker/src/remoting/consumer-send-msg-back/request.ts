/*
 * CONSUMER_SEND_MSG_BACK (36) request header; no body:
 *
 *   extFields = { offset: commit-log offset of the message (int64), group, delayLevel: int
 *                 (0 = the broker picks 3 + reconsumeTimes, < 0 = straight to %DLQ%), originMsgId?,
 *                 originTopic?, unitMode?, maxReconsumeTimes? }
 *   response  = code 0 SUCCESS | 1 SYSTEM_ERROR (remark says why); no extFields
 */
import {
  optionalBoolean,
  optionalInt,
  optionalString,
  requiredInt,
  requiredString,
} from "../header-fields.js";
import type { RemotingCommand } from "../remoting-command.js";

export interface ConsumerSendMsgBackRequestHeader {
  readonly offset: number;
  readonly group: string;
  readonly delayLevel: number;
  readonly originMsgId: string | undefined;
  readonly originTopic: string | undefined;
  readonly unitMode: boolean;
  readonly maxReconsumeTimes: number | undefined;
}

/** @throws HeaderFieldError naming the bad field. */
export function decodeConsumerSendMsgBackRequest(
  command: RemotingCommand,
): ConsumerSendMsgBackRequestHeader {
  const fields = command.extFields;
  const max = optionalInt(fields, "maxReconsumeTimes", -1, { min: -1, max: 2_147_483_647 });
  return {
    offset: requiredInt(fields, "offset", { min: 0 }),
    group: requiredString(fields, "group"),
    delayLevel: optionalInt(fields, "delayLevel", 0, { min: -1, max: 2_147_483_647 }),
    originMsgId: optionalString(fields, "originMsgId"),
    originTopic: optionalString(fields, "originTopic"),
    unitMode: optionalBoolean(fields, "unitMode", false),
    maxReconsumeTimes: max < 0 ? undefined : max,
  };
}
