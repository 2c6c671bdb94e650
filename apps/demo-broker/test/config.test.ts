import { describe, expect, it } from "vitest";
import { ConfigError, parseCommandLine, parseConfigText } from "../src/config.js";

describe("parseCommandLine", () => {
  it("fills the embedded defaults", () => {
    const config = parseCommandLine([]);
    expect(config.flushDiskType).toBe("ASYNC_FLUSH");
    expect(config.listenPort).toBe(10911);
    expect(config.namesrvPort).toBe(9876);
    expect(config.mappedFileSizeCommitLog).toBe(64 * 1024 * 1024);
    expect(config.storePathRootDir).toMatch(/\.demo-store$/);
  });

  it("reads a broker.conf and lets --key=value override it, typed by each key's schema", () => {
    const files: Record<string, string> = {
      "broker.conf": "# comment\nflushDiskType=SYNC_FLUSH\ndeleteWhen=04\nflushIntervalCommitLog=250\ntransientStorePoolEnable=false\n",
    };
    const config = parseCommandLine(["-c", "broker.conf", "--flushIntervalCommitLog=100", "--storeHost=10.0.0.1:10911"], (p) => files[p] ?? "");
    expect(config.flushDiskType).toBe("SYNC_FLUSH");
    expect(config.deleteWhen).toBe("04");
    expect(config.flushIntervalCommitLog).toBe(100);
    expect(config.storeHost).toBe("10.0.0.1:10911");
  });

  it("ignores a lone -- (passed through by some script runners)", () => {
    expect(parseCommandLine(["--", "--flushDiskType=SYNC_FLUSH"]).flushDiskType).toBe("SYNC_FLUSH");
  });

  it("reads a JSON config", () => {
    const config = parseCommandLine(["-c", "b.json"], () => JSON.stringify({ flushDiskType: "SYNC_FLUSH", syncFlushTimeout: 100 }));
    expect(config.syncFlushTimeout).toBe(100);
  });

  it("names the bad key and the expected form", () => {
    expect(() => parseCommandLine(["--flushDiskType=FOO"])).toThrow(/flushDiskType/);
    expect(() => parseCommandLine(["--flushIntervalCommitLog=-5"])).toThrow(/flushIntervalCommitLog/);
    expect(() => parseCommandLine(["--listenPort=99999"])).toThrow(/listenPort/);
    expect(() => parseCommandLine(["--flushDiskTyp=SYNC_FLUSH"])).toThrow(/unknown config key\(s\): flushDiskTyp/);
    expect(() => parseCommandLine(["stray"])).toThrow(ConfigError);
    expect(() => parseCommandLine(["-c"])).toThrow(/needs a file name/);
  });

  it("rejects a malformed config file line", () => {
    expect(() => parseConfigText("flushDiskType SYNC_FLUSH", "broker.conf")).toThrow(/broker.conf:1: expected key=value/);
    expect(() => parseConfigText("[1,2]", "b.json")).toThrow(/expected a JSON object/);
  });
});
