import { join } from "node:path";
import { readFile } from "node:fs/promises";
import { SimulatedDisk } from "@store/mapped-file/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StoreCheckpoint } from "../src/store-checkpoint.js";
import { tempDir } from "./helpers.js";

describe("StoreCheckpoint", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir("checkpoint-test-")));
  afterEach(async () => cleanup());

  // RocketMQ StoreCheckpointTest.testWriteAndRead (research §9.8)
  it("writes physic and logics timestamps and reads them back after a reopen", async () => {
    const path = join(dir, "0000");
    const checkpoint = await StoreCheckpoint.open(path);
    const physic = 0xaabb;
    const logics = 0xccdd;
    checkpoint.physicMsgTimestamp = physic;
    checkpoint.logicsMsgTimestamp = logics;
    await checkpoint.flush();
    expect(physic - checkpoint.getMinTimestamp()).toBe(3000);
    await checkpoint.shutdown();

    const reopened = await StoreCheckpoint.open(path);
    try {
      expect(reopened.physicMsgTimestamp).toBe(physic);
      expect(reopened.logicsMsgTimestamp).toBe(logics);
    } finally {
      await reopened.shutdown();
    }
  });

  it("keeps RocketMQ's layout: one 4 KiB page, big-endian longs at bytes 0, 8 and 16", async () => {
    const path = join(dir, "checkpoint");
    const checkpoint = await StoreCheckpoint.open(path);
    checkpoint.physicMsgTimestamp = 1_700_000_000_001;
    checkpoint.logicsMsgTimestamp = 1_700_000_000_002;
    checkpoint.indexMsgTimestamp = 1_700_000_000_003;
    await checkpoint.shutdown();
    const bytes = await readFile(path);
    expect(bytes.length).toBe(4096);
    expect(bytes.readBigInt64BE(0)).toBe(1_700_000_000_001n);
    expect(bytes.readBigInt64BE(8)).toBe(1_700_000_000_002n);
    expect(bytes.readBigInt64BE(16)).toBe(1_700_000_000_003n);
  });

  it("reads zeros when the file is missing", async () => {
    const checkpoint = await StoreCheckpoint.open(join(dir, "missing"));
    try {
      expect(checkpoint.physicMsgTimestamp).toBe(0);
      expect(checkpoint.logicsMsgTimestamp).toBe(0);
      expect(checkpoint.indexMsgTimestamp).toBe(0);
      expect(checkpoint.getMinTimestamp()).toBe(0);
    } finally {
      await checkpoint.shutdown();
    }
  });

  it("never reports a negative minimum timestamp and takes the smaller of physic and logics", async () => {
    const checkpoint = await StoreCheckpoint.open(join(dir, "small"));
    try {
      checkpoint.physicMsgTimestamp = 1000;
      checkpoint.logicsMsgTimestamp = 50_000;
      expect(checkpoint.getMinTimestamp()).toBe(0);
      checkpoint.physicMsgTimestamp = 90_000;
      expect(checkpoint.getMinTimestamp()).toBe(47_000);
    } finally {
      await checkpoint.shutdown();
    }
  });

  it("survives a power cut once flushed, and loses an unflushed update", async () => {
    const disk = new SimulatedDisk();
    await disk.mkdir("/store");
    await disk.syncDirectory("/"); // the store's root survives a cut, as a real one would
    const checkpoint = await StoreCheckpoint.open("/store/checkpoint", disk);
    checkpoint.physicMsgTimestamp = 111;
    checkpoint.logicsMsgTimestamp = 222;
    await checkpoint.flush();
    checkpoint.physicMsgTimestamp = 333; // set but never flushed
    disk.powerCut();
    const reopened = await StoreCheckpoint.open("/store/checkpoint", disk);
    expect(reopened.physicMsgTimestamp).toBe(111);
    expect(reopened.logicsMsgTimestamp).toBe(222);
  });

  it("refuses to flush after shutdown (FILE_DESTROYED) and shuts down idempotently", async () => {
    const checkpoint = await StoreCheckpoint.open(join(dir, "closed"));
    await checkpoint.shutdown();
    await checkpoint.shutdown();
    await expect(checkpoint.flush()).rejects.toMatchObject({ code: "FILE_DESTROYED" });
  });
});
