import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MessageStore } from "../src/message-store.js";
import { decodeMessage } from "@store/message-codec";
import { SimulatedDisk } from "@store/mapped-file/testing";
import { silentLogger, tempDir, waitFor } from "./helpers.js";
import { commitLogFile, message, openOnDisk, putOk, readQueue } from "./store-test-kit.js";

const BODY = "Once, there was a chance for me!";

describe("MessageStore", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => cleanup());

  const config = () => ({
    storePathRootDir: dir,
    mappedFileSizeCommitLog: 64 * 1024,
    mappedFileSizeConsumeQueue: 1000 * 20,
    flushDiskType: "SYNC_FLUSH" as const,
  });

  it("stores messages and reads them back by queue offset", async () => {
    const store = await MessageStore.open(config(), { logger: silentLogger });
    try {
      for (let i = 0; i < 20; i++) {
        const result = await store.putMessage({
          topic: "FooBar",
          queueId: 0,
          body: Buffer.from(`${BODY} ${i}`),
          tags: "TAG1",
        });
        expect(result.status).toBe("PUT_OK");
        expect(result.appendResult?.logicsOffset).toBe(i);
      }
      await waitFor(() => store.getMaxOffsetInQueue("FooBar", 0) === 20);
      const got = await store.getMessage("group", "FooBar", 0, 0, 32);
      expect(got.status).toBe("FOUND");
      expect(got.messages).toHaveLength(20);
      expect(got.nextBeginOffset).toBe(20);
      const decoded = got.messages.map((m) => decodeMessage(m));
      expect(decoded.every((d) => d.ok)).toBe(true);
      expect(decoded.map((d) => (d.ok ? d.message.body.toString() : "")).at(-1)).toBe(`${BODY} 19`);
    } finally {
      await store.shutdown();
    }
  });

  it("rolls over across files and keeps everything after a restart", async () => {
    const store = await MessageStore.open(config(), { logger: silentLogger });
    const body = Buffer.alloc(1000, 7);
    for (let i = 0; i < 200; i++)
      expect((await store.putMessage({ topic: "T", body })).status).toBe("PUT_OK");
    const maxPhy = store.getMaxPhyOffset();
    expect(maxPhy).toBeGreaterThan(3 * 64 * 1024);
    await waitFor(() => store.getMaxOffsetInQueue("T", 0) === 200);
    await store.shutdown();
    const again = await MessageStore.open(config(), { logger: silentLogger });
    try {
      expect(again.recovery.mode).toBe("normal");
      expect(again.getMaxPhyOffset()).toBe(maxPhy);
      expect(again.getMaxOffsetInQueue("T", 0)).toBe(200);
      const put = await again.putMessage({ topic: "T", body });
      expect(put.appendResult?.logicsOffset).toBe(200);
    } finally {
      await again.shutdown();
    }
  });
});

describe("MessageStore after a failed fdatasync", () => {
  it("stops taking writes, never acknowledges unsynced data, and recovers what reached the disk", async () => {
    const { SimulatedDisk } = await import("@store/mapped-file/testing");
    const disk = new SimulatedDisk();
    const config = {
      storePathRootDir: "/store",
      mappedFileSizeCommitLog: 64 * 1024,
      flushDiskType: "SYNC_FLUSH" as const,
      syncFlushTimeout: 200,
    };
    const store = await MessageStore.open(config, { io: disk, logger: silentLogger });
    expect((await store.putMessage({ topic: "T", body: Buffer.from("durable") })).status).toBe(
      "PUT_OK",
    );
    disk.failOn("fsync", "EIO", { pathIncludes: "commitlog", times: 1 });
    const failed = await store.putMessage({ topic: "T", body: Buffer.from("not durable") });
    expect(failed.status).toBe("FLUSH_DISK_TIMEOUT");
    disk.heal();
    const refused = await store.putMessage({ topic: "T", body: Buffer.from("refused") });
    expect(refused.status).toBe("SERVICE_NOT_AVAILABLE");
    expect(refused.reason).toMatch(/fdatasync failed/);
    disk.powerCut();
    await store.halt();
    const reopened = await MessageStore.open(config, { io: disk, logger: silentLogger });
    try {
      expect(reopened.recovery.mode).toBe("abnormal");
      const got = await reopened.getMessage("g", "T", 0, 0, 32);
      expect(got.messages).toHaveLength(1);
      expect(
        (await reopened.putMessage({ topic: "T", body: Buffer.from("again") })).appendResult
          ?.logicsOffset,
      ).toBe(1);
    } finally {
      await reopened.shutdown();
    }
  });
});

describe("MessageStore warmMapedFileEnable", () => {
  const MiB = 1024 * 1024;

  /** Reads the store made from its first put until it had its files ahead and waited a little; and the bodies it then stores across files. */
  async function warmReads(
    flushDiskType: "ASYNC_FLUSH" | "SYNC_FLUSH",
    warmMapedFileEnable: boolean,
  ): Promise<{ reads: number; bodies: string[] }> {
    const disk = new SimulatedDisk();
    const store = await openOnDisk(disk, {
      flushDiskType,
      warmMapedFileEnable,
      mappedFileSizeCommitLog: 2 * MiB,
    });
    try {
      const reads = disk.counters.reads;
      await putOk(store, message("Warm", 0));
      const ahead = flushDiskType === "ASYNC_FLUSH" ? 2 : 1; // sparse segments keep two ready, zero-filled ones one
      await waitFor(() => disk.exists(commitLogFile(ahead * 2 * MiB)));
      // Two 2 MiB sparse files ahead take four 1 MiB reads: wait for them where they are due, else
      // give the allocator a moment in which any read would show.
      if (flushDiskType === "ASYNC_FLUSH" && warmMapedFileEnable)
        await waitFor(() => disk.counters.reads - reads >= 4);
      else await new Promise((resolve) => setTimeout(resolve, 50));
      const warmed = disk.counters.reads - reads;
      for (let i = 1; i <= 4; i++)
        await putOk(store, { ...message("Warm", i), body: Buffer.alloc(MiB, 0x60 + i) }); // rolls over twice
      const got = await readQueue(store, "Warm");
      return { reads: warmed, bodies: got.map((m) => `${m.body.length}:${m.body[0]}`) };
    } finally {
      await store.shutdown();
    }
  }

  const expected = ["34:79", ...[1, 2, 3, 4].map((i) => `${MiB}:${0x60 + i}`)];

  it("reads the sparse segments made ahead into the page cache, and puts go on across them", async () => {
    const warm = await warmReads("ASYNC_FLUSH", true);
    expect(warm.reads).toBe(4); // two 2 MiB files ahead, 1 MiB a read, nothing else
    expect(warm.bodies).toEqual(expected);
    const cold = await warmReads("ASYNC_FLUSH", false);
    expect(cold.reads).toBe(0);
    expect(cold.bodies).toEqual(expected);
  });

  it("reads nothing when segments are zero-filled (their creation cached them)", async () => {
    const warm = await warmReads("SYNC_FLUSH", true);
    expect(warm.reads).toBe(0);
    expect(warm.bodies).toEqual(expected);
  });
});
