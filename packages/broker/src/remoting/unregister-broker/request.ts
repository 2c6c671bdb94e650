/*
 * UNREGISTER_BROKER (104), broker → name server: extFields = { brokerName, brokerAddr, clusterName,
 * brokerId }; no body. Response: code 0.
 */
import { requiredInt, requiredString } from "../header-fields.js";
import { RemotingCommand } from "../remoting-command.js";
import { RequestCode } from "../request-code.js";

export interface UnregisterBrokerRequestHeader {
  readonly brokerName: string;
  readonly brokerAddr: string;
  readonly clusterName: string;
  readonly brokerId: number;
}

/** @throws HeaderFieldError. */
export function decodeUnregisterBrokerRequest(
  command: RemotingCommand,
): UnregisterBrokerRequestHeader {
  const fields = command.extFields;
  return {
    brokerName: requiredString(fields, "brokerName"),
    brokerAddr: requiredString(fields, "brokerAddr"),
    clusterName: requiredString(fields, "clusterName"),
    brokerId: requiredInt(fields, "brokerId", { min: 0 }),
  };
}

/** The UNREGISTER_BROKER request a broker sends at shutdown (opaque 0: the client numbers it). */
export function encodeUnregisterBrokerRequest(
  header: UnregisterBrokerRequestHeader,
): RemotingCommand {
  const { brokerName, brokerAddr, clusterName, brokerId } = header;
  const extFields = { brokerName, brokerAddr, clusterName, brokerId: String(brokerId) };
  return RemotingCommand.request(RequestCode.UNREGISTER_BROKER, 0, extFields);
}
