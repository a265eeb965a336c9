/**
 * Multiple-comparison adjustment of p-values.
 *
 * @module
 */

/**
 * Benjamini–Hochberg (1995, JRSS B 57:289–300) adjusted p-values, controlling the false
 * discovery rate; identical to R's `p.adjust(p, method = "BH")`.
 *
 * With the m non-NaN p-values sorted ascending, p₍ᵢ₎ is adjusted to
 * min(1, min_{j ≥ i} m/j · p₍ⱼ₎) and the results are returned in the input order. Tied p-values
 * get equal adjusted values. NaN entries stay NaN and are not counted in m (as R does for NA,
 * whose default `n = length(p)` is evaluated after the NAs are dropped). An empty input gives an
 * empty output. Throws a RangeError for a value outside [0, 1] (other than NaN).
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const result = pValues.map(() => Number.NaN);
  const present: number[] = [];
  pValues.forEach((p, i) => {
    if (Number.isNaN(p)) return;
    if (!(p >= 0 && p <= 1)) {
      throw new RangeError(`benjaminiHochberg: p-value out of [0, 1]: ${p}`);
    }
    present.push(i);
  });
  const m = present.length;
  // Largest p first; the running minimum of m/rank·p walks down the ranks.
  present.sort((a, b) => (pValues[b] ?? 0) - (pValues[a] ?? 0));
  let running = Number.POSITIVE_INFINITY;
  present.forEach((index, position) => {
    const rank = m - position;
    running = Math.min(running, (m / rank) * (pValues[index] ?? Number.NaN));
    result[index] = Math.min(1, running);
  });
  return result;
}
