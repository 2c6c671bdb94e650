import type { GetMessageResult, PutMessageResult } from "@store/commitlog";
import type { DecodedMessage, MessageInput } from "@store/message-codec";
import type { DispatchSource } from "./pop-long-polling-service.js";

/** What pop consumption needs of the message store (MessageStore satisfies it). */
export interface PopMessageStore extends DispatchSource {
  /** Reads messages from a consume queue (see `MessageStore.getMessage`). */
  getMessage(
    group: string,
    topic: string,
    queueId: number,
    offset: number,
    maxMsgNums: number,
  ): Promise<GetMessageResult>;
  /** The message at a commit-log offset, or null (see `MessageStore.lookMessageByOffset`). */
  lookMessageByOffset(phyOffset: number): Promise<DecodedMessage | null>;
  /** Stores a message (see `MessageStore.putMessage`). */
  putMessage(message: MessageInput): Promise<PutMessageResult>;
  /** The queue's first offset still stored. */
  getMinOffsetInQueue(topic: string, queueId: number): number;
  /** The queue's next offset (one past its last message). */
  getMaxOffsetInQueue(topic: string, queueId: number): number;
}

/** What pop consumption needs of the broker's topics. */
export interface PopTopicSource {
  /** Read queues of `topic`; 0 when the topic does not exist. */
  readQueueNums(topic: string): number;
}

/** The time source, injectable for tests. */
export interface PopClock {
  /** ms since the epoch. */
  now(): number;
}

/** The wall clock. */
export const systemClock: PopClock = { now: () => Date.now() };

/** Bounds of pop consumption; every queue and wait it keeps has one. */
export interface PopLimits {
  /** Most messages one pop returns (RocketMQ caps a pop at 32). */
  readonly maxBatchSize: number;
  /** Shortest invisible time, ms; shorter requests are raised to it. */
  readonly minInvisibleTimeMs: number;
  /** Longest invisible time, ms; longer requests are lowered to it. */
  readonly maxInvisibleTimeMs: number;
  /** Longest long-poll, ms; longer requests are lowered to it. */
  readonly maxPollTimeMs: number;
  /** Pops waiting for messages at once; past it a pop answers POLLING_FULL. */
  readonly maxWaitingPolls: number;
  /** Messages in flight (popped, not acked) over all groups; past it a pop answers IN_FLIGHT_FULL. */
  readonly maxInFlightMessages: number;
  /** Longest sleep of the revive loop between checks, ms (it also wakes at the next revive time). */
  readonly reviveIntervalMs: number;
  /** Consume-queue reads per queue and pop when the messages read are filtered out. */
  readonly maxScanRounds: number;
}

/** Default pop limits: batch size, invisible time bounds and poll time (ms), polls waiting at once. */
export const DEFAULT_POP_LIMITS: PopLimits = {
  maxBatchSize: 32,
  minInvisibleTimeMs: 1000,
  maxInvisibleTimeMs: 12 * 3600 * 1000,
  maxPollTimeMs: 60_000,
  maxWaitingPolls: 1024,
  maxInFlightMessages: 100_000,
  reviveIntervalMs: 1000,
  maxScanRounds: 8,
};

/** A pop request (RocketMQ's PopMessageRequestHeader, plus long polling). */
export interface PopRequest {
  readonly group: string;
  readonly topic: string;
  /** 1..maxBatchSize; larger values are lowered. */
  readonly maxMessages: number;
  /** How long the messages stay invisible, ms (clamped to the limits). */
  readonly invisibleTimeMs: number;
  /** TAG expression (`*`, `TagA || TagB`); default `*`. */
  readonly expression?: string;
  /** How long to wait for a message when none is ready, ms; 0 (default) answers at once. */
  readonly pollTimeMs?: number;
  /** Ends the wait early (the client went away). */
  readonly signal?: AbortSignal;
}

/** A message handed out by a pop. */
export interface PoppedMessage {
  /** The stored record (for a retry message: the copy in the retry topic). */
  readonly message: DecodedMessage;
  /** The topic the consumer asked for (a retry copy's original topic). */
  readonly topic: string;
  /** Ack or change the invisible time with this. */
  readonly receiptHandle: string;
  /** Reconsume count: 0 on the first delivery. */
  readonly reconsumeTimes: number;
  /** reconsumeTimes + 1. */
  readonly deliveryAttempt: number;
  /** ms since the epoch. */
  readonly popTime: number;
  /** ms. */
  readonly invisibleTimeMs: number;
}

/**
 * - FOUND: messages were popped.
 * - NO_NEW_MSG: none matched within the poll time.
 * - POLLING_FULL: none was ready and too many polls already wait (retry later).
 * - IN_FLIGHT_FULL: too many messages are in flight (ack some, retry later).
 * - SHUTTING_DOWN: the service stopped while the pop waited.
 */
export type PopStatus =
  "FOUND" | "NO_NEW_MSG" | "POLLING_FULL" | "IN_FLIGHT_FULL" | "SHUTTING_DOWN";

/** What a pop returns: the messages with their receipt handles, and the status. */
export interface PopResult {
  readonly status: PopStatus;
  readonly messages: PoppedMessage[];
}

/** The handle is unknown: acked already, changed, revived, or never issued (RocketMQ INVALID_RECEIPT_HANDLE). */
export interface InvalidReceiptHandle {
  readonly status: "INVALID_RECEIPT_HANDLE";
  readonly reason: string;
}

/** What an ack answers: OK, or why the receipt handle is invalid. */
export type AckResult = { readonly status: "OK" } | InvalidReceiptHandle;

/** What a change of invisible time answers: the new receipt handle, or why not. */
export type ChangeInvisibleTimeResult =
  | {
      readonly status: "OK";
      /** The new handle; the old one is no longer valid. */
      readonly receiptHandle: string;
      /** ms since the epoch. */
      readonly popTime: number;
      /** ms, after clamping. */
      readonly invisibleTimeMs: number;
    }
  | InvalidReceiptHandle;

/** What forwarding a message to its DLQ answers. */
export type ForwardResult =
  | { readonly status: "OK" }
  | InvalidReceiptHandle
  /** The copy could not be stored; the message stays in flight. */
  | { readonly status: "PUT_FAILED"; readonly reason: string };
