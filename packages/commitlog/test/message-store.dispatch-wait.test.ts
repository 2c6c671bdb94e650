import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MessageStore } from "../src/message-store.js";
import { decodeMessage } from "@store/message-codec";
import type { PutMessageResult } from "../src/store-types.js";
import { silentLogger, tempDir } from "./helpers.js";

/** Where a put's record ends in the commit log: what waitForDispatch takes. */
function endOf(put: PutMessageResult): number {
  const append = put.appendResult;
  if (append === undefined) throw new Error(`put failed: ${put.status}`);
  return append.wroteOffset + append.wroteBytes;
}

describe("MessageStore.waitForDispatch", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => cleanup());

  const base = () => ({
    storePathRootDir: dir,
    mappedFileSizeCommitLog: 64 * 1024,
    mappedFileSizeConsumeQueue: 1000 * 20,
  });
  /** Pool mode whose commits wait for shutdown: nothing becomes readable, so nothing is dispatched. */
  const stalledPool = () => ({
    ...base(),
    transientStorePoolEnable: true,
    commitIntervalCommitLog: 600_000,
    commitCommitLogLeastPages: 1000,
    commitCommitLogThoroughInterval: 600_000,
  });

  // With a pool a record is readable once committed (every commitIntervalCommitLog): fewer puts there.
  for (const [name, extra, puts] of [
    ["SYNC_FLUSH", { flushDiskType: "SYNC_FLUSH" }, 50],
    ["ASYNC_FLUSH", { flushDiskType: "ASYNC_FLUSH" }, 50],
    ["ASYNC_FLUSH + pool", { flushDiskType: "ASYNC_FLUSH", transientStorePoolEnable: true }, 4],
  ] as const) {
    it(`makes every put readable by getMessage once it resolves (${name})`, async () => {
      const store = await MessageStore.open({ ...base(), ...extra }, { logger: silentLogger });
      try {
        for (let i = 0; i < puts; i++) {
          const put = await store.putMessage({
            topic: "orders",
            queueId: 1,
            body: Buffer.from(`order ${i}`),
          });
          await store.waitForDispatch(endOf(put));
          const got = await store.getMessage("g", "orders", 1, i, 1);
          expect(got.status).toBe("FOUND");
          const decoded = decodeMessage(got.messages[0] as Buffer);
          expect(decoded.ok && decoded.message.body.toString()).toBe(`order ${i}`);
        }
      } finally {
        await store.shutdown();
      }
    });
  }

  it("resolves at once for an offset already dispatched", async () => {
    const store = await MessageStore.open(base(), { logger: silentLogger });
    try {
      const put = await store.putMessage({ topic: "T", body: Buffer.from("x") });
      await store.waitForDispatch(endOf(put));
      await expect(store.waitForDispatch(0, { timeoutMs: 0 })).resolves.toBeUndefined();
      await expect(store.waitForDispatch(endOf(put), { timeoutMs: 0 })).resolves.toBeUndefined();
    } finally {
      await store.shutdown();
    }
  });

  it("refuses an offset past the end of the log with BAD_ARGUMENT", async () => {
    const store = await MessageStore.open(base(), { logger: silentLogger });
    try {
      const put = await store.putMessage({ topic: "T", body: Buffer.from("x") });
      await expect(store.waitForDispatch(endOf(put) + 1)).rejects.toMatchObject({
        name: "StoreError",
        code: "BAD_ARGUMENT",
      });
      await expect(store.waitForDispatch(-1)).rejects.toMatchObject({ code: "BAD_ARGUMENT" });
      await expect(store.waitForDispatch(0.5)).rejects.toMatchObject({ code: "BAD_ARGUMENT" });
      await expect(store.waitForDispatch(0, { timeoutMs: -1 })).rejects.toMatchObject({
        code: "BAD_ARGUMENT",
      });
    } finally {
      await store.shutdown();
    }
  });

  it("rejects with DISPATCH_TIMEOUT when dispatch does not get there in time", async () => {
    const store = await MessageStore.open(stalledPool(), { logger: silentLogger });
    try {
      const put = await store.putMessage({ topic: "T", body: Buffer.from("uncommitted") });
      await expect(store.waitForDispatch(endOf(put), { timeoutMs: 20 })).rejects.toMatchObject({
        name: "StoreError",
        code: "DISPATCH_TIMEOUT",
      });
      expect(store.dispatchBehindBytes()).toBe(0); // nothing readable yet: the record waits for its commit
      expect((await store.getMessage("g", "T", 0, 0, 1)).status).not.toBe("FOUND");
    } finally {
      await store.shutdown();
    }
  });

  it("resolves a waiter at shutdown once the final commit dispatched its record", async () => {
    const store = await MessageStore.open(stalledPool(), { logger: silentLogger });
    const put = await store.putMessage({ topic: "T", body: Buffer.from("committed at shutdown") });
    const waiting = store.waitForDispatch(endOf(put));
    await store.shutdown();
    await expect(waiting).resolves.toBeUndefined();
    const again = await MessageStore.open(stalledPool(), { logger: silentLogger });
    try {
      expect(again.getMaxOffsetInQueue("T", 0)).toBe(1);
    } finally {
      await again.shutdown();
    }
  });

  it("rejects waiters with STORE_CLOSED when the store halts first", async () => {
    const store = await MessageStore.open(stalledPool(), { logger: silentLogger });
    const put = await store.putMessage({ topic: "T", body: Buffer.from("never committed") });
    const waiting = store.waitForDispatch(endOf(put)).then(
      () => "resolved",
      (error: unknown) => error,
    );
    await store.halt();
    expect(await waiting).toMatchObject({ name: "StoreError", code: "STORE_CLOSED" });
    await expect(store.waitForDispatch(endOf(put))).rejects.toMatchObject({ code: "STORE_CLOSED" });
  });
});
