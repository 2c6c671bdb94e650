/**
 * The apache.rocketmq.v2 messages as @grpc/proto-loader hands them over with `keepCase`, `longs:
 * String`, `enums: String`, `defaults: false`, `oneofs: true`: snake_case fields, enums by name, int64
 * as strings, absent and zero values undefined. Only the fields the proxy reads or writes are listed.
 */

export interface Duration {
  seconds?: string | number;
  nanos?: number;
}

export interface Timestamp {
  seconds?: string | number;
  nanos?: number;
}

export interface Resource {
  resource_namespace?: string;
  name?: string;
}

export interface Address {
  host?: string;
  port?: number;
}

export interface Endpoints {
  scheme?: string;
  addresses?: Address[];
}

export interface Broker {
  name?: string;
  id?: number;
  endpoints?: Endpoints;
}

export interface MessageQueue {
  topic?: Resource;
  id?: number;
  permission?: string;
  broker?: Broker;
  accept_message_types?: string[];
}

export interface Status {
  code: string;
  message: string;
}

export interface Digest {
  type?: string;
  checksum?: string;
}

export interface SystemProperties {
  tag?: string;
  keys?: string[];
  message_id?: string;
  body_digest?: Digest;
  body_encoding?: string;
  message_type?: string;
  born_timestamp?: Timestamp;
  born_host?: string;
  store_timestamp?: Timestamp;
  store_host?: string;
  delivery_timestamp?: Timestamp;
  receipt_handle?: string;
  queue_id?: number;
  queue_offset?: string | number;
  invisible_duration?: Duration;
  delivery_attempt?: number;
  message_group?: string;
  trace_context?: string;
  dead_letter_queue?: { topic?: string; message_id?: string };
}

export interface Message {
  topic?: Resource;
  user_properties?: Record<string, string>;
  system_properties?: SystemProperties;
  body?: Buffer;
}

export interface FilterExpression {
  type?: string;
  expression?: string;
}

export interface SubscriptionEntry {
  topic?: Resource;
  expression?: FilterExpression;
}

export interface Settings {
  client_type?: string;
  access_point?: Endpoints;
  backoff_policy?: {
    max_attempts?: number;
    exponential_backoff?: { initial?: Duration; max?: Duration; multiplier?: number };
    customized_backoff?: { next?: Duration[] };
    strategy?: string;
  };
  request_timeout?: Duration;
  publishing?: { topics?: Resource[]; max_body_size?: number; validate_message_type?: boolean };
  subscription?: {
    group?: Resource;
    subscriptions?: SubscriptionEntry[];
    fifo?: boolean;
    receive_batch_size?: number;
    long_polling_timeout?: Duration;
  };
  pub_sub?: string;
  user_agent?: { language?: string; version?: string; platform?: string; hostname?: string };
  metric?: { on?: boolean; endpoints?: Endpoints };
}

export interface TelemetryCommand {
  status?: Status;
  settings?: Settings;
  command?: string;
}

export interface QueryRouteRequest {
  topic?: Resource;
  endpoints?: Endpoints;
}

export interface SendMessageRequest {
  messages?: Message[];
}

export interface SendResultEntry {
  status: Status;
  message_id: string;
  transaction_id: string;
  offset: number;
}

export interface QueryAssignmentRequest {
  topic?: Resource;
  group?: Resource;
  endpoints?: Endpoints;
}

export interface ReceiveMessageRequest {
  group?: Resource;
  message_queue?: MessageQueue;
  filter_expression?: FilterExpression;
  batch_size?: number;
  invisible_duration?: Duration;
  auto_renew?: boolean;
  long_polling_timeout?: Duration;
  attempt_id?: string;
}

export interface ReceiveMessageResponse {
  status?: Status;
  message?: Message;
  delivery_timestamp?: Timestamp;
}

export interface AckMessageRequest {
  group?: Resource;
  topic?: Resource;
  entries?: { message_id?: string; receipt_handle?: string }[];
}

export interface ChangeInvisibleDurationRequest {
  group?: Resource;
  topic?: Resource;
  receipt_handle?: string;
  invisible_duration?: Duration;
  message_id?: string;
}

export interface ForwardMessageToDeadLetterQueueRequest {
  group?: Resource;
  topic?: Resource;
  receipt_handle?: string;
  message_id?: string;
  delivery_attempt?: number;
  max_delivery_attempts?: number;
}

export interface HeartbeatRequest {
  group?: Resource;
  client_type?: string;
}

export interface NotifyClientTerminationRequest {
  group?: Resource;
}

export interface GetOffsetRequest {
  group?: Resource;
  message_queue?: MessageQueue;
}

export interface QueryOffsetRequest {
  message_queue?: MessageQueue;
  query_offset_policy?: string;
  timestamp?: Timestamp;
}

/** ms of a Duration (0 when absent). */
export function durationMs(duration: Duration | undefined): number {
  if (duration === undefined) return 0;
  return Number(duration.seconds ?? 0) * 1000 + Math.floor((duration.nanos ?? 0) / 1e6);
}

/** A Duration of `ms`. */
export function durationOf(ms: number): Duration {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

/** ms since the epoch of a Timestamp. */
export function timestampMs(timestamp: Timestamp): number {
  return Number(timestamp.seconds ?? 0) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6);
}

/** A Timestamp of `ms` since the epoch. */
export function timestampOf(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1e6 };
}
