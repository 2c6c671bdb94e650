/*
 * LOCK_BATCH_MQ (41) and UNLOCK_BATCH_MQ (42): no extFields; body = LockBatchRequestBody JSON:
 *
 *   { "consumerGroup": "g", "clientId": "127.0.0.1@1", "onlyThisBroker": false,
 *     "mqSet": [ { "topic": "t", "brokerName": "broker-a", "queueId": 0 }, ... ] }
 *
 *   41 response: code 0, body = { "lockOKMQSet": [ <the queues now locked by this client> ] }
 *   42 response: code 0, no body
 */
import { HeaderFieldError } from "../remoting-error.js";
import { RemotingCommand } from "../remoting-command.js";

/** A queue as clients name it: topic, broker name and queue id. */
export interface MessageQueue {
  readonly topic: string;
  readonly brokerName: string;
  readonly queueId: number;
}

export interface LockBatchRequestBody {
  readonly consumerGroup: string;
  readonly clientId: string;
  readonly mqSet: MessageQueue[];
}

const MAX_QUEUES = 4096;

/** @throws HeaderFieldError naming the bad part of the body. */
export function decodeLockBatchBody(body: Buffer | null): LockBatchRequestBody {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(body?.toString("utf8") ?? "") as Record<string, unknown>;
  } catch {
    throw new HeaderFieldError("body", "body: expected LockBatchRequestBody JSON");
  }
  if (typeof json !== "object" || json === null)
    throw new HeaderFieldError("body", "body: expected a JSON object");
  if (typeof json.consumerGroup !== "string")
    throw new HeaderFieldError("consumerGroup", "consumerGroup: expected a string");
  if (typeof json.clientId !== "string")
    throw new HeaderFieldError("clientId", "clientId: expected a string");
  const mqSet = json.mqSet ?? [];
  if (!Array.isArray(mqSet) || mqSet.length > MAX_QUEUES)
    throw new HeaderFieldError("mqSet", `mqSet: expected an array of at most ${MAX_QUEUES} queues`);
  const queues = mqSet.map((value: unknown, index) => {
    const mq = (typeof value === "object" && value !== null ? value : {}) as Record<
      string,
      unknown
    >;
    if (
      typeof mq.topic !== "string" ||
      typeof mq.brokerName !== "string" ||
      typeof mq.queueId !== "number" ||
      !Number.isInteger(mq.queueId) ||
      mq.queueId < 0
    ) {
      throw new HeaderFieldError(
        "mqSet",
        `mqSet[${index}]: expected {topic, brokerName, queueId >= 0}`,
      );
    }
    return { topic: mq.topic, brokerName: mq.brokerName, queueId: mq.queueId };
  });
  return { consumerGroup: json.consumerGroup, clientId: json.clientId, mqSet: queues };
}

export function lockBatchResponse(
  request: RemotingCommand,
  locked: readonly MessageQueue[],
): RemotingCommand {
  return RemotingCommand.response(
    request,
    0,
    null,
    {},
    Buffer.from(JSON.stringify({ lockOKMQSet: locked })),
  );
}
