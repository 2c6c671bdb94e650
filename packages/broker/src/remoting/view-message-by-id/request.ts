/*
 * VIEW_MESSAGE_BY_ID (33): extFields = { offset } (the commit-log offset the client decoded from the
 * msgId); no body. Response: code 0 with body = the stored record (RocketMQ v1 layout), or 1
 * SYSTEM_ERROR "can not find message by the offset".
 */
import { requiredInt } from "../header-fields.js";
import type { RemotingCommand } from "../remoting-command.js";

/** @throws HeaderFieldError. */
export function decodeViewMessageByIdRequest(command: RemotingCommand): {
  readonly offset: number;
} {
  return { offset: requiredInt(command.extFields, "offset", { min: 0 }) };
}
