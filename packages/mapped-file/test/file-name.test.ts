import { describe, expect, it } from "vitest";
import { OS_PAGE_SIZE, StoreError, fileNameToOffset, offsetToFileName } from "../src/index.js";
import { thrown } from "./helpers.js";

describe("offsetToFileName", () => {
  it("zero-pads the decimal offset to 20 digits (RocketMQ UtilAll.offset2FileName)", () => {
    expect(offsetToFileName(0)).toBe("00000000000000000000");
    expect(offsetToFileName(1073741824)).toBe("00000000001073741824");
    expect(offsetToFileName(Number.MAX_SAFE_INTEGER)).toBe("00009007199254740991");
  });

  it("sorts names in offset order", () => {
    const offsets = [0, 1024, 1073741824, 10, 99999];
    const names = offsets.map((offset) => offsetToFileName(offset)).sort();
    expect(names.map((name) => fileNameToOffset(name))).toEqual([...offsets].sort((a, b) => a - b));
  });

  it("rejects a negative, fractional or unsafe offset with BAD_ARGUMENT", () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) {
      const error = thrown(() => offsetToFileName(bad));
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ code: "BAD_ARGUMENT" });
    }
  });
});

describe("fileNameToOffset", () => {
  it("parses any all-digit name, as RocketMQ's Long.parseLong does", () => {
    expect(fileNameToOffset("000")).toBe(0);
    expect(fileNameToOffset("00000000001073741824")).toBe(1073741824);
    expect(fileNameToOffset("42")).toBe(42);
    expect(fileNameToOffset("00009007199254740991")).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("rejects anything else with BAD_FILE_NAME", () => {
    for (const bad of [
      "",
      "abc",
      "-1",
      "+1",
      "1e3",
      " 1",
      "00000000000000000000.tmp",
      "000000000000000000001",
      "00009007199254740992",
    ]) {
      expect(thrown(() => fileNameToOffset(bad))).toMatchObject({
        name: "StoreError",
        code: "BAD_FILE_NAME",
      });
    }
  });
});

describe("OS_PAGE_SIZE", () => {
  it("is RocketMQ's 4096", () => {
    expect(OS_PAGE_SIZE).toBe(4096);
  });
});
