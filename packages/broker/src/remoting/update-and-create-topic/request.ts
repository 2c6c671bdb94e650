/*
 * UPDATE_AND_CREATE_TOPIC (17) request header; no body:
 *
 *   extFields = { topic, defaultTopic?, readQueueNums, writeQueueNums, perm, topicFilterType?
 *                 ("SINGLE_TAG"|"MULTI_TAG"), topicSysFlag?, order? }
 *   response  = code 0 | 1 SYSTEM_ERROR (remark names the bad field or topic)
 */
import {
  optionalBoolean,
  optionalInt,
  optionalString,
  requiredInt,
  requiredString,
} from "../header-fields.js";
import { HeaderFieldError } from "../remoting-error.js";
import type { RemotingCommand } from "../remoting-command.js";

export interface CreateTopicRequestHeader {
  readonly topic: string;
  readonly readQueueNums: number;
  readonly writeQueueNums: number;
  readonly perm: number;
  readonly topicFilterType: "SINGLE_TAG" | "MULTI_TAG";
  readonly topicSysFlag: number;
  readonly order: boolean;
}

/** @throws HeaderFieldError. */
export function decodeCreateTopicRequest(command: RemotingCommand): CreateTopicRequestHeader {
  const fields = command.extFields;
  const filterType = optionalString(fields, "topicFilterType") ?? "SINGLE_TAG";
  if (filterType !== "SINGLE_TAG" && filterType !== "MULTI_TAG")
    throw new HeaderFieldError(
      "topicFilterType",
      `topicFilterType: expected SINGLE_TAG or MULTI_TAG, got '${filterType.slice(0, 64)}'`,
    );
  return {
    topic: requiredString(fields, "topic"),
    readQueueNums: requiredInt(fields, "readQueueNums", { min: 1, max: 1024 }),
    writeQueueNums: requiredInt(fields, "writeQueueNums", { min: 1, max: 1024 }),
    perm: requiredInt(fields, "perm", { min: 0, max: 15 }),
    topicFilterType: filterType,
    topicSysFlag: optionalInt(fields, "topicSysFlag", 0, { min: 0, max: 2_147_483_647 }),
    order: optionalBoolean(fields, "order", false),
  };
}
