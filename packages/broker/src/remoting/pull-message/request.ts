/*
 * PULL_MESSAGE (11) request header; no body:
 *
 *   extFields = { consumerGroup, topic, queueId, queueOffset, maxMsgNums, sysFlag, commitOffset,
 *                 suspendTimeoutMillis (ms), subscription?, subVersion, expressionType? }
 *   sysFlag bits: 1 commitOffset present, 2 suspend allowed (long polling), 4 subscription present,
 *                 8 class filter
 *   subscription: "*" or tags joined by " || " ("TagA || TagB"); expressionType "TAG" (default) or "SQL92"
 */
import { optionalInt, optionalString, requiredInt, requiredString } from "../header-fields.js";
import type { RemotingCommand } from "../remoting-command.js";

export const PULL_FLAG_COMMIT_OFFSET = 1;
export const PULL_FLAG_SUSPEND = 2;
export const PULL_FLAG_SUBSCRIPTION = 4;
export const PULL_FLAG_CLASS_FILTER = 8;

/** The longest hold a request may ask for, ms. */
export const MAX_SUSPEND_TIMEOUT_MS = 3_600_000;

export interface PullMessageRequestHeader {
  readonly consumerGroup: string;
  readonly topic: string;
  readonly queueId: number;
  readonly queueOffset: number;
  readonly maxMsgNums: number;
  readonly sysFlag: number;
  readonly commitOffset: number;
  readonly suspendTimeoutMillis: number;
  readonly subscription: string | undefined;
  readonly subVersion: number;
  readonly expressionType: string | undefined;
}

/** @throws HeaderFieldError naming the bad field (a negative queueOffset, a non-number, ...). */
export function decodePullMessageRequest(command: RemotingCommand): PullMessageRequestHeader {
  const fields = command.extFields;
  return {
    consumerGroup: requiredString(fields, "consumerGroup"),
    topic: requiredString(fields, "topic"),
    queueId: requiredInt(fields, "queueId", { min: 0, max: 2_147_483_647 }),
    queueOffset: requiredInt(fields, "queueOffset", { min: 0 }),
    maxMsgNums: requiredInt(fields, "maxMsgNums", { min: 1, max: 2_147_483_647 }),
    sysFlag: requiredInt(fields, "sysFlag", { min: 0, max: 2_147_483_647 }),
    commitOffset: optionalInt(fields, "commitOffset", -1, { min: -1 }),
    suspendTimeoutMillis: optionalInt(fields, "suspendTimeoutMillis", 0, {
      min: 0,
      max: MAX_SUSPEND_TIMEOUT_MS,
    }),
    subscription: optionalString(fields, "subscription"),
    subVersion: optionalInt(fields, "subVersion", 0),
    expressionType: optionalString(fields, "expressionType"),
  };
}
