import { RequestCode, ResponseCode } from "@store/broker";
import { decodeMessages } from "@store/message-codec";
import type { AckedSend } from "./load-generator.js";
import { benchBody, sequenceOf } from "./load-generator.js";
import { WireClient, WireError } from "./wire-client.js";

/** What verification found, over every queue of the topic from `startOffsets` to the end. */
export interface VerifyReport {
  /** Messages of this run read back. */
  readonly found: number;
  /** Acknowledged messages not found (lost). */
  readonly missing: number[];
  /** Acknowledged messages found at another queue offset than their ack gave. */
  readonly misplaced: number[];
  /** Sequences found more than once. */
  readonly duplicated: number[];
  /** Messages of this run whose body differs from what was sent. */
  readonly corrupt: number[];
  /** Found but never acknowledged (the send failed or timed out after the store had it): not an error. */
  readonly unacknowledgedStored: number;
  /** Per queue: whether the run's messages there sit at consecutive offsets from the first (a valid prefix). */
  readonly gaps: { readonly queueId: number; readonly at: number }[];
  readonly ok: boolean;
}

/** Where one message of the run was read. */
interface Found {
  readonly queueId: number;
  readonly queueOffset: number;
}

/** The max offset of each queue now (where a run that starts now begins). */
export async function queueMaxOffsets(
  brokerAddr: string,
  topic: string,
  queues: number,
): Promise<number[]> {
  const client = await WireClient.connect(brokerAddr);
  try {
    const offsets: number[] = [];
    for (let queueId = 0; queueId < queues; queueId++) {
      const response = await client.invoke(RequestCode.GET_MAX_OFFSET, {
        topic,
        queueId: String(queueId),
      });
      offsets.push(
        response.code === ResponseCode.SUCCESS ? Number(response.extFields.offset ?? 0) : 0,
      );
    }
    return offsets;
  } finally {
    await client.close();
  }
}

/**
 * Reads every queue of `topic` back with PULL_MESSAGE (from `startOffsets[queueId]`, 0 when absent,
 * to the end) and checks the run's messages against the acknowledgements: each acked message present
 * exactly once, at the queue offset its ack gave, with the body that was sent.
 * @throws WireError when the broker cannot be reached or answers a pull with an error.
 */
export async function verifyLoad(options: {
  readonly brokerAddr: string;
  readonly topic: string;
  readonly queues: number;
  readonly runId: string;
  readonly size: number;
  readonly acked: readonly AckedSend[];
  readonly startOffsets?: readonly number[];
}): Promise<VerifyReport> {
  const found = new Map<number, Found[]>();
  const corrupt: number[] = [];
  const gaps: { queueId: number; at: number }[] = [];
  const client = await WireClient.connect(options.brokerAddr);
  try {
    await Promise.all(
      Array.from({ length: options.queues }, async (_, queueId) => {
        let expectedNext = -1;
        await pullQueue(
          client,
          options.topic,
          queueId,
          options.startOffsets?.[queueId] ?? 0,
          (body, queueOffset) => {
            const sequence = sequenceOf(body, options.runId);
            if (sequence === null) return;
            if (!body.equals(benchBody(options.runId, sequence, options.size)))
              corrupt.push(sequence);
            if (expectedNext >= 0 && queueOffset !== expectedNext)
              gaps.push({ queueId, at: queueOffset });
            expectedNext = queueOffset + 1;
            const places = found.get(sequence) ?? [];
            places.push({ queueId, queueOffset });
            found.set(sequence, places);
          },
        );
      }),
    );
  } finally {
    await client.close();
  }
  return judge(options.acked, found, corrupt, gaps);
}

function judge(
  acked: readonly AckedSend[],
  found: Map<number, Found[]>,
  corrupt: number[],
  gaps: { queueId: number; at: number }[],
): VerifyReport {
  const missing: number[] = [];
  const misplaced: number[] = [];
  const ackedSequences = new Set<number>();
  for (const ack of acked) {
    ackedSequences.add(ack.sequence);
    const places = found.get(ack.sequence);
    if (places === undefined) missing.push(ack.sequence);
    else if (
      !places.some(
        (place) => place.queueId === ack.queueId && place.queueOffset === ack.queueOffset,
      )
    )
      misplaced.push(ack.sequence);
  }
  const duplicated = [...found]
    .filter(([, places]) => places.length > 1)
    .map(([sequence]) => sequence);
  let unacknowledgedStored = 0;
  let total = 0;
  for (const [sequence, places] of found) {
    total += places.length;
    if (!ackedSequences.has(sequence)) unacknowledgedStored++;
  }
  const ok =
    missing.length === 0 &&
    misplaced.length === 0 &&
    duplicated.length === 0 &&
    corrupt.length === 0;
  return { found: total, missing, misplaced, duplicated, corrupt, unacknowledgedStored, gaps, ok };
}

/** Pulls one queue from `offset` to its end (no long polling), handing each message's body and queue offset over. */
async function pullQueue(
  client: WireClient,
  topic: string,
  queueId: number,
  offset: number,
  onMessage: (body: Buffer, queueOffset: number) => void,
): Promise<void> {
  let next = offset;
  for (let rounds = 0; rounds < 10_000_000; rounds++) {
    const response = await client.invoke(RequestCode.PULL_MESSAGE, {
      consumerGroup: "GID_DEMO_BENCH_VERIFY",
      topic,
      queueId: String(queueId),
      queueOffset: String(next),
      maxMsgNums: "32",
      sysFlag: "4", // FLAG_SUBSCRIPTION: the subscription is given; no commit, no suspend
      commitOffset: "0",
      suspendTimeoutMillis: "0",
      subscription: "*",
      subVersion: String(Date.now()),
      expressionType: "TAG",
    });
    const nextBegin = Number(response.extFields.nextBeginOffset ?? next);
    if (response.code === ResponseCode.SUCCESS) {
      for (const message of decodeMessages(response.body ?? Buffer.alloc(0)).messages)
        onMessage(message.body, message.queueOffset);
      if (nextBegin <= next)
        throw new WireError(
          "BAD_RESPONSE",
          `pull of ${topic}/${queueId} at ${next} did not advance`,
        );
      next = nextBegin;
    } else if (response.code === ResponseCode.PULL_OFFSET_MOVED && nextBegin > next) {
      next = nextBegin; // the queue starts later now (files deleted): go on from there
    } else if (
      response.code === ResponseCode.PULL_NOT_FOUND ||
      response.code === ResponseCode.PULL_OFFSET_MOVED
    ) {
      return;
    } else if (response.code === ResponseCode.PULL_RETRY_IMMEDIATELY) {
      continue;
    } else {
      throw new WireError(
        "BAD_RESPONSE",
        `pull of ${topic}/${queueId} at ${next}: code ${response.code} ${response.remark ?? ""}`.trim(),
      );
    }
  }
}
