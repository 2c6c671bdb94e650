import { VirtualClock } from "@store/mapped-file/testing";
import { describe, expect, it } from "vitest";
import { FlushManager } from "../src/flush-manager.js";
import { FakeFlushable } from "./fake-flushable.js";

// The services read the time and arm their timers only through the injected clock: with a
// VirtualClock nothing happens until the test moves time, and then exactly what is due.
describe("flush services on an injected clock", () => {
  it("ASYNC_FLUSH: the timed flush runs when the clock reaches the interval, not before", async () => {
    const clock = new VirtualClock();
    const queue = new FakeFlushable();
    const manager = new FlushManager(
      queue,
      { flushIntervalCommitLog: 500, flushCommitLogLeastPages: 0 },
      { clock },
    );
    manager.start();
    queue.append(100);
    manager.wakeup();
    await clock.advance(499);
    expect(queue.flushedWhere).toBe(0);
    await clock.advance(1);
    expect(queue.flushedWhere).toBe(100);
    const stopping = manager.shutdown();
    await clock.advance(0);
    await stopping;
  });

  it("SYNC_FLUSH: a stalled fdatasync times out at syncFlushTimeout on the clock", async () => {
    const clock = new VirtualClock();
    const queue = new FakeFlushable();
    const manager = new FlushManager(
      queue,
      { flushDiskType: "SYNC_FLUSH", syncFlushTimeout: 1000 },
      { clock },
    );
    manager.start();
    const release = queue.stallFsyncs();
    let status: string | null = null;
    void manager.handleDiskFlush(queue.append(100), true).then((s) => (status = s));
    await clock.advance(999);
    expect(status).toBeNull();
    await clock.advance(1);
    expect(status).toBe("FLUSH_DISK_TIMEOUT");
    release();
    const stopping = manager.shutdown();
    await clock.advance(100);
    await stopping;
  });
});
