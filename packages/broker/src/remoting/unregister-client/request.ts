/*
 * UNREGISTER_CLIENT (35) request header; no body:
 *
 *   extFields = { clientID, producerGroup?, consumerGroup? }
 *   response  = code 0, no extFields
 */
import { optionalString, requiredString } from "../header-fields.js";
import type { RemotingCommand } from "../remoting-command.js";

export interface UnregisterClientRequestHeader {
  readonly clientID: string;
  readonly producerGroup: string | undefined;
  readonly consumerGroup: string | undefined;
}

/** @throws HeaderFieldError. */
export function decodeUnregisterClientRequest(
  command: RemotingCommand,
): UnregisterClientRequestHeader {
  const fields = command.extFields;
  return {
    clientID: requiredString(fields, "clientID"),
    producerGroup: optionalString(fields, "producerGroup"),
    consumerGroup: optionalString(fields, "consumerGroup"),
  };
}
