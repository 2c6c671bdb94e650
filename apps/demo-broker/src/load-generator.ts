import { RequestCode, ResponseCode } from "@store/broker";
import { isConnectionLost, WireClient } from "./wire-client.js";

/** Where and what to send. */
export interface LoadPlan {
  /** The broker's remoting address, `host:port`. */
  readonly brokerAddr: string;
  readonly topic: string;
  /** Queues to spread over (queue = sequence % queues). */
  readonly queues: number;
  /** Messages to send in all. */
  readonly messages: number;
  /** Body size, bytes (at least the header `bench:<runId>:<seq>:`). */
  readonly size: number;
  /** Concurrent producers, each on its own connection with one send in flight. */
  readonly producers: number;
  /** Marks this run's bodies, so verification tells them from other messages in the topic. */
  readonly runId: string;
  /** A send not answered within this is counted failed, ms. Default 10,000. */
  readonly sendTimeoutMs?: number;
  /** Stops sending early (already-sent answers are still awaited). */
  readonly signal?: AbortSignal;
  /** Called after each answer (cheap: it runs per message). */
  readonly onProgress?: (done: number) => void;
}

/** One acknowledged send: where the broker says the message is. */
export interface AckedSend {
  readonly sequence: number;
  readonly queueId: number;
  readonly queueOffset: number;
  readonly msgId: string;
  /** `SEND_OK`, or the flush / slave timeouts, which still stored the message. */
  readonly status: string;
}

/** What a load run did. */
export interface LoadOutcome {
  readonly acked: AckedSend[];
  /** Sends answered with an error (or not answered): sequence, and why. */
  readonly failed: { readonly sequence: number; readonly reason: string }[];
  /** Per answered send, ms, sorted ascending. */
  readonly latenciesMs: Float64Array;
  readonly elapsedMs: number;
}

const SEND_OK_CODES = new Map<number, string>([
  [ResponseCode.SUCCESS, "SEND_OK"],
  [ResponseCode.FLUSH_DISK_TIMEOUT, "FLUSH_DISK_TIMEOUT"],
  [ResponseCode.FLUSH_SLAVE_TIMEOUT, "FLUSH_SLAVE_TIMEOUT"],
  [ResponseCode.SLAVE_NOT_AVAILABLE, "SLAVE_NOT_AVAILABLE"],
]);

/** The run's prefix of every body. */
export function bodyPrefix(runId: string): string {
  return `bench:${runId}:`;
}

/** The body of message `sequence`: `bench:<runId>:<sequence>:` then letters derived from the sequence, `size` bytes. */
export function benchBody(runId: string, sequence: number, size: number): Buffer {
  const head = Buffer.from(`${bodyPrefix(runId)}${sequence}:`);
  const body = Buffer.allocUnsafe(Math.max(size, head.length));
  head.copy(body);
  for (let i = head.length; i < body.length; i++) body[i] = 97 + ((sequence * 31 + i) % 26);
  return body;
}

/** The sequence a body of this run carries, or null for another run's (or a foreign) body. */
export function sequenceOf(body: Buffer, runId: string): number | null {
  const prefix = bodyPrefix(runId);
  if (body.length < prefix.length || body.toString("latin1", 0, prefix.length) !== prefix)
    return null;
  const end = body.indexOf(0x3a, prefix.length); // ':'
  if (end < 0) return null;
  const sequence = Number(body.toString("latin1", prefix.length, end));
  return Number.isSafeInteger(sequence) && sequence >= 0 ? sequence : null;
}

/** SEND_MESSAGE_V2's header, as ali-ons fills it (single letters: research/remoting-protocol.md §4). */
function sendHeader(plan: LoadPlan, queueId: number, sequence: number): Record<string, string> {
  return {
    a: "PID_DEMO_BENCH",
    b: plan.topic,
    c: "TBW102",
    d: String(plan.queues),
    e: String(queueId),
    f: "0",
    g: String(Date.now()),
    h: "0",
    i: `KEYS\u0001bench-${plan.runId}-${sequence}\u0002`,
    j: "0",
    k: "false",
  };
}

/**
 * Sends `messages` messages of `size` bytes from `producers` concurrent producers (one connection
 * each, one send in flight each) with SEND_MESSAGE_V2, and records every answer: acknowledged sends
 * with their queue offset, failures with the reason. A producer whose connection closes stops (its
 * failed send is counted, not retried: a retry could duplicate); the others go on.
 */
export async function runLoad(plan: LoadPlan): Promise<LoadOutcome> {
  const acked: AckedSend[] = [];
  const failed: { sequence: number; reason: string }[] = [];
  const latencies = new Float64Array(plan.messages);
  let answered = 0;
  let next = 0;
  const timeoutMs = plan.sendTimeoutMs ?? 10_000;
  const started = performance.now();
  const producer = async (): Promise<void> => {
    let client: WireClient;
    try {
      client = await WireClient.connect(plan.brokerAddr);
    } catch (error) {
      for (
        let sequence = next++;
        sequence < plan.messages && !plan.signal?.aborted;
        sequence = next++
      ) {
        failed.push({ sequence, reason: (error as Error).message });
      }
      return;
    }
    try {
      for (
        let sequence = next++;
        sequence < plan.messages && plan.signal?.aborted !== true;
        sequence = next++
      ) {
        const queueId = sequence % plan.queues;
        const sentAt = performance.now();
        try {
          const response = await client.invoke(
            RequestCode.SEND_MESSAGE_V2,
            sendHeader(plan, queueId, sequence),
            benchBody(plan.runId, sequence, plan.size),
            timeoutMs,
          );
          const status = SEND_OK_CODES.get(response.code);
          if (status === undefined)
            failed.push({ sequence, reason: `code ${response.code}: ${response.remark ?? ""}` });
          else {
            const fields = response.extFields;
            acked.push({
              sequence,
              queueId: Number(fields.queueId),
              queueOffset: Number(fields.queueOffset),
              msgId: fields.msgId ?? "",
              status,
            });
          }
        } catch (error) {
          failed.push({ sequence, reason: (error as Error).message });
          if (isConnectionLost(error)) break; // the broker went away: this producer stops
        }
        latencies[answered++] = performance.now() - sentAt;
        plan.onProgress?.(answered);
      }
    } finally {
      await client.close();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, plan.producers) }, producer));
  const elapsedMs = performance.now() - started;
  return { acked, failed, latenciesMs: latencies.subarray(0, answered).sort(), elapsedMs };
}

/** The p-th percentile (0..100) of sorted values; 0 when empty. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}
