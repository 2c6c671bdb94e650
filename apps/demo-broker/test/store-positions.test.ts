import { MessageStore } from "@store/commitlog";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { storagePositions, storeTopics } from "../src/store-positions.js";
import { silentLogger, tempDir, waitFor } from "./helpers.js";

describe("storagePositions", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: MessageStore | null = null;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => {
    await store?.shutdown();
    store = null;
    await cleanup();
  });

  const open = async (config: Record<string, unknown>) =>
    (store = await MessageStore.open(
      { storePathRootDir: dir, mappedFileSizeCommitLog: 1 << 20, ...config },
      { logger: silentLogger },
    ));

  it("page-cache mode: committed follows wrote; flushed catches up after the flush", async () => {
    const s = await open({
      flushDiskType: "ASYNC_FLUSH",
      flushIntervalCommitLog: 20,
      flushCommitLogLeastPages: 0,
    });
    expect(storagePositions(s)).toMatchObject({ wrote: 0, committed: 0, flushed: 0 });
    for (let i = 0; i < 100; i++)
      expect((await s.putMessage({ topic: "T", body: Buffer.alloc(100) })).status).toBe("PUT_OK");
    const p = storagePositions(s);
    expect(p.wrote).toBeGreaterThan(100 * 100);
    expect(p.committed).toBe(p.wrote);
    expect(p.commitLag).toBe(0);
    await waitFor(() => storagePositions(s).flushed === p.wrote, 10_000, "flush");
    expect(storagePositions(s).flushLag).toBe(0);
  });

  it("pool mode: bytes in the pool buffer show as commit lag until the commit service writes them", async () => {
    const s = await open({
      transientStorePoolEnable: true,
      transientStorePoolSize: 2,
      commitIntervalCommitLog: 60_000,
      commitCommitLogLeastPages: 1000,
      commitCommitLogThoroughInterval: 60_000,
    });
    await s.putMessage({ topic: "T", body: Buffer.alloc(1000) });
    const p = storagePositions(s);
    expect(p.commitLag).toBe(p.wrote);
    expect(p.committed).toBe(0);
    expect(p.flushed).toBe(0);
  });

  it("SYNC_FLUSH: an acknowledged put is flushed", async () => {
    const s = await open({ flushDiskType: "SYNC_FLUSH" });
    await s.putMessage({ topic: "T", body: Buffer.alloc(10) });
    const p = storagePositions(s);
    expect(p.flushed).toBe(p.wrote);
    expect(p.wrote).toBeGreaterThan(0);
  });
});

describe("storeTopics", () => {
  it("lists each topic with its queues and stored messages", async () => {
    const { dir, cleanup } = await tempDir();
    const store = await MessageStore.open(
      { storePathRootDir: dir, mappedFileSizeCommitLog: 1 << 20 },
      { logger: silentLogger },
    );
    try {
      expect(storeTopics(store)).toEqual([]);
      for (let i = 0; i < 6; i++)
        await store.putMessage({ topic: "orders", queueId: i % 3, body: Buffer.from("x") });
      await store.putMessage({ topic: "audit", body: Buffer.from("y") });
      await waitFor(
        () => store.dispatchBehindBytes() === 0 && store.getMaxOffsetInQueue("audit", 0) === 1,
        10_000,
        "dispatch",
      );
      expect(storeTopics(store)).toEqual([
        { topic: "audit", queues: 1, messages: 1, maxOffset: 1 },
        { topic: "orders", queues: 3, messages: 6, maxOffset: 6 },
      ]);
    } finally {
      await store.shutdown();
      await cleanup();
    }
  });
});
