import { SimulatedDisk, VirtualClock } from "@store/mapped-file/testing";
import { describe, expect, it } from "vitest";
import { decodeMessage } from "@store/message-codec";
import { message, onClock, openOnDisk } from "./store-test-kit.js";

// MessageStoreOptions.clock: every timer of the store and every store timestamp follow it.
describe("MessageStore on an injected clock", () => {
  it("stamps records with the clock's time and flushes under ASYNC_FLUSH only when the clock gets there", async () => {
    const clock = new VirtualClock(1_800_000_000_000);
    const disk = new SimulatedDisk({ clock });
    const config = {
      flushDiskType: "ASYNC_FLUSH",
      flushIntervalCommitLog: 500,
      flushCommitLogLeastPages: 0,
    } as const;
    const store = await openOnDisk(disk, config, { clock });
    try {
      const put = await store.putMessage(message("T", 0));
      expect(put.status).toBe("PUT_OK");
      expect(put.appendResult?.storeTimestamp).toBe(1_800_000_000_000);
      const end = store.getMaxPhyOffset();
      await clock.advance(499);
      expect(store.commitLog.mappedFileQueue.flushedWhere).toBe(0);
      await clock.advance(1);
      expect(store.commitLog.mappedFileQueue.flushedWhere).toBe(end);
      const got = await store.getMessage("g", "T", 0, 0, 1);
      const decoded = decodeMessage(got.messages[0] as Buffer);
      expect(decoded.ok && decoded.message.storeTimestamp).toBe(1_800_000_000_000);
    } finally {
      await onClock(clock, store.shutdown());
    }
  });

  it("SYNC_FLUSH: a put whose fdatasync stalls ends FLUSH_DISK_TIMEOUT at syncFlushTimeout on the clock", async () => {
    const clock = new VirtualClock();
    const disk = new SimulatedDisk({ clock });
    const store = await openOnDisk(
      disk,
      { flushDiskType: "SYNC_FLUSH", syncFlushTimeout: 3000 },
      { clock },
    );
    expect((await onClock(clock, store.putMessage(message("T", 0)), 1)).status).toBe("PUT_OK"); // the segment exists
    const release = disk.stallFsyncs();
    let status = "pending";
    void store.putMessage(message("T", 1)).then((r) => (status = r.status));
    await clock.advance(2999);
    expect(status).toBe("pending");
    await clock.advance(1);
    expect(status).toBe("FLUSH_DISK_TIMEOUT");
    release();
    await onClock(clock, store.shutdown());
  });
});
