/*
 * HEART_BEAT (34): no extFields; body = HeartbeatData JSON (research §3.2):
 *
 *   { "clientID": "127.0.0.1@11679",
 *     "consumerDataSet": [ { "groupName", "consumeType": "CONSUME_PASSIVELY"|"CONSUME_ACTIVELY",
 *         "messageModel": "CLUSTERING"|"BROADCASTING", "consumeFromWhere", "unitMode",
 *         "subscriptionDataSet": [ { "topic", "subString", "tagsSet": [..], "codeSet": [..],
 *                                    "subVersion", "expressionType"? } ] } ],
 *     "producerDataSet": [ { "groupName" } ] }
 *   response = code 0, no extFields, no body
 */
import { HeaderFieldError } from "../remoting-error.js";

export interface SubscriptionData {
  readonly topic: string;
  /** "*" or "TagA || TagB". */
  readonly subString: string;
  readonly expressionType: string;
  readonly subVersion: number;
}

export interface ConsumerData {
  readonly groupName: string;
  readonly consumeType: string;
  readonly messageModel: "CLUSTERING" | "BROADCASTING";
  readonly consumeFromWhere: string;
  readonly subscriptions: SubscriptionData[];
}

export interface HeartbeatData {
  readonly clientID: string;
  readonly consumers: ConsumerData[];
  readonly producerGroups: string[];
}

const MAX_ENTRIES = 1024;

/** @throws HeaderFieldError naming the bad part of the body. */
export function decodeHeartbeatBody(body: Buffer | null): HeartbeatData {
  const json = parseJson(body);
  const clientID = json.clientID;
  if (typeof clientID !== "string" || clientID.length === 0 || clientID.length > 255)
    throw new HeaderFieldError(
      "clientID",
      "clientID: expected a non-empty string of at most 255 characters",
    );
  const consumers = list(json.consumerDataSet, "consumerDataSet").map((entry, index) =>
    consumerData(entry, `consumerDataSet[${index}]`),
  );
  const producerGroups = list(json.producerDataSet, "producerDataSet").map((entry, index) => {
    const name = (entry as Record<string, unknown> | null)?.groupName;
    if (typeof name !== "string")
      throw new HeaderFieldError(
        "producerDataSet",
        `producerDataSet[${index}].groupName: expected a string`,
      );
    return name;
  });
  return { clientID, consumers, producerGroups };
}

function parseJson(body: Buffer | null): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(body?.toString("utf8") ?? "");
  } catch {
    throw new HeaderFieldError("body", "body: expected HeartbeatData JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new HeaderFieldError("body", "body: expected a HeartbeatData object");
  return json as Record<string, unknown>;
}

function list(value: unknown, name: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > MAX_ENTRIES)
    throw new HeaderFieldError(
      name,
      `${name}: expected an array of at most ${MAX_ENTRIES} entries`,
    );
  return value;
}

function consumerData(value: unknown, path: string): ConsumerData {
  const entry = (typeof value === "object" && value !== null ? value : {}) as Record<
    string,
    unknown
  >;
  if (typeof entry.groupName !== "string")
    throw new HeaderFieldError("consumerDataSet", `${path}.groupName: expected a string`);
  const messageModel = entry.messageModel === "BROADCASTING" ? "BROADCASTING" : "CLUSTERING";
  const subscriptions = list(entry.subscriptionDataSet, `${path}.subscriptionDataSet`).map(
    (item, index) => {
      const sub = (typeof item === "object" && item !== null ? item : {}) as Record<
        string,
        unknown
      >;
      if (typeof sub.topic !== "string")
        throw new HeaderFieldError(
          "consumerDataSet",
          `${path}.subscriptionDataSet[${index}].topic: expected a string`,
        );
      return {
        topic: sub.topic,
        subString: typeof sub.subString === "string" ? sub.subString : "*",
        expressionType: typeof sub.expressionType === "string" ? sub.expressionType : "TAG",
        subVersion: typeof sub.subVersion === "number" ? sub.subVersion : 0,
      };
    },
  );
  return {
    groupName: entry.groupName,
    consumeType: typeof entry.consumeType === "string" ? entry.consumeType : "CONSUME_PASSIVELY",
    messageModel,
    consumeFromWhere:
      typeof entry.consumeFromWhere === "string"
        ? entry.consumeFromWhere
        : "CONSUME_FROM_LAST_OFFSET",
    subscriptions,
  };
}
