import { describe, expect, it } from "vitest";
import { describePromise, flushStrategy } from "../src/flush-strategy.js";

const base = {
  flushIntervalCommitLog: 500,
  flushCommitLogLeastPages: 4,
  commitIntervalCommitLog: 200,
};

describe("flushStrategy", () => {
  it("SYNC_FLUSH: group commit, acknowledged after fdatasync, nothing acknowledged lost", () => {
    const s = flushStrategy({
      ...base,
      flushDiskType: "SYNC_FLUSH",
      transientStorePoolEnable: false,
    });
    expect(s.name).toBe("SYNC_FLUSH");
    expect(s.services).toEqual(["GroupCommitService", "FlushDiskWatcher"]);
    expect(s.acknowledgedWhen).toBe("an fdatasync covering the message has completed");
    expect([s.processCrash, s.powerLoss]).toEqual([
      "nothing acknowledged is lost",
      "nothing acknowledged is lost",
    ]);
  });

  it("SYNC_FLUSH with the pool promises the same (the group commit commits the pool itself)", () => {
    const s = flushStrategy({
      ...base,
      flushDiskType: "SYNC_FLUSH",
      transientStorePoolEnable: true,
    });
    expect(s.name).toBe("SYNC_FLUSH");
    expect(s.services[0]).toMatch(/^GroupCommitService/);
    expect(s.powerLoss).toBe("nothing acknowledged is lost");
  });

  it("ASYNC_FLUSH: real-time flush, page cache, power loss quotes the configured interval and pages", () => {
    const s = flushStrategy({
      ...base,
      flushDiskType: "ASYNC_FLUSH",
      transientStorePoolEnable: false,
      flushIntervalCommitLog: 750,
    });
    expect(s.name).toBe("ASYNC_FLUSH");
    expect(s.services).toEqual(["FlushRealTimeService"]);
    expect(s.acknowledgedWhen).toContain("OS page cache");
    expect(s.processCrash).toBe("nothing acknowledged is lost");
    expect(s.powerLoss).toBe(
      "up to ~750 ms (flushIntervalCommitLog) plus writes below 4 pages (16 KiB) may be lost",
    );
  });

  it("ASYNC_FLUSH + pool: commit and flush services; a process crash may lose the commit interval", () => {
    const s = flushStrategy({
      ...base,
      flushDiskType: "ASYNC_FLUSH",
      transientStorePoolEnable: true,
    });
    expect(s.name).toBe("ASYNC_FLUSH + transientStorePool");
    expect(s.services).toEqual(["CommitRealTimeService", "FlushRealTimeService"]);
    expect(s.processCrash).toContain("up to ~200 ms (commitIntervalCommitLog)");
    expect(s.powerLoss).toMatch(/plus the commit lag$/);
    expect(describePromise(s)).toMatch(
      /^acknowledged when the bytes are in a pooled in-process buffer; process crash: /,
    );
  });
});
