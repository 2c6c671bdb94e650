/*
 * GET_ROUTEINFO_BY_TOPIC (105), to the name server: extFields = { topic }; no body.
 * Response: code 0, body = TopicRouteData JSON:
 *
 *   { "orderTopicConf"?: string,
 *     "queueDatas":  [ { "brokerName", "readQueueNums", "writeQueueNums", "perm", "topicSysFlag" } ],
 *     "brokerDatas": [ { "cluster", "brokerName", "brokerAddrs": { "<brokerId>": "ip:port" } } ],
 *     "filterServerTable": {} }
 *
 * or 17 TOPIC_NOT_EXIST "No topic route info in name server for the topic: <topic>".
 */
import { requiredString } from "../header-fields.js";
import { RemotingCommand } from "../remoting-command.js";

export interface QueueData {
  readonly brokerName: string;
  readonly readQueueNums: number;
  readonly writeQueueNums: number;
  readonly perm: number;
  readonly topicSysFlag: number;
}

export interface BrokerData {
  readonly cluster: string;
  readonly brokerName: string;
  /** brokerId (as a decimal string) → "ip:port". */
  readonly brokerAddrs: Record<string, string>;
}

export interface TopicRouteData {
  readonly queueDatas: QueueData[];
  readonly brokerDatas: BrokerData[];
  readonly filterServerTable: Record<string, string[]>;
}

/** @throws HeaderFieldError. */
export function decodeGetRouteInfoRequest(command: RemotingCommand): { readonly topic: string } {
  return { topic: requiredString(command.extFields, "topic") };
}

export function routeInfoResponse(request: RemotingCommand, route: TopicRouteData): RemotingCommand {
  return RemotingCommand.response(request, 0, null, {}, Buffer.from(JSON.stringify(route)));
}
