import { TOPIC_PATTERN } from "@store/message-codec";
import type { Resource } from "./proto-types.js";
import { Code, StatusException } from "./status.js";

/** Longest topic or group name, characters (they become directory names). */
export const MAX_NAME_LENGTH = 127;

function checkName(resource: Resource | undefined, what: "topic" | "consumer group"): string {
  const name = resource?.name ?? "";
  const code = what === "topic" ? Code.ILLEGAL_TOPIC : Code.ILLEGAL_CONSUMER_GROUP;
  if (name === "") throw new StatusException(code, `${what} name is required`);
  if (name.length > MAX_NAME_LENGTH)
    throw new StatusException(code, `${what} name longer than ${MAX_NAME_LENGTH} characters`);
  if (!TOPIC_PATTERN.test(name))
    throw new StatusException(code, `${what} "${name}" does not match ${TOPIC_PATTERN.source}`);
  return name;
}

/** The topic name of a request. @throws StatusException ILLEGAL_TOPIC. */
export function topicName(resource: Resource | undefined): string {
  return checkName(resource, "topic");
}

/** The consumer group name of a request. @throws StatusException ILLEGAL_CONSUMER_GROUP. */
export function groupName(resource: Resource | undefined): string {
  return checkName(resource, "consumer group");
}
