import { describe, expect, it } from "vitest";
import { FlushManager } from "../src/flush-manager.js";
import { parseFlushConfig } from "../src/flush-config.js";
import { FakeFlushable } from "./fake-flushable.js";

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toMatchObject({ name: "StoreError", code: "INVALID_CONFIG" });
    return (error as Error).message;
  }
  throw new Error("expected INVALID_CONFIG");
}

describe("parseFlushConfig", () => {
  it("fills in RocketMQ's defaults", () => {
    expect(parseFlushConfig({})).toEqual({
      flushDiskType: "ASYNC_FLUSH",
      flushIntervalCommitLog: 500,
      flushCommitLogTimed: true,
      flushCommitLogLeastPages: 4,
      flushCommitLogThoroughInterval: 10_000,
      commitIntervalCommitLog: 200,
      commitCommitLogLeastPages: 4,
      commitCommitLogThoroughInterval: 200,
      syncFlushTimeout: 5000,
      transientStorePoolEnable: false,
      groupCommitIntervalMs: 10,
      serviceJoinTimeMs: 300_000,
    });
  });

  it("names an unknown flushDiskType and the expected values", () => {
    const message = messageOf(() => parseFlushConfig({ flushDiskType: "SOMETIMES_FLUSH" }));
    expect(message).toContain("flushDiskType");
    expect(message).toContain(`"SYNC_FLUSH" or "ASYNC_FLUSH"`);
    expect(message).toContain(`"SOMETIMES_FLUSH"`);
  });

  it("names a negative interval with its unit", () => {
    const message = messageOf(() => parseFlushConfig({ flushIntervalCommitLog: -5 }));
    expect(message).toBe(
      "invalid flush config: flushIntervalCommitLog must be an integer number of ms in [1, 2147483647], got -5",
    );
  });

  it("rejects zero loop intervals, fractions, strings, NaN and delays a timer cannot hold", () => {
    for (const [key, value] of [
      ["commitIntervalCommitLog", 0],
      ["syncFlushTimeout", 0],
      ["flushCommitLogLeastPages", 1.5],
      ["flushCommitLogThoroughInterval", "10000"],
      ["commitCommitLogThoroughInterval", Number.NaN],
      ["groupCommitIntervalMs", 2 ** 31],
      ["flushCommitLogTimed", "false"],
    ] as const) {
      expect(messageOf(() => parseFlushConfig({ [key]: value }))).toContain(`${key} must be`);
    }
  });

  it("lists every bad key at once", () => {
    const message = messageOf(() =>
      parseFlushConfig({ syncFlushTimeout: -1, commitCommitLogLeastPages: -1 }),
    );
    expect(message).toContain("syncFlushTimeout");
    expect(message).toContain("commitCommitLogLeastPages");
  });

  it("accepts zero pages and zero thorough intervals", () => {
    const config = parseFlushConfig({
      flushCommitLogLeastPages: 0,
      commitCommitLogThoroughInterval: 0,
    });
    expect(config.flushCommitLogLeastPages).toBe(0);
  });

  it("accepts a pool with SYNC_FLUSH (the group commit commits it)", () => {
    const config = parseFlushConfig({
      flushDiskType: "SYNC_FLUSH",
      transientStorePoolEnable: true,
    });
    expect(config.transientStorePoolEnable).toBe(true);
  });

  it("ignores keys it does not know, so a whole broker config can be passed", () => {
    const config = parseFlushConfig({ listenPort: 10911, flushDiskType: "SYNC_FLUSH" });
    expect(config).not.toHaveProperty("listenPort");
  });

  it("rejects a non-object", () => {
    expect(messageOf(() => parseFlushConfig(null))).toBe(
      "flush config must be an object, got null",
    );
    expect(messageOf(() => parseFlushConfig([]))).toContain("must be an object");
  });

  it("FlushManager validates its config", () => {
    expect(
      messageOf(() => new FlushManager(new FakeFlushable(), { flushIntervalCommitLog: -1 })),
    ).toContain("flushIntervalCommitLog");
  });
});
