import { describe, expect, it } from "vitest";
import { StoreError, unknownErrorResult } from "../src/index.js";

describe("unknownErrorResult", () => {
  it("is an UNKNOWN_ERROR at the offset that wrote nothing", () => {
    expect(unknownErrorResult(1234)).toEqual({
      status: "UNKNOWN_ERROR",
      wroteOffset: 1234,
      wroteBytes: 0,
      msgId: "",
      storeTimestamp: 0,
      logicsOffset: 0,
      pagecacheRT: 0,
      msgNum: 0,
    });
  });

  it("carries the cause when there is one, and has no error key otherwise", () => {
    const error = new StoreError("IO_ERROR", "write failed");
    expect(unknownErrorResult(0, error).error).toBe(error);
    expect("error" in unknownErrorResult(0)).toBe(false);
  });
});
