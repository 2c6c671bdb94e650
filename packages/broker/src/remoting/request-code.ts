/**
 * RocketMQ's request codes (remoting/protocol/RequestCode.java), the ones this broker and its name
 * server answer or send. A code not handled by a processor is answered REQUEST_CODE_NOT_SUPPORTED.
 */
export const RequestCode = {
  SEND_MESSAGE: 10,
  PULL_MESSAGE: 11,
  QUERY_MESSAGE: 12,
  QUERY_CONSUMER_OFFSET: 14,
  UPDATE_CONSUMER_OFFSET: 15,
  UPDATE_AND_CREATE_TOPIC: 17,
  GET_ALL_TOPIC_CONFIG: 21,
  GET_BROKER_RUNTIME_INFO: 28,
  SEARCH_OFFSET_BY_TIMESTAMP: 29,
  GET_MAX_OFFSET: 30,
  GET_MIN_OFFSET: 31,
  GET_EARLIEST_MSG_STORETIME: 32,
  VIEW_MESSAGE_BY_ID: 33,
  HEART_BEAT: 34,
  UNREGISTER_CLIENT: 35,
  CONSUMER_SEND_MSG_BACK: 36,
  END_TRANSACTION: 37,
  GET_CONSUMER_LIST_BY_GROUP: 38,
  NOTIFY_CONSUMER_IDS_CHANGED: 40,
  LOCK_BATCH_MQ: 41,
  UNLOCK_BATCH_MQ: 42,
  REGISTER_BROKER: 103,
  UNREGISTER_BROKER: 104,
  GET_ROUTEINFO_BY_TOPIC: 105,
  GET_BROKER_CLUSTER_INFO: 106,
  GET_ALL_TOPIC_LIST_FROM_NAMESERVER: 206,
  SEND_MESSAGE_V2: 310,
  SEND_BATCH_MESSAGE: 320,
  POP_MESSAGE: 200050,
  ACK_MESSAGE: 200051,
  PEEK_MESSAGE: 200052,
  CHANGE_MESSAGE_INVISIBLETIME: 200053,
} as const;

export type RequestCode = (typeof RequestCode)[keyof typeof RequestCode];

const names = new Map<number, string>(
  Object.entries(RequestCode).map(([name, code]) => [code, name]),
);

/** The name of a request code for logs and remarks, e.g. `SEND_MESSAGE_V2(310)`, or `code 9999`. */
export function requestCodeName(code: number): string {
  const name = names.get(code);
  return name === undefined ? `code ${code}` : `${name}(${code})`;
}
