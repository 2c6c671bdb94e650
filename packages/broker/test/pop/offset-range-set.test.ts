import { describe, expect, it } from "vitest";
import { OffsetRangeSet } from "../../src/pop/offset-range-set.js";

describe("OffsetRangeSet", () => {
  it("merges adjacent offsets into ranges, in any order", () => {
    const set = new OffsetRangeSet();
    for (const offset of [5, 3, 4, 9, 7, 8, 0]) set.add(offset);
    expect(set.ranges()).toEqual([
      [0, 1],
      [3, 6],
      [7, 10],
    ]);
    expect(set.has(4)).toBe(true);
    expect(set.has(6)).toBe(false);
    set.add(6);
    expect(set.ranges()).toEqual([
      [0, 1],
      [3, 10],
    ]);
  });

  it("drops offsets below a bound and rebuilds from ranges", () => {
    const set = OffsetRangeSet.fromRanges([
      [7, 10],
      [0, 1],
      [3, 6],
    ]);
    set.dropBelow(4);
    expect(set.ranges()).toEqual([
      [4, 6],
      [7, 10],
    ]);
  });
});
