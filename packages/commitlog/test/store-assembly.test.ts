import { SimulatedDisk, VirtualClock } from "@store/mapped-file/testing";
import { describe, expect, it } from "vitest";
import type { MessageStoreConfigInput } from "../src/message-store-config.js";
import { parseMessageStoreConfig } from "../src/message-store-config.js";
import type { StoreAssembly } from "../src/store-assembly.js";
import { assembleStore } from "../src/store-assembly.js";
import { StoreCheckpoint } from "../src/store-checkpoint.js";
import { silentLogger } from "./helpers.js";

async function assemble(config: MessageStoreConfigInput): Promise<StoreAssembly> {
  const io = new SimulatedDisk();
  await io.mkdir("/store");
  const checkpoint = await StoreCheckpoint.open("/store/checkpoint", io);
  const parsed = parseMessageStoreConfig({
    storePathRootDir: "/store",
    mappedFileSizeCommitLog: 64 * 1024,
    ...config,
  });
  return assembleStore({
    config: parsed,
    io,
    logger: silentLogger,
    clock: new VirtualClock(),
    checkpoint,
  });
}

function release(parts: StoreAssembly): void {
  parts.pool?.destroy();
}

describe("assembleStore", () => {
  it("in pool mode, builds the pool with its buffers allocated", async () => {
    const parts = await assemble({ transientStorePoolEnable: true, transientStorePoolSize: 2 });
    try {
      expect(parts.pool?.availableBufferNums).toBe(2);
    } finally {
      release(parts);
    }
  });

  it("in page-cache mode, builds no pool", async () => {
    const parts = await assemble({ transientStorePoolEnable: false });
    expect(parts.pool).toBeNull();
  });

  it("builds the message index only when messageIndexEnable is true", async () => {
    expect((await assemble({ messageIndexEnable: false })).index).toBeNull();
    expect((await assemble({ messageIndexEnable: true })).index).not.toBeNull();
  });

  it("hands the commit log the flush strategy of the config", async () => {
    const sync = await assemble({ flushDiskType: "SYNC_FLUSH" });
    const async = await assemble({ flushDiskType: "ASYNC_FLUSH" });
    expect(sync.commitLog.flushManager.config.flushDiskType).toBe("SYNC_FLUSH");
    expect(async.commitLog.flushManager.config.flushDiskType).toBe("ASYNC_FLUSH");
  });
});
