import { describe, expect, it } from "vitest";
import { editDistance, nearestKey } from "../src/key-suggestion.js";

describe("editDistance", () => {
  it("counts insertions, deletions, substitutions and adjacent swaps, ignoring case", () => {
    expect(editDistance("listenPort", "listenPort")).toBe(0);
    expect(editDistance("listenport", "listenPort")).toBe(0);
    expect(editDistance("flushDiskTyp", "flushDiskType")).toBe(1);
    expect(editDistance("lsitenPort", "listenPort")).toBe(1);
    expect(editDistance("httpPrt", "httpPort")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });
});

describe("nearestKey", () => {
  const keys = ["listenPort", "namesrvPort", "httpPort", "flushDiskType", "flushIntervalCommitLog"];

  it("suggests the closest key within a third of the key's length", () => {
    expect(nearestKey("flushDiskTyp", keys)).toBe("flushDiskType");
    expect(nearestKey("namesrvport", keys)).toBe("namesrvPort");
    expect(nearestKey("flushIntervalCommitlg", keys)).toBe("flushIntervalCommitLog");
  });

  it("suggests nothing when no key is close", () => {
    expect(nearestKey("colour", keys)).toBeNull();
    expect(nearestKey("brokerName", keys)).toBeNull();
  });
});
