/**
 * Ranking with ties ("average" / mid-ranks, as R's `rank()` default and SciPy's `rankdata`) and
 * input validation shared by the statistics modules.
 *
 * @module
 */

/** Mid-ranks (1-based) of `values` and the sizes of all tie groups (groups of size ≥ 2). */
export interface Ranking {
  readonly ranks: number[];
  readonly tieSizes: number[];
}

/** Ranks `values` with ties replaced by the mean of the ranks they span. */
export function rankWithTies(values: readonly number[]): Ranking {
  const order = values.map((_, i) => i).sort((a, b) => (values[a] ?? 0) - (values[b] ?? 0));
  const ranks = new Array<number>(values.length).fill(0);
  const tieSizes: number[] = [];
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    const v = values[order[start] ?? 0];
    while (end < order.length && values[order[end] ?? 0] === v) end++;
    const midRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k] ?? 0] = midRank;
    if (end - start > 1) tieSizes.push(end - start);
    start = end;
  }
  return { ranks, tieSizes };
}

/** Throws a RangeError unless `values` is non-empty and all finite. */
export function assertSample(values: readonly number[], name: string): void {
  if (values.length === 0) throw new RangeError(`${name}: sample is empty`);
  for (const v of values) {
    if (!Number.isFinite(v)) throw new RangeError(`${name}: non-finite value ${v}`);
  }
}

/** Throws a RangeError unless `level` is strictly between 0 and 1. */
export function assertLevel(level: number, name: string): void {
  if (!(level > 0 && level < 1)) {
    throw new RangeError(`${name}: confidence level must be in (0, 1), got ${level}`);
  }
}
