import { describe, expect, it } from "vitest";
import { parseMessageStoreConfig } from "../src/message-store-config.js";

describe("parseMessageStoreConfig", () => {
  it("fills RocketMQ's defaults, but 64 MiB segments for an embedded store", () => {
    const config = parseMessageStoreConfig({});
    expect(config).toMatchObject({
      flushDiskType: "ASYNC_FLUSH",
      mappedFileSizeCommitLog: 64 * 1024 * 1024,
      mappedFileSizeConsumeQueue: 6_000_000,
      maxMessageSize: 4 * 1024 * 1024,
      flushIntervalCommitLog: 500,
      syncFlushTimeout: 5000,
      fileReservedTime: 72,
      deleteWhen: "04",
      diskMaxUsedSpaceRatio: 75,
      transientStorePoolSize: 5,
      preallocation: "sparse",
      warmMapedFileEnable: false,
    });
  });

  it("zero-fills new segments under SYNC_FLUSH and sizes them sparse under ASYNC_FLUSH, unless told", () => {
    expect(parseMessageStoreConfig({ flushDiskType: "SYNC_FLUSH" }).preallocation).toBe(
      "zero-fill",
    );
    expect(parseMessageStoreConfig({ flushDiskType: "ASYNC_FLUSH" }).preallocation).toBe("sparse");
    expect(
      parseMessageStoreConfig({ flushDiskType: "ASYNC_FLUSH", preallocation: "zero-fill" })
        .preallocation,
    ).toBe("zero-fill");
    expect(
      parseMessageStoreConfig({ flushDiskType: "SYNC_FLUSH", preallocation: "sparse" })
        .preallocation,
    ).toBe("sparse");
    expect(() => parseMessageStoreConfig({ preallocation: "fallocate" })).toThrow(/preallocation/);
  });

  it("accepts IPv4 and bracketed IPv6 store hosts", () => {
    expect(parseMessageStoreConfig({ storeHost: "10.1.2.3:10911" }).storeHost).toBe(
      "10.1.2.3:10911",
    );
    expect(parseMessageStoreConfig({ storeHost: "[::1]:10911" }).storeHost).toBe("[::1]:10911");
  });

  it("names every bad key, and rejects unknown ones instead of ignoring a typo", () => {
    expect(() => parseMessageStoreConfig({ flushDiskTyp: "SYNC_FLUSH" })).toThrow(
      /unknown key\(s\) flushDiskTyp/,
    );
    expect(() => parseMessageStoreConfig({ mappedFileSizeCommitLog: 100 })).toThrow(
      /mappedFileSizeCommitLog/,
    );
    expect(() => parseMessageStoreConfig({ deleteWhen: "4am" })).toThrow(/deleteWhen/);
    expect(() => parseMessageStoreConfig({ storeHost: "localhost" })).toThrow(/storeHost/);
    expect(() => parseMessageStoreConfig({ flushDiskType: "SOMETIMES" })).toThrow(/flushDiskType/);
    expect(() => parseMessageStoreConfig({ syncFlushTimeout: -1 })).toThrow(/syncFlushTimeout/);
    expect(() => parseMessageStoreConfig({ warmMapedFileEnable: "yes" })).toThrow(
      /warmMapedFileEnable/,
    );
    let thrown: unknown;
    try {
      parseMessageStoreConfig({ maxMessageSize: "big" });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({
      code: "INVALID_CONFIG",
      message: expect.stringContaining("maxMessageSize") as unknown,
    });
  });
});
