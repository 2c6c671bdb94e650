import { describe, expect, it } from "vitest";
import { brokerConfigKeys, parseBrokerConfig, parseDelayLevels } from "../src/index.js";

describe("parseBrokerConfig", () => {
  it("fills in RocketMQ's defaults for the broker and its store", () => {
    const config = parseBrokerConfig({});
    expect(config).toMatchObject({
      brokerClusterName: "DefaultCluster",
      brokerName: "broker-a",
      brokerId: 0,
      brokerIP1: "127.0.0.1",
      listenPort: 10911,
      defaultTopicQueueNums: 4,
      autoCreateTopicEnable: true,
      waitTimeMillsInSendQueue: 200,
      osPageCacheBusyTimeOutMills: 1000,
      longPollingEnable: true,
      shortPollingTimeMills: 1000,
      maxReconsumeTimes: 16,
      flushConsumerOffsetInterval: 5000,
      serverChannelMaxIdleTimeSeconds: 120,
      clientChannelMaxIdleTime: 120_000,
      flushDiskType: "ASYNC_FLUSH",
      mappedFileSizeCommitLog: 1024 * 1024 * 1024,
    });
    expect(config.delayLevelTableMs).toHaveLength(18);
    expect(config.delayLevelTableMs[2]).toBe(10_000);
    expect(config.delayLevelTableMs[17]).toBe(7_200_000);
  });

  it("accepts broker.conf strings for numbers and booleans", () => {
    const config = parseBrokerConfig({
      listenPort: "10922",
      autoCreateTopicEnable: "false",
      flushDiskType: "SYNC_FLUSH",
      mappedFileSizeCommitLog: "1048576",
    });
    expect(config.listenPort).toBe(10922);
    expect(config.autoCreateTopicEnable).toBe(false);
    expect(config.flushDiskType).toBe("SYNC_FLUSH");
    expect(config.mappedFileSizeCommitLog).toBe(1_048_576);
  });

  it("refuses a bad value naming the key and what it expects", () => {
    expect(() => parseBrokerConfig({ listenPort: 70_000 })).toThrow(/listenPort.*70000/);
    expect(() => parseBrokerConfig({ messageDelayLevel: "1s 5x" })).toThrow(
      /messageDelayLevel: expected space-separated delays/,
    );
    expect(() => parseBrokerConfig({ flushDiskType: "SOMETIMES" })).toThrow(/flushDiskType/);
    expect(() => parseBrokerConfig({ brokerIP1: "localhost" })).toThrow(
      /brokerIP1: expected an IPv4 address/,
    );
  });

  it("refuses unknown keys by name", () => {
    expect(() => parseBrokerConfig({ listenPrt: 1 })).toThrow(/unknown key\(s\) listenPrt/);
  });
});

describe("parseDelayLevels", () => {
  it("reads RocketMQ's units and ours (ms)", () => {
    expect(parseDelayLevels("1s 2m 1h 1d 250ms")).toEqual([
      1000, 120_000, 3_600_000, 86_400_000, 250,
    ]);
    expect(parseDelayLevels("1s five")).toBeNull();
    expect(parseDelayLevels("0s")).toBeNull();
  });
});

describe("brokerConfigKeys", () => {
  it("lists every key with a default and a description for --help", () => {
    const keys = brokerConfigKeys();
    const byKey = new Map(keys.map((key) => [key.key, key]));
    expect(byKey.get("listenPort")).toMatchObject({ defaultValue: 10911 });
    expect(byKey.get("flushDiskType")).toMatchObject({ defaultValue: "ASYNC_FLUSH" });
    expect(byKey.get("waitTimeMillsInSendQueue")?.description).toMatch(/ms/);
    for (const key of keys) expect(key.description, key.key).not.toBe("");
  });
});
