import { SimulatedDisk } from "@store/mapped-file/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeMessage } from "@store/message-codec";
import type { MessageInput } from "@store/message-codec";
import type { MessageStore } from "../src/message-store.js";
import type { PutMessageResult } from "../src/store-types.js";
import { openOnDisk } from "./store-test-kit.js";

/** The page-cache staging buffer of @store/mapped-file (1 MiB): a record above it is written on its own. */
const STAGING_BUFFER_BYTES = 1024 * 1024;

/**
 * A single put is encoded straight into the file's write buffer (the pool buffer, or the staging
 * buffer in page-cache mode) with its offsets written in place. Every record must be byte for byte
 * what the stand-alone encoder plus patchRecord produce, in every mode, across roll-overs: with its
 * body CRC and its whole-record CRC property filled (by the worker in pool mode).
 */
async function expectStoredAsEncoded(
  store: MessageStore,
  msg: MessageInput,
  put: PutMessageResult,
): Promise<void> {
  expect(put.status).toBe("PUT_OK");
  const append = put.appendResult;
  if (append === undefined) throw new Error("PUT_OK without an append result");
  const expected = encodeMessage(msg, {
    storeHost: store.config.storeHost,
    storeTimestamp: append.storeTimestamp,
    queueOffset: append.logicsOffset,
    physicalOffset: append.wroteOffset,
    appendPropCRC: store.config.enabledAppendPropCRC,
  });
  if (expected.status !== "PUT_OK")
    throw new Error(`reference encoder refused: ${expected.reason}`);
  const stored = await store.commitLog.getMessage(append.wroteOffset, append.wroteBytes);
  try {
    expect(stored?.buffer.equals(expected.record)).toBe(true);
  } finally {
    stored?.release();
  }
}

const messageArbitrary: fc.Arbitrary<MessageInput> = fc.record(
  {
    topic: fc.constantFrom("Orders", "orders-2", "%RETRY%group", "T"),
    queueId: fc.oneof(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1020, max: 1030 })),
    body: fc.uint8Array({ maxLength: 2500 }).map((bytes) => Buffer.from(bytes)),
    tags: fc.constantFrom("TagA", "tag-b"),
    keys: fc.array(fc.stringMatching(/^[a-z0-9]{1,6}$/), { minLength: 1, maxLength: 3 }),
    properties: fc.dictionary(
      fc.stringMatching(/^[A-Za-z]{1,8}$/),
      fc.string({ maxLength: 12 }).filter((v) => !v.includes("\u0001") && !v.includes("\u0002")),
      { maxKeys: 3 },
    ),
    bornHost: fc.constantFrom("10.0.0.7:5500", "[2001:db8::1]:5500"),
    flag: fc.integer({ min: 0, max: 1000 }),
    bornTimestamp: fc.integer({ min: 0, max: 2 ** 41 }),
  },
  { requiredKeys: ["topic", "body"] },
);

describe("CommitLog writes single puts in place", () => {
  for (const [mode, config] of [
    [
      "pool",
      { transientStorePoolEnable: true, transientStorePoolSize: 2, commitIntervalCommitLog: 5 },
    ],
    ["page cache", {}],
  ] as const) {
    it(`${mode}: every record equals the reference encoding with its queue and physical offsets, across roll-overs`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(messageArbitrary, { minLength: 1, maxLength: 25 }),
          async (messages) => {
            const store = await openOnDisk(new SimulatedDisk(), {
              flushDiskType: "ASYNC_FLUSH",
              mappedFileSizeCommitLog: 8192,
              ...config,
            });
            try {
              // Concurrent puts: several land in one tick (one staged write) and some wait for a roll-over.
              const puts = await Promise.all(messages.map((msg) => store.putMessage(msg)));
              await store.commitLog.mappedFileQueue.commit(0);
              for (let i = 0; i < messages.length; i++)
                await expectStoredAsEncoded(
                  store,
                  messages[i] as MessageInput,
                  puts[i] as PutMessageResult,
                );
            } finally {
              await store.shutdown();
            }
          },
        ),
        { numRuns: 30 },
      );
    });
  }

  it("page cache: a record larger than the staging buffer goes to the file whole, as data", async () => {
    const store = await openOnDisk(new SimulatedDisk(), {
      flushDiskType: "ASYNC_FLUSH",
      mappedFileSizeCommitLog: 4 * STAGING_BUFFER_BYTES,
    });
    try {
      const small: MessageInput = { topic: "Big", body: Buffer.alloc(100, 1) };
      const big: MessageInput = { topic: "Big", body: Buffer.alloc(STAGING_BUFFER_BYTES + 1, 2) };
      const puts = [store.putMessage(small), store.putMessage(big), store.putMessage(small)];
      const results = await Promise.all(puts);
      await expectStoredAsEncoded(store, small, results[0] as PutMessageResult);
      await expectStoredAsEncoded(store, big, results[1] as PutMessageResult);
      await expectStoredAsEncoded(store, small, results[2] as PutMessageResult);
      expect(results.map((r) => r.appendResult?.logicsOffset)).toEqual([0, 1, 2]);
    } finally {
      await store.shutdown();
    }
  });

  it("keeps queue offsets per topic and queue id, for ids with cached keys and beyond", async () => {
    const store = await openOnDisk(new SimulatedDisk(), { flushDiskType: "ASYNC_FLUSH" });
    try {
      for (const queueId of [0, 1023, 1024, 5000, 0, 1023, 1024, 5000])
        await store.putMessage({ topic: "Q", queueId, body: Buffer.from("x") });
      expect([...store.commitLog.topicQueueTable].filter(([key]) => key.startsWith("Q-"))).toEqual([
        ["Q-0", 2],
        ["Q-1023", 2],
        ["Q-1024", 2],
        ["Q-5000", 2],
      ]);
    } finally {
      await store.shutdown();
    }
  });
});
