import { SimulatedDisk } from "@store/mapped-file/testing";
import { describe, expect, it } from "vitest";
import { commitLogFile, message, openOnDisk, putOk } from "./store-test-kit.js";

const FILE_SIZE = 4096;

describe("MessageStore.lookMessageByOffset", () => {
  it("with { detail: true }, tells a message, the end-of-file blank record, garbage and an offset outside the log apart", async () => {
    const disk = new SimulatedDisk();
    const store = await openOnDisk(disk, {
      flushDiskType: "SYNC_FLUSH",
      mappedFileSizeCommitLog: FILE_SIZE,
    });
    try {
      const puts = [];
      for (let i = 0; store.getMaxPhyOffset() < FILE_SIZE; i++)
        puts.push(await putOk(store, message("T", i))); // rolls into file 2
      const first = puts[0]?.appendResult;
      const lastInFile = puts.at(-2)?.appendResult;
      if (first === undefined || lastInFile === undefined) throw new Error("no append result");
      expect(await store.lookMessageByOffset(first.wroteOffset, { detail: true })).toMatchObject({
        kind: "MESSAGE",
        queueOffset: 0,
        topic: "T",
      });
      const blankAt = lastInFile.wroteOffset + lastInFile.wroteBytes;
      expect(await store.lookMessageByOffset(blankAt, { detail: true })).toEqual({
        kind: "BLANK",
        phyOffset: blankAt,
        blankLength: FILE_SIZE - blankAt,
        nextOffset: FILE_SIZE,
      });
      expect(
        await store.lookMessageByOffset(first.wroteOffset + 4, { detail: true }),
      ).toMatchObject({ kind: "INVALID", code: "BAD_MAGIC" });
      disk.corrupt(commitLogFile(0), first.wroteOffset + first.wroteBytes - 5); // inside its CRC property
      expect(await store.lookMessageByOffset(first.wroteOffset, { detail: true })).toMatchObject({
        kind: "INVALID",
        code: "CRC_MISMATCH",
      });
      expect(await store.lookMessageByOffset(store.getMaxPhyOffset(), { detail: true })).toBeNull();
      expect(await store.lookMessageByOffset(-1, { detail: true })).toBeNull();
      // Without it, RocketMQ's answer: the message, or null for anything else.
      expect(await store.lookMessageByOffset(blankAt)).toBeNull();
      expect(
        (await store.lookMessageByOffset(puts[1]?.appendResult?.wroteOffset ?? -1))?.queueOffset,
      ).toBe(1);
      expect(await store.lookMessageByOffset(first.wroteOffset)).toBeNull(); // damaged
    } finally {
      await store.shutdown();
    }
  });
});

describe("MessageStore.listTopicQueues", () => {
  it("lists every queue by topic and queue id, sorted, including those found on disk at open", async () => {
    const disk = new SimulatedDisk();
    const config = { flushDiskType: "SYNC_FLUSH" } as const;
    const store = await openOnDisk(disk, config);
    expect(store.listTopicQueues()).toEqual([]);
    for (const [topic, queueId] of [
      ["b", 3],
      ["a", 1],
      ["b", 0],
      ["a", 0],
    ] as const)
      await putOk(store, { ...message(topic, queueId), queueId });
    await store.shutdown();
    const again = await openOnDisk(disk, config);
    try {
      expect(again.listTopicQueues()).toEqual([
        { topic: "a", queueId: 0 },
        { topic: "a", queueId: 1 },
        { topic: "b", queueId: 0 },
        { topic: "b", queueId: 3 },
      ]);
    } finally {
      await again.shutdown();
    }
  });
});
