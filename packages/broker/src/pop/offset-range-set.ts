/**
 * A set of non-negative integer offsets kept as sorted, disjoint, non-adjacent ranges
 * `[start, end)`: offsets handled mostly in order stay a handful of ranges however many there are.
 */
export class OffsetRangeSet {
  /** Flat `[start0, end0, start1, end1, ...]`, sorted. */
  #bounds: number[] = [];

  static fromRanges(ranges: readonly (readonly [number, number])[]): OffsetRangeSet {
    const set = new OffsetRangeSet();
    const b = set.#bounds;
    for (const [start, end] of [...ranges].sort((x, y) => x[0] - y[0])) {
      if (end <= start) continue;
      if (b.length > 0 && start <= (b[b.length - 1] as number))
        b[b.length - 1] = Math.max(b[b.length - 1] as number, end);
      else b.push(start, end);
    }
    return set;
  }

  /** The ranges, `[start, end)` each. */
  ranges(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.#bounds.length; i += 2)
      out.push([this.#bounds[i] as number, this.#bounds[i + 1] as number]);
    return out;
  }

  get rangeCount(): number {
    return this.#bounds.length / 2;
  }

  has(offset: number): boolean {
    const i = this.#rangeAtOrBefore(offset);
    return i >= 0 && offset < (this.#bounds[2 * i + 1] as number);
  }

  add(offset: number): void {
    const b = this.#bounds;
    const i = this.#rangeAtOrBefore(offset);
    if (i >= 0 && offset < (b[2 * i + 1] as number)) return;
    const joinsLeft = i >= 0 && b[2 * i + 1] === offset;
    const joinsRight = 2 * (i + 1) < b.length && b[2 * (i + 1)] === offset + 1;
    if (joinsLeft && joinsRight) b.splice(2 * i + 1, 2);
    else if (joinsLeft) b[2 * i + 1] = offset + 1;
    else if (joinsRight) b[2 * (i + 1)] = offset;
    else b.splice(2 * (i + 1), 0, offset, offset + 1);
  }

  /** Removes every offset below `offset`. */
  dropBelow(offset: number): void {
    const b = this.#bounds;
    while (b.length > 0 && (b[1] as number) <= offset) b.splice(0, 2);
    if (b.length > 0 && (b[0] as number) < offset) b[0] = offset;
  }

  /** Index of the last range starting at or before `offset`, or -1. */
  #rangeAtOrBefore(offset: number): number {
    let low = 0;
    let high = this.#bounds.length / 2 - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if ((this.#bounds[2 * middle] as number) <= offset) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found;
  }
}
