/*
 * GET_BROKER_CLUSTER_INFO (106), to the name server: no extFields, no body.
 * Response: code 0, body = ClusterInfo JSON:
 *
 *   { "brokerAddrTable": { "<brokerName>": { "cluster", "brokerName", "brokerAddrs": { "<id>": "ip:port" } } },
 *     "clusterAddrTable": { "<cluster>": [ "<brokerName>", ... ] } }
 */
import type { BrokerData } from "../get-routeinfo-by-topic/request.js";
import { RemotingCommand } from "../remoting-command.js";

/** GET_BROKER_CLUSTER_INFO's answer: brokers by name, broker names by cluster. */
export interface ClusterInfo {
  readonly brokerAddrTable: Record<string, BrokerData>;
  readonly clusterAddrTable: Record<string, string[]>;
}

export function clusterInfoResponse(request: RemotingCommand, info: ClusterInfo): RemotingCommand {
  return RemotingCommand.response(request, 0, null, {}, Buffer.from(JSON.stringify(info)));
}
