import { describe, expect, it } from "vitest";
import { TagFilter } from "../../src/index.js";

describe("TagFilter", () => {
  it("matches every message for * or an empty expression", () => {
    for (const expression of ["*", "", " * ", undefined]) {
      const filter = TagFilter.parse(expression);
      expect(filter.matchesAll).toBe(true);
      expect(filter.matches(undefined)).toBe(true);
    }
  });

  it("matches exactly the listed tags, trimmed, split on ||", () => {
    const filter = TagFilter.parse("TagA || TagB");
    expect(filter.matches("TagA")).toBe(true);
    expect(filter.matches("TagB")).toBe(true);
    expect(filter.matches("TagC")).toBe(false);
    expect(filter.matches(undefined)).toBe(false);
  });

  it("refuses an oversized expression with BAD_ARGUMENT", () => {
    expect(() => TagFilter.parse("a".repeat(5000))).toThrow(
      expect.objectContaining({ code: "BAD_ARGUMENT" }),
    );
  });
});
