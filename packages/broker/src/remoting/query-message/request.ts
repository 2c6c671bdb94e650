/*
 * QUERY_MESSAGE (12) (QueryMessageRequestHeader): extFields =
 *   { topic, key, maxNum, beginTimestamp, endTimestamp } and, from a query by unique key,
 *   "_UNIQUE_KEY_QUERY": "true" (the broker then takes defaultQueryMaxNum as maxNum); no body.
 *   maxNum: int32 ≥ 1; beginTimestamp, endTimestamp: ms, int64 (RocketMQ's mqadmin sends
 *   Long.MAX_VALUE as the end: values past 2^53 - 1 are read as 2^53 - 1).
 */
import { HeaderFieldError } from "../remoting-error.js";
import { optionalBoolean, requiredInt, requiredString } from "../header-fields.js";
import type { RemotingCommand } from "../remoting-command.js";

/** MixAll.UNIQUE_MSG_QUERY_FLAG. */
export const UNIQUE_MSG_QUERY_FLAG = "_UNIQUE_KEY_QUERY";

export interface QueryMessageRequestHeader {
  readonly topic: string;
  readonly key: string;
  readonly maxNum: number;
  /** ms. */
  readonly beginTimestamp: number;
  /** ms. */
  readonly endTimestamp: number;
  /** A query by unique key (UNIQUE_MSG_QUERY_FLAG). */
  readonly uniqueKey: boolean;
}

const INT64 = /^-?\d{1,19}$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A required Java long, clamped to Number's safe range. @throws HeaderFieldError. */
function requiredTimestamp(command: RemotingCommand, name: string): number {
  const value = Object.hasOwn(command.extFields, name) ? command.extFields[name] : undefined;
  if (value === undefined) throw new HeaderFieldError(name, `${name}: required`);
  const parsed = INT64.test(value) ? BigInt(value) : null;
  if (parsed === null || parsed < INT64_MIN || parsed > INT64_MAX) {
    throw new HeaderFieldError(
      name,
      `${name}: expected a 64-bit integer (ms), got '${value.length > 64 ? `${value.slice(0, 64)}…` : value}'`,
    );
  }
  return Number(
    parsed < 0n
      ? 0n
      : parsed > BigInt(Number.MAX_SAFE_INTEGER)
        ? BigInt(Number.MAX_SAFE_INTEGER)
        : parsed,
  );
}

/** @throws HeaderFieldError naming the first bad field. */
export function decodeQueryMessageRequest(command: RemotingCommand): QueryMessageRequestHeader {
  const fields = command.extFields;
  return {
    topic: requiredString(fields, "topic"),
    key: requiredString(fields, "key"),
    maxNum: requiredInt(fields, "maxNum", { min: 1, max: 2_147_483_647 }),
    beginTimestamp: requiredTimestamp(command, "beginTimestamp"),
    endTimestamp: requiredTimestamp(command, "endTimestamp"),
    uniqueKey: optionalBoolean(fields, UNIQUE_MSG_QUERY_FLAG, false),
  };
}
