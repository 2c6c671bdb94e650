import type { Status } from "./proto-types.js";

/**
 * The protocol's status codes (definition.proto `Code`), by name: the wire carries enums by name
 * here. Only the ones the proxy answers are listed.
 */
export const Code = {
  OK: "OK",
  MULTIPLE_RESULTS: "MULTIPLE_RESULTS",
  BAD_REQUEST: "BAD_REQUEST",
  ILLEGAL_TOPIC: "ILLEGAL_TOPIC",
  ILLEGAL_CONSUMER_GROUP: "ILLEGAL_CONSUMER_GROUP",
  ILLEGAL_MESSAGE_TAG: "ILLEGAL_MESSAGE_TAG",
  ILLEGAL_MESSAGE_KEY: "ILLEGAL_MESSAGE_KEY",
  ILLEGAL_MESSAGE_GROUP: "ILLEGAL_MESSAGE_GROUP",
  ILLEGAL_MESSAGE_PROPERTY_KEY: "ILLEGAL_MESSAGE_PROPERTY_KEY",
  ILLEGAL_MESSAGE_ID: "ILLEGAL_MESSAGE_ID",
  ILLEGAL_FILTER_EXPRESSION: "ILLEGAL_FILTER_EXPRESSION",
  ILLEGAL_INVISIBLE_TIME: "ILLEGAL_INVISIBLE_TIME",
  ILLEGAL_DELIVERY_TIME: "ILLEGAL_DELIVERY_TIME",
  INVALID_RECEIPT_HANDLE: "INVALID_RECEIPT_HANDLE",
  CLIENT_ID_REQUIRED: "CLIENT_ID_REQUIRED",
  ILLEGAL_POLLING_TIME: "ILLEGAL_POLLING_TIME",
  FORBIDDEN: "FORBIDDEN",
  MESSAGE_NOT_FOUND: "MESSAGE_NOT_FOUND",
  TOPIC_NOT_FOUND: "TOPIC_NOT_FOUND",
  OFFSET_NOT_FOUND: "OFFSET_NOT_FOUND",
  MESSAGE_BODY_TOO_LARGE: "MESSAGE_BODY_TOO_LARGE",
  MESSAGE_BODY_EMPTY: "MESSAGE_BODY_EMPTY",
  TOO_MANY_REQUESTS: "TOO_MANY_REQUESTS",
  MESSAGE_PROPERTIES_TOO_LARGE: "MESSAGE_PROPERTIES_TOO_LARGE",
  INTERNAL_SERVER_ERROR: "INTERNAL_SERVER_ERROR",
  HA_NOT_AVAILABLE: "HA_NOT_AVAILABLE",
  NOT_IMPLEMENTED: "NOT_IMPLEMENTED",
  MASTER_PERSISTENCE_TIMEOUT: "MASTER_PERSISTENCE_TIMEOUT",
  SLAVE_PERSISTENCE_TIMEOUT: "SLAVE_PERSISTENCE_TIMEOUT",
} as const;

/** A RocketMQ 5 gRPC status code (apache.rocketmq.v2.Code). */
export type CodeName = (typeof Code)[keyof typeof Code];

/** A Status with a code and a message saying why. */
export function status(code: CodeName, message: string): Status {
  return { code, message };
}

/** OK, with the protocol's customary message. */
export const OK_STATUS: Status = Object.freeze({ code: Code.OK, message: "OK" });

/**
 * Thrown by request validation: the activity answers it as the RPC's status. Not a StoreError: it
 * never leaves the proxy.
 */
export class StatusException extends Error {
  override readonly name: string = "StatusException";
  readonly status: Status;

  constructor(code: CodeName, message: string) {
    super(message);
    this.status = status(code, message);
  }
}

/**
 * The top-level status of several per-entry results (RocketMQ's proxy): their common status, or
 * MULTIPLE_RESULTS when they differ.
 */
export function commonStatus(statuses: readonly Status[]): Status {
  const first = statuses[0];
  if (first === undefined) return OK_STATUS;
  if (statuses.every((s) => s.code === first.code)) return first;
  return status(Code.MULTIPLE_RESULTS, "the entries have different results");
}
