import { describe, expect, it } from "vitest";
import {
  buildPropertiesString,
  checkTopic,
  HostCache,
  mergeBatchProperties,
} from "../src/prepare-message.js";

const body = Buffer.alloc(0);

describe("buildPropertiesString", () => {
  it("writes TAGS and KEYS first, then properties in insertion order", () => {
    expect(
      buildPropertiesString({
        topic: "T",
        body,
        tags: "A",
        keys: ["k1", "k2"],
        properties: { x: "1" },
      }),
    ).toBe("TAGS\u0001A\u0002KEYS\u0001k1 k2\u0002x\u00011\u0002");
  });

  it("lets the tags and keys fields win over the same properties", () => {
    const properties = { TAGS: "old", KEYS: "old", y: "2" };
    expect(buildPropertiesString({ topic: "T", body, tags: "new", keys: "k", properties })).toBe(
      "TAGS\u0001new\u0002KEYS\u0001k\u0002y\u00012\u0002",
    );
  });

  it("keeps TAGS and KEYS properties in place when the fields are absent or empty", () => {
    const properties = { a: "1", TAGS: "t", KEYS: "k" };
    expect(buildPropertiesString({ topic: "T", body, tags: "", keys: [], properties })).toBe(
      "a\u00011\u0002TAGS\u0001t\u0002KEYS\u0001k\u0002",
    );
  });

  it("returns an empty string without tags, keys or properties", () => {
    expect(buildPropertiesString({ topic: "T", body })).toBe("");
  });

  it("refuses keys that are not strings", () => {
    const keys = [1, 2] as unknown as string[];
    expect(buildPropertiesString({ topic: "T", body, keys })).toMatchObject({
      status: "MESSAGE_ILLEGAL",
    });
  });
});

describe("mergeBatchProperties", () => {
  it("appends the batch string, inserting \\u0002 only when the message's lacks it", () => {
    expect(mergeBatchProperties("a\u00011\u0002", "b\u00012\u0002")).toBe(
      "a\u00011\u0002b\u00012\u0002",
    );
    expect(mergeBatchProperties("a\u00011", "b\u00012\u0002")).toBe("a\u00011\u0002b\u00012\u0002");
    expect(mergeBatchProperties("", "b\u00012\u0002")).toBe("b\u00012\u0002");
    expect(mergeBatchProperties("a\u00011", "")).toBe("a\u00011");
  });
});

describe("checkTopic", () => {
  it("accepts RocketMQ's topic alphabet, including retry topics", () => {
    expect(checkTopic("%RETRY%GID_PROBE")).toBeUndefined();
    expect(checkTopic("a|b-c_D9")).toBeUndefined();
    expect(checkTopic("t".repeat(127))).toBeUndefined();
  });

  it("refuses non-strings, empty, long and path-like topics", () => {
    for (const topic of [undefined, 7, "", "t".repeat(128), "../x", "a b", "a.b"]) {
      expect(checkTopic(topic)?.status).toBe("MESSAGE_ILLEGAL");
    }
  });
});

describe("HostCache", () => {
  it("returns the same parsed host for a repeated text and re-parses a new one", () => {
    const cache = new HostCache();
    const first = cache.parse("10.0.0.1:1");
    expect(cache.parse("10.0.0.1:1")).toBe(first);
    expect(cache.parse("10.0.0.2:1")?.ip[3]).toBe(2);
    expect(cache.parse("bad")).toBeUndefined();
  });
});
