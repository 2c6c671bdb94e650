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

/** A topic's queues on one broker: read and write queue counts and permissions. */
export interface QueueData {
  readonly brokerName: string;
  readonly readQueueNums: number;
  readonly writeQueueNums: number;
  readonly perm: number;
  readonly topicSysFlag: number;
}

/** A broker of a route: its cluster, name and addresses by broker id. */
export interface BrokerData {
  readonly cluster: string;
  readonly brokerName: string;
  /** brokerId (as a decimal string) → "ip:port". */
  readonly brokerAddrs: Record<string, string>;
}

/** GET_ROUTEINFO_BY_TOPIC's answer: the topic's queues and brokers. */
export interface TopicRouteData {
  readonly queueDatas: QueueData[];
  readonly brokerDatas: BrokerData[];
  readonly filterServerTable: Record<string, string[]>;
}

/** @throws HeaderFieldError. */
export function decodeGetRouteInfoRequest(command: RemotingCommand): { readonly topic: string } {
  return { topic: requiredString(command.extFields, "topic") };
}

export function routeInfoResponse(
  request: RemotingCommand,
  route: TopicRouteData,
): RemotingCommand {
  return RemotingCommand.response(request, 0, null, {}, Buffer.from(JSON.stringify(route)));
}
