import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  javaStringHashCode,
  messagePropertiesToString,
  stringToMessageProperties,
  tagsString2tagsCode,
} from "../src/index.js";
import { propertyNameArbitrary, propertyValueArbitrary } from "./fixtures/codec-fixtures.js";

describe("messagePropertiesToString", () => {
  it("writes name \\u0001 value \\u0002 for each pair, trailing separator included", () => {
    expect(messagePropertiesToString({ TAGS: "TagA", KEYS: "key1 key2" })).toBe(
      "TAGS\u0001TagA\u0002KEYS\u0001key1 key2\u0002",
    );
  });

  it("returns an empty string for no properties and skips undefined values", () => {
    expect(messagePropertiesToString({})).toBe("");
    expect(messagePropertiesToString({ A: undefined, B: "" })).toBe("B\u0001\u0002");
  });

  it("accepts a Map and keeps its order", () => {
    expect(
      messagePropertiesToString(
        new Map([
          ["b", "1"],
          ["a", "2"],
        ]),
      ),
    ).toBe("b\u00011\u0002a\u00012\u0002");
  });
});

describe("stringToMessageProperties", () => {
  it("parses the ali-ons properties string", () => {
    expect(stringToMessageProperties("TAGS\u0001TagA\u0002KEYS\u0001key1 key2\u0002")).toEqual({
      TAGS: "TagA",
      KEYS: "key1 key2",
    });
  });

  it("accepts a missing trailing separator, keeps empty values and the last duplicate", () => {
    expect(stringToMessageProperties("a\u00011\u0002b\u0001\u0002a\u00013")).toEqual({
      a: "3",
      b: "",
    });
  });

  it("ignores pairs without a name/value separator or with an empty name", () => {
    expect(stringToMessageProperties("junk\u0002\u0001v\u0002\u0002k\u0001v\u0002")).toEqual({
      k: "v",
    });
  });

  it("returns a null-prototype map so __proto__ is an ordinary key", () => {
    const properties = stringToMessageProperties("__proto__\u0001x\u0002");
    expect(Object.getPrototypeOf(properties)).toBeNull();
    expect(properties["__proto__"]).toBe("x");
  });

  it("skips a long run of empty pairs before a valid one", () => {
    const text = "x".repeat(16_000) + "\u0002".repeat(16_000) + "k\u0001v";
    expect(stringToMessageProperties(text)).toEqual({ k: "v" });
  });

  it("round-trips any map whose names and values avoid the separators", () => {
    fc.assert(
      fc.property(fc.dictionary(propertyNameArbitrary, propertyValueArbitrary), (properties) => {
        expect(stringToMessageProperties(messagePropertiesToString(properties))).toEqual({
          ...properties,
        });
      }),
    );
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", "\u0001", "\u0002", "é") }), (text) => {
        expect(typeof stringToMessageProperties(text)).toBe("object");
      }),
    );
  });
});

describe("tagsString2tagsCode", () => {
  it("is Java's String.hashCode", () => {
    expect(javaStringHashCode("")).toBe(0);
    expect(javaStringHashCode("a")).toBe(97);
    expect(javaStringHashCode("abc")).toBe(96354);
    expect(javaStringHashCode("TagA")).toBe(2598919);
    expect(javaStringHashCode("Hello World")).toBe(-862545276);
  });

  it("hashes UTF-16 code units, so a surrogate pair counts twice", () => {
    expect(javaStringHashCode("\u{1F600}")).toBe(31 * 0xd83d + 0xde00);
  });

  it("wraps around in int32 arithmetic", () => {
    const code = javaStringHashCode("x".repeat(1000));
    expect(code).toBe(code | 0);
  });

  it("is 0 for absent or empty tags", () => {
    expect(tagsString2tagsCode(undefined)).toBe(0);
    expect(tagsString2tagsCode("")).toBe(0);
    expect(tagsString2tagsCode("abc")).toBe(96354);
  });
});
