/*
 * SEND_MESSAGE (10), SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320) request headers.
 *
 *   10:  extFields = { producerGroup, topic, defaultTopic, defaultTopicQueueNums, queueId, sysFlag,
 *                      bornTimestamp, flag, properties?, reconsumeTimes?, unitMode?, batch?,
 *                      maxReconsumeTimes? }
 *   310/320 (SendMessageRequestHeaderV2, one letter per field, same order):
 *        a producerGroup  b topic  c defaultTopic  d defaultTopicQueueNums  e queueId  f sysFlag
 *        g bornTimestamp(ms)  h flag  i properties ("k\u0001v\u0002...")  j reconsumeTimes
 *        k unitMode  l maxReconsumeTimes  m batch
 *   body = the message body (10, 310) or the batch encoding (320, see send-batch-message/request.ts)
 *
 * ali-ons sends 310 only (research §3.2), with numbers and booleans as JSON values.
 */
import {
  optionalBoolean,
  optionalInt,
  optionalString,
  requiredInt,
  requiredString,
} from "../header-fields.js";
import type { RemotingCommand } from "../remoting-command.js";
import { RequestCode } from "../request-code.js";

const INT32_MAX = 2_147_483_647;

export interface SendMessageRequestHeader {
  readonly producerGroup: string;
  readonly topic: string;
  readonly defaultTopic: string;
  readonly defaultTopicQueueNums: number;
  /** -1 lets the broker choose. */
  readonly queueId: number;
  readonly sysFlag: number;
  readonly bornTimestamp: number;
  readonly flag: number;
  readonly properties: string;
  readonly reconsumeTimes: number;
  readonly unitMode: boolean;
  readonly maxReconsumeTimes: number | undefined;
  readonly batch: boolean;
}

const V2_NAMES = {
  a: "producerGroup",
  b: "topic",
  c: "defaultTopic",
  d: "defaultTopicQueueNums",
  e: "queueId",
  f: "sysFlag",
  g: "bornTimestamp",
  h: "flag",
  i: "properties",
  j: "reconsumeTimes",
  k: "unitMode",
  l: "maxReconsumeTimes",
  m: "batch",
} as const;

/**
 * Reads a send header (full names for 10, single letters for 310 and 320); errors name the field
 * as RocketMQ does (`queueId`, not `e`). @throws HeaderFieldError.
 */
export function decodeSendMessageRequest(command: RemotingCommand): SendMessageRequestHeader {
  const fields =
    command.code === RequestCode.SEND_MESSAGE ? command.extFields : fromV2(command.extFields);
  const maxReconsume = optionalInt(fields, "maxReconsumeTimes", -1, { min: -1, max: INT32_MAX });
  return {
    producerGroup: requiredString(fields, "producerGroup"),
    topic: requiredString(fields, "topic"),
    defaultTopic: optionalString(fields, "defaultTopic") ?? "TBW102",
    defaultTopicQueueNums: optionalInt(fields, "defaultTopicQueueNums", 4, { min: 1, max: 1024 }),
    queueId: requiredInt(fields, "queueId", { min: -1, max: INT32_MAX }),
    sysFlag: optionalInt(fields, "sysFlag", 0, { min: 0, max: INT32_MAX }),
    bornTimestamp: requiredInt(fields, "bornTimestamp", { min: 0 }),
    flag: optionalInt(fields, "flag", 0, { min: -INT32_MAX - 1, max: INT32_MAX }),
    properties: optionalString(fields, "properties") ?? "",
    reconsumeTimes: optionalInt(fields, "reconsumeTimes", 0, { min: 0, max: INT32_MAX }),
    unitMode: optionalBoolean(fields, "unitMode", false),
    maxReconsumeTimes: maxReconsume < 0 ? undefined : maxReconsume,
    batch:
      command.code === RequestCode.SEND_BATCH_MESSAGE || optionalBoolean(fields, "batch", false),
  };
}

function fromV2(fields: Readonly<Record<string, string>>): Record<string, string> {
  const named: Record<string, string> = {};
  for (const [letter, name] of Object.entries(V2_NAMES)) {
    const value = fields[letter];
    if (value !== undefined) named[name] = value;
  }
  return named;
}
