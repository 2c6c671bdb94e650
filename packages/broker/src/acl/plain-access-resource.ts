import { decodeHeartbeatBody } from "../remoting/heart-beat/request.js";
import type { RemotingCommand } from "../remoting/remoting-command.js";
import { RequestCode } from "../remoting/request-code.js";
import { RETRY_GROUP_TOPIC_PREFIX, retryTopicOf } from "../topic/topic-config.js";
import { Permission } from "./permission.js";

/**
 * What a request needs (PlainAccessResource.parse): resource → permission bits, a topic by its name
 * and a consumer group as `%RETRY%<group>`. Codes not listed need only a valid signature.
 *
 * | code | needs |
 * |---|---|
 * | SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) | PUB on the topic (SUB on a `%RETRY%` topic) |
 * | CONSUMER_SEND_MSG_BACK (36) | SUB on the group |
 * | PULL_MESSAGE (11) | SUB on the topic and the group |
 * | QUERY_MESSAGE (12) | SUB on the topic |
 * | HEART_BEAT (34) | SUB on every consumer group and each subscribed topic |
 * | UNREGISTER_CLIENT (35), GET_CONSUMER_LIST_BY_GROUP (38) | SUB on the group |
 * | UPDATE_CONSUMER_OFFSET (15) | SUB on the group and the topic |
 *
 * @throws HeaderFieldError when a HEART_BEAT body cannot be read.
 */
export function neededPermissions(request: RemotingCommand): Map<string, number> {
  const needed = new Map<string, number>();
  const fields = request.extFields;
  const add = (resource: string | undefined, bits: number) => {
    if (resource !== undefined) needed.set(resource, bits);
  };
  const group = (name: string | undefined) => (name === undefined ? undefined : retryTopicOf(name));
  const publish = (topic: string | undefined) =>
    add(
      topic,
      topic?.startsWith(RETRY_GROUP_TOPIC_PREFIX) === true ? Permission.SUB : Permission.PUB,
    );
  switch (request.code) {
    case RequestCode.SEND_MESSAGE:
      publish(own(fields, "topic"));
      break;
    case RequestCode.SEND_MESSAGE_V2:
    case RequestCode.SEND_BATCH_MESSAGE:
      publish(own(fields, "b"));
      break;
    case RequestCode.CONSUMER_SEND_MSG_BACK:
      add(group(own(fields, "group")), Permission.SUB);
      break;
    case RequestCode.PULL_MESSAGE:
      add(own(fields, "topic"), Permission.SUB);
      add(group(own(fields, "consumerGroup")), Permission.SUB);
      break;
    case RequestCode.QUERY_MESSAGE:
      add(own(fields, "topic"), Permission.SUB);
      break;
    case RequestCode.HEART_BEAT:
      for (const consumer of decodeHeartbeatBody(request.body).consumers) {
        add(retryTopicOf(consumer.groupName), Permission.SUB);
        for (const subscription of consumer.subscriptions) add(subscription.topic, Permission.SUB);
      }
      break;
    case RequestCode.UNREGISTER_CLIENT:
    case RequestCode.GET_CONSUMER_LIST_BY_GROUP:
      add(group(own(fields, "consumerGroup")), Permission.SUB);
      break;
    case RequestCode.UPDATE_CONSUMER_OFFSET:
      add(group(own(fields, "consumerGroup")), Permission.SUB);
      add(own(fields, "topic"), Permission.SUB);
      break;
    default:
      break;
  }
  return needed;
}

function own(fields: Readonly<Record<string, string>>, name: string): string | undefined {
  return Object.hasOwn(fields, name) ? fields[name] : undefined;
}
