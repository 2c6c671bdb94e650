import { SimulatedDisk } from "@store/mapped-file/testing";
import { describe, expect, it } from "vitest";
import { ConsumeQueueTable } from "../src/consume-queue-table.js";
import { FlushConsumeQueueService } from "../src/flush-consume-queue-service.js";
import type { MessageStoreConfigInput } from "../src/message-store-config.js";
import { StoreCheckpoint } from "../src/store-checkpoint.js";
import { silentLogger } from "./helpers.js";
import {
  bodies,
  message,
  openOnDisk,
  putMany,
  putOk,
  readBodies,
  waitDispatched,
} from "./store-test-kit.js";

// Consume-queue files of 10 units, so a burst of puts leaves many of them unflushed.
const config: MessageStoreConfigInput = {
  flushDiskType: "SYNC_FLUSH",
  mappedFileSizeConsumeQueue: 10 * 20,
  flushIntervalConsumeQueue: 60_000,
  flushConsumeQueueThoroughInterval: 60_000,
};

describe("FlushConsumeQueueService", () => {
  it("a clean shutdown makes every consume-queue file durable, however many are dirty", async () => {
    const disk = new SimulatedDisk();
    const store = await openOnDisk(disk, config);
    await putMany(store, "B", 100);
    await putOk(store, message("A", 0));
    await waitDispatched(store, "B", 100);
    await waitDispatched(store, "A", 1);
    await store.shutdown();
    disk.powerCut(); // after the process exited cleanly: only what was synced is left
    const again = await openOnDisk(disk, config);
    try {
      expect(again.recovery.mode).toBe("normal");
      expect(again.getMaxOffsetInQueue("B", 0)).toBe(100);
      expect(await readBodies(again, "B")).toEqual(bodies(100));
      expect((await putOk(again, message("B", 100))).appendResult?.logicsOffset).toBe(100);
    } finally {
      await again.shutdown();
    }
  });

  it("a thorough round flushes every queue to its end before it records logicsMsgTimestamp", async () => {
    const disk = new SimulatedDisk();
    await disk.mkdir("/store");
    await disk.syncDirectory("/"); // the store's root survives a cut, as a real one would
    const queues = new ConsumeQueueTable({
      rootDir: "/store/consumequeue",
      mappedFileSize: 10 * 20,
      io: disk,
      logger: silentLogger,
    });
    const checkpoint = await StoreCheckpoint.open("/store/checkpoint", disk);
    const queue = queues.findOrCreate("B", 0);
    for (let i = 0; i < 95; i++)
      expect(
        await queue.putMessagePositionInfo({ offset: i * 100, size: 100, tagsCode: 0 }, i),
      ).toBe(true);
    expect(queue.mappedFileQueue.mappedFiles).toHaveLength(10);
    const service = new FlushConsumeQueueService(queues, checkpoint, {
      logger: silentLogger,
      intervalMs: 1000,
      leastPages: 2,
      thoroughIntervalMs: 60_000,
      lastDispatchedTimestamp: () => 12_345,
    });
    await service.doFlush(true);
    expect(queue.mappedFileQueue.flushedWhere).toBe(95 * 20);
    expect(checkpoint.logicsMsgTimestamp).toBe(12_345);
    disk.powerCut();
    const reopened = await StoreCheckpoint.open("/store/checkpoint", disk);
    expect(reopened.logicsMsgTimestamp).toBe(12_345);
    const again = new ConsumeQueueTable({
      rootDir: "/store/consumequeue",
      mappedFileSize: 10 * 20,
      io: disk,
      logger: silentLogger,
    });
    await again.load();
    await again.recover();
    expect(again.find("B", 0)?.getMaxOffsetInQueue()).toBe(95);
  });
});
