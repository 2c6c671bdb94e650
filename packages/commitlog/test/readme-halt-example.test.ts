import { SimulatedDisk } from "@store/mapped-file/testing";
import { expect, it } from "vitest";
import { MessageStore } from "../src/message-store.js";
import { silentLogger } from "./helpers.js";

// The README's "Stopping" example, as written there (plus a silent logger).
it("README: halt() after a power cut on the simulated disk, then open recovers it as a crash", async () => {
  const disk = new SimulatedDisk();
  const process = disk.process();
  const config = { storePathRootDir: "/store", mappedFileSizeCommitLog: 64 * 1024 };
  const store = await MessageStore.open(config, { io: process, logger: silentLogger });
  await store.putMessage({ topic: "T", body: Buffer.from("x") });
  disk.powerCut({ keepUnsyncedWrites: 0, tearNextWrite: true }); // what never reached the disk is gone
  process.kill(); // the dead store's late calls touch nothing
  await store.halt();
  const again = await MessageStore.open(config, { io: disk.process(), logger: silentLogger });
  try {
    expect([again.recovery.mode, again.queueRecovery.case]).toEqual(["abnormal", "CRASH"]);
  } finally {
    await again.shutdown();
  }
});
