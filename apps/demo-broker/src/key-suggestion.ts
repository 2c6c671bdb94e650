/**
 * Edit distance between `a` and `b`, ignoring case: insertions, deletions, substitutions and swaps
 * of two adjacent characters each cost 1 (optimal string alignment).
 */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const width = y.length + 1;
  // d[i * width + j]: distance between the first i characters of x and the first j of y
  const d = new Array<number>((x.length + 1) * width).fill(0);
  const at = (i: number, j: number): number => d[i * width + j] as number;
  for (let i = 0; i <= x.length; i++) d[i * width] = i;
  for (let j = 0; j <= y.length; j++) d[j] = j;
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      const swapped = i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1];
      if (swapped) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * width + j] = best;
    }
  }
  return at(x.length, y.length);
}

/**
 * The candidate nearest to `key`, or null when none is near enough to be a likely typo: at most a
 * third of the key's length away (at least 2 edits allowed). Ties go to the earlier candidate.
 */
export function nearestKey(key: string, candidates: Iterable<string>): string | null {
  const limit = Math.max(2, Math.floor(key.length / 3));
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(key, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : null;
}
