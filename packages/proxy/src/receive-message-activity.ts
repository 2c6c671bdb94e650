import type { ServerWritableStream } from "@grpc/grpc-js";
import type { PopResult } from "@store/broker";
import { MAX_TAG_EXPRESSION_LENGTH, PopError } from "@store/broker";
import type { Logger } from "pino";
import { toProtoMessage } from "./grpc-converter.js";
import { groupName, topicName } from "./names.js";
import type { ReceiveMessageRequest, ReceiveMessageResponse } from "./proto-types.js";
import { durationMs, timestampOf } from "./proto-types.js";
import type { ProxyBroker } from "./proxy-broker.js";
import { Code, OK_STATUS, status, StatusException } from "./status.js";

export interface ReceiveLimits {
  /** Invisible time of a receive that names none (push consumers), ms. The Java proxy's 60 s. */
  readonly defaultInvisibleTimeMs: number;
  /** Shortest invisible time a receive may ask for, ms. */
  readonly minInvisibleTimeMs: number;
  /** Longest invisible time, ms. */
  readonly maxInvisibleTimeMs: number;
  /** Longest long-poll, ms; longer requests are lowered to it. */
  readonly maxLongPollingTimeoutMs: number;
  /** Messages per receive at most; larger batches are lowered, 0 means this. */
  readonly maxBatchSize: number;
}

/** Time kept back from the client's deadline so the answer arrives before it, ms. */
const DEADLINE_RESERVE_MS = 200;

export type ReceiveCall = ServerWritableStream<ReceiveMessageRequest, ReceiveMessageResponse>;

/**
 * ReceiveMessage (the Java proxy's ReceiveMessageActivity): a long-polling pop. The stream carries
 * `{status OK}`, one `{message}` per message and `{delivery_timestamp}`; or, when nothing arrived in
 * time, `{status MESSAGE_NOT_FOUND}` and `{delivery_timestamp}`. Then it ends with gRPC OK.
 */
export class ReceiveMessageActivity {
  readonly #broker: ProxyBroker;
  readonly #limits: ReceiveLimits;
  readonly #logger: Logger;
  readonly #shutdown: AbortSignal;

  /** @param shutdown - aborts every waiting receive when the proxy stops. */
  constructor(broker: ProxyBroker, limits: ReceiveLimits, logger: Logger, shutdown: AbortSignal) {
    this.#broker = broker;
    this.#limits = limits;
    this.#logger = logger;
    this.#shutdown = shutdown;
  }

  async receiveMessage(call: ReceiveCall): Promise<void> {
    const request = call.request;
    let result: PopResult;
    try {
      result = await this.#pop(call, request);
    } catch (error) {
      const answer =
        error instanceof StatusException
          ? error.status
          : error instanceof PopError && error.code === "BAD_ARGUMENT"
            ? status(Code.BAD_REQUEST, error.message)
            : status(Code.INTERNAL_SERVER_ERROR, `receive failed: ${String(error)}`);
      if (!(error instanceof StatusException)) this.#logger.warn({ err: error }, "receive failed");
      this.#finish(call, [{ status: answer }]);
      return;
    }
    const responses: ReceiveMessageResponse[] = [];
    if (result.status === "FOUND") {
      responses.push({ status: OK_STATUS });
      for (const popped of result.messages) responses.push({ message: toProtoMessage(popped) });
    } else if (result.status === "POLLING_FULL" || result.status === "IN_FLIGHT_FULL") {
      responses.push({
        status: status(
          Code.TOO_MANY_REQUESTS,
          result.status === "POLLING_FULL"
            ? "too many waiting receives"
            : "too many messages in flight",
        ),
      });
    } else {
      responses.push({
        status: status(
          Code.MESSAGE_NOT_FOUND,
          result.status === "SHUTTING_DOWN" ? "the broker is shutting down" : "no new message",
        ),
      });
    }
    responses.push({ delivery_timestamp: timestampOf(Date.now()) });
    this.#finish(call, responses);
  }

  async #pop(call: ReceiveCall, request: ReceiveMessageRequest): Promise<PopResult> {
    const group = groupName(request.group);
    const topic = topicName(request.message_queue?.topic);
    const filter = request.filter_expression;
    if (filter?.type === "SQL")
      throw new StatusException(
        Code.NOT_IMPLEMENTED,
        "SQL92 filter expressions are not supported; use TAG",
      );
    if ((filter?.expression ?? "").length > MAX_TAG_EXPRESSION_LENGTH) {
      throw new StatusException(
        Code.ILLEGAL_FILTER_EXPRESSION,
        `filter expression longer than ${MAX_TAG_EXPRESSION_LENGTH} characters`,
      );
    }
    const limits = this.#limits;
    let invisibleTimeMs = limits.defaultInvisibleTimeMs;
    if (request.invisible_duration !== undefined) {
      invisibleTimeMs = durationMs(request.invisible_duration);
      if (
        invisibleTimeMs < limits.minInvisibleTimeMs ||
        invisibleTimeMs > limits.maxInvisibleTimeMs
      ) {
        throw new StatusException(
          Code.ILLEGAL_INVISIBLE_TIME,
          `invisible_duration must be ${limits.minInvisibleTimeMs}..${limits.maxInvisibleTimeMs} ms`,
        );
      }
    }
    const queues = await this.#broker.getTopicQueues(topic);
    if (queues === null)
      throw new StatusException(Code.TOPIC_NOT_FOUND, `topic ${topic} does not exist`);
    const requested = request.batch_size ?? 0;
    const batch = requested <= 0 ? limits.maxBatchSize : Math.min(requested, limits.maxBatchSize);
    // No long_polling_timeout: the longest poll (an immediate empty answer makes push consumers spin).
    const asked =
      request.long_polling_timeout === undefined
        ? limits.maxLongPollingTimeoutMs
        : durationMs(request.long_polling_timeout);
    let pollTimeMs = Math.min(Math.max(0, asked), limits.maxLongPollingTimeoutMs);
    const deadline = call.getDeadline();
    const deadlineMs = deadline instanceof Date ? deadline.getTime() : Number(deadline);
    if (Number.isFinite(deadlineMs) && deadlineMs > 0)
      pollTimeMs = Math.max(0, Math.min(pollTimeMs, deadlineMs - Date.now() - DEADLINE_RESERVE_MS));
    const controller = new AbortController();
    const abort = (): void => controller.abort();
    call.once("cancelled", abort);
    this.#shutdown.addEventListener("abort", abort, { once: true });
    try {
      return await this.#broker.popService.pop({
        group,
        topic,
        maxMessages: batch,
        invisibleTimeMs,
        expression: filter?.expression,
        pollTimeMs,
        signal: controller.signal,
      });
    } finally {
      call.off("cancelled", abort);
      this.#shutdown.removeEventListener("abort", abort);
    }
  }

  #finish(call: ReceiveCall, responses: ReceiveMessageResponse[]): void {
    if (call.cancelled) return;
    for (const response of responses) call.write(response);
    call.end();
  }
}
