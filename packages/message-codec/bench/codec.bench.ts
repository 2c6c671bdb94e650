// Encode and decode cost of one v1 record for 100 B, 1 KiB and 4 KiB bodies, in ns per record:
// MessageEncoder.prepare + writeRecord into a destination buffer (the store's append path),
// encodeMessage (an owned buffer per record) and decodeMessage, against a baseline measured in the
// same run: copying the same already-encoded record into the same destination (Buffer#set).
// `pnpm bench` (BENCH_QUICK=1: a short run).
import type { BenchRow } from "@store/bench-kit";
import { nowMs, quickMode, report } from "@store/bench-kit";
import type { MessageInput } from "@store/message-codec";
import { decodeMessage, encodeMessage, MessageEncoder, writeRecord } from "@store/message-codec";

const RECORDS = quickMode() ? 200_000 : 1_000_000;
/** Runs per case, interleaved; the table shows the median. */
const REPEATS = 3;
const STORE_HOST = "127.0.0.1:10911";
const DESTINATION = Buffer.allocUnsafe(64 * 1024 * 1024);

/** A ring of distinct messages, so the body copies are not of one cache-hot buffer. */
function messages(bodySize: number): MessageInput[] {
  return Array.from({ length: 64 }, (_, i) => ({
    topic: "BenchTopic",
    body: Buffer.alloc(bodySize, (i % 250) + 1),
    queueId: i % 4,
    tags: "TagA",
    keys: `order-${i}`,
    bornHost: "10.0.0.7:52011",
  }));
}

type Case = (ring: readonly MessageInput[], records: readonly Buffer[]) => number;

/** Writes records back to back into DESTINATION, wrapping at its end; returns ns per record. */
function timed(count: number, step: (i: number, at: number) => number): number {
  let at = 0;
  const start = nowMs();
  for (let i = 0; i < count; i++) {
    if (at > DESTINATION.length - 8 * 1024) at = 0;
    at = step(i, at);
  }
  return ((nowMs() - start) * 1e6) / count;
}

const cases: Record<string, Case> = {
  "copy encoded record (baseline)": (_ring, records) =>
    timed(RECORDS, (i, at) => {
      const record = records[i % records.length] as Buffer;
      DESTINATION.set(record, at);
      return at + record.length;
    }),
  "prepare + writeRecord": (ring) => {
    const encoder = new MessageEncoder({ storeHost: STORE_HOST });
    const view = new DataView(DESTINATION.buffer, DESTINATION.byteOffset, DESTINATION.byteLength);
    return timed(RECORDS, (i, at) => {
      const prepared = encoder.prepare(
        ring[i % ring.length] as MessageInput,
        1_700_000_000_000 + i,
      );
      if ("status" in prepared) throw new Error(prepared.reason);
      return writeRecord(DESTINATION, at, prepared, 1_700_000_000_000 + i, i, at, view, false);
    });
  },
  encodeMessage: (ring) =>
    timed(RECORDS / 4, (i, at) => {
      const result = encodeMessage(ring[i % ring.length] as MessageInput, {
        storeHost: STORE_HOST,
        storeTimestamp: 1_700_000_000_000 + i,
      });
      if (result.status !== "PUT_OK") throw new Error(result.reason);
      return at + result.record.length;
    }),
  decodeMessage: (_ring, records) =>
    timed(RECORDS / 4, (i, at) => {
      const result = decodeMessage(records[i % records.length] as Buffer);
      if (!result.ok) throw new Error(result.reason);
      return at + result.message.totalSize;
    }),
};

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function main(): void {
  const rows: BenchRow[] = [];
  for (const bodySize of [100, 1024, 4096]) {
    const ring = messages(bodySize);
    const records = ring.map((message) => {
      const result = encodeMessage(message, {
        storeHost: STORE_HOST,
        storeTimestamp: 1_700_000_000_000,
      });
      if (result.status !== "PUT_OK") throw new Error(result.reason);
      return result.record;
    });
    const runs = new Map<string, number[]>(Object.keys(cases).map((name) => [name, []]));
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      for (const [name, run] of Object.entries(cases)) runs.get(name)?.push(run(ring, records));
    }
    const baseline = median(runs.get("copy encoded record (baseline)") ?? []);
    for (const [name, values] of runs) {
      const ns = median(values);
      rows.push({ body: bodySize, case: name, nsPerRecord: ns, ratioToBaseline: ns / baseline });
    }
  }
  report("message-codec encode/decode (median of 3 interleaved runs)", rows, {
    records: RECORDS,
    repeats: REPEATS,
  });
}

main();
