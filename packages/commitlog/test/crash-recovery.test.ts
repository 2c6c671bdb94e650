import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SimulatedDisk } from "@store/mapped-file/testing";
import type { MessageStoreConfigInput } from "../src/message-store-config.js";
import { MessageStore } from "../src/message-store.js";
import type { PutMessageResult } from "../src/store-types.js";
import { silentLogger } from "./helpers.js";
import { readQueue } from "./store-test-kit.js";

type Strategy = "SYNC_FLUSH" | "ASYNC_FLUSH" | "ASYNC_POOL";

const ROOT = "/store";

function configFor(strategy: Strategy): MessageStoreConfigInput {
  return {
    storePathRootDir: ROOT,
    mappedFileSizeCommitLog: 4096,
    mappedFileSizeConsumeQueue: 200 * 20,
    flushDiskType: strategy === "SYNC_FLUSH" ? "SYNC_FLUSH" : "ASYNC_FLUSH",
    transientStorePoolEnable: strategy === "ASYNC_POOL",
    transientStorePoolSize: 2,
    flushIntervalCommitLog: 2,
    flushCommitLogLeastPages: 0,
    commitIntervalCommitLog: 1,
    flushIntervalConsumeQueue: 3,
    flushConsumeQueueThoroughInterval: 5,
    syncFlushTimeout: 2000,
  };
}

interface Scenario {
  readonly bodies: number[];
  readonly cutAfterMs: number;
  readonly keepUnsyncedWrites: number;
  readonly tearNextWrite: boolean;
  readonly crash: "power" | "process";
}

const scenarioArbitrary = fc.record({
  bodies: fc.array(fc.integer({ min: 2, max: 700 }), { minLength: 1, maxLength: 40 }),
  cutAfterMs: fc.integer({ min: 0, max: 12 }),
  keepUnsyncedWrites: fc.integer({ min: 0, max: 30 }),
  tearNextWrite: fc.boolean(),
  crash: fc.constantFrom("power" as const, "process" as const),
});

function bodyFor(index: number, size: number): Buffer {
  const body = Buffer.alloc(size, index % 251);
  body.writeUInt16BE(index, 0);
  return body;
}

/** Runs one scenario; returns a description of the first broken promise, or null. */
async function runScenario(strategy: Strategy, scenario: Scenario): Promise<string | null> {
  const disk = new SimulatedDisk({ fsyncLatencyMs: 1 });
  const store = await MessageStore.open(configFor(strategy), { io: disk, logger: silentLogger });
  const sent = scenario.bodies.map((size, i) => bodyFor(i, size));
  const results: (PutMessageResult | undefined)[] = sent.map(() => undefined);
  const puts = sent.map((body, i) => store.putMessage({ topic: "T", body }).then((r) => (results[i] = r)));
  await new Promise((resolve) => setTimeout(resolve, scenario.cutAfterMs));
  const durableEnd = strategy === "ASYNC_POOL" && scenario.crash === "process" ? store.commitLog.mappedFileQueue.committedWhere : store.commitLog.mappedFileQueue.flushedWhere;
  const acked = results.map((r) => r?.status === "PUT_OK");
  const ends = results.map((r) => (r?.appendResult ? r.appendResult.wroteOffset + r.appendResult.wroteBytes : Number.POSITIVE_INFINITY));
  if (scenario.crash === "power") disk.powerCut({ keepUnsyncedWrites: scenario.keepUnsyncedWrites, tearNextWrite: scenario.tearNextWrite });
  else disk.processCrash();
  await store.halt();
  await Promise.allSettled(puts);
  const reopened = await MessageStore.open(configFor(strategy), { io: disk, logger: silentLogger });
  try {
    const recovered = (await readQueue(reopened, "T")).map((message) => message.body); // CRC-checked
    for (let i = 0; i < recovered.length; i++) {
      if (!recovered[i]?.equals(sent[i] as Buffer)) return `record ${i} differs from what was put: not a prefix`;
    }
    for (let i = 0; i < sent.length; i++) {
      const promised = (strategy === "SYNC_FLUSH" && acked[i]) || (ends[i] as number) <= durableEnd;
      if (promised && i >= recovered.length) return `message ${i} was promised (${acked[i] ? "PUT_OK" : "below the durable end"}) but lost`;
    }
    const after = await reopened.putMessage({ topic: "T", body: Buffer.from("after") });
    if (after.status !== "PUT_OK" || after.appendResult?.logicsOffset !== recovered.length) return `store not usable after recovery: ${after.status}`;
    return null;
  } finally {
    await reopened.shutdown();
  }
}

function crashProperty(strategy: Strategy, numRuns: number): Promise<void> {
  return fc.assert(
    fc.asyncProperty(scenarioArbitrary, async (scenario) => {
      expect(await runScenario(strategy, scenario)).toBeNull();
    }),
    { numRuns },
  );
}

describe("MessageStore crash recovery", () => {
  for (const strategy of ["SYNC_FLUSH", "ASYNC_FLUSH", "ASYNC_POOL"] as const) {
    it(`${strategy}: after a crash at a random moment the log is a valid prefix holding everything promised`, async () => {
      await crashProperty(strategy, 25);
    });

    it(`${strategy}: 1000 crash points`, { tags: ["slow"] }, async () => {
      await crashProperty(strategy, 1000);
    });
  }
});
