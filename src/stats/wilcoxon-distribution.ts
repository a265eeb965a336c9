/**
 * Exact null distribution of the Mann–Whitney U statistic (equivalently Wilcoxon's rank-sum W
 * minus its minimum) for samples of sizes m and n without ties.
 *
 * Under H0 every one of the C(m+n, m) rank arrangements is equally likely, and the number of
 * arrangements with U = u is the coefficient of q^u in the Gaussian binomial coefficient
 * [m+n choose m]_q = ∏_{i=1..m} (1 − q^(n+i)) / (1 − q^i) (Mann & Whitney 1947; Andrews,
 * "The Theory of Partitions", ch. 3). The counts are built by dynamic programming over that
 * product — multiply by (1 − q^(n+i)), then divide exactly by (1 − q^i) — in BigInt arithmetic,
 * so they are exact for any size (cost O(min(m,n)² · max(m,n)) big-integer additions; a few ms for
 * m = n = 50). Results are memoised per (m, n).
 *
 * @module
 */

interface WilcoxonTable {
  /** counts[u] = number of arrangements with U = u, u = 0..m·n. */
  readonly counts: readonly bigint[];
  /** cumulative[u] = Σ_{v ≤ u} counts[v]. */
  readonly cumulative: readonly bigint[];
  /** C(m+n, m). */
  readonly total: bigint;
}

const CACHE_LIMIT = 64;
const cache = new Map<string, WilcoxonTable>();

function assertSizes(m: number, n: number): void {
  if (!Number.isInteger(m) || !Number.isInteger(n) || m < 1 || n < 1) {
    throw new RangeError(`Wilcoxon distribution: sizes must be positive integers, got ${m}, ${n}`);
  }
}

function buildTable(m: number, n: number): WilcoxonTable {
  const small = Math.min(m, n);
  const large = Math.max(m, n);
  // poly holds [large+i choose i]_q after step i.
  let poly: bigint[] = [1n];
  for (let i = 1; i <= small; i++) {
    const shift = large + i;
    const next = new Array<bigint>(poly.length + shift).fill(0n);
    for (let j = 0; j < poly.length; j++) {
      const c = poly[j] ?? 0n;
      next[j] = (next[j] ?? 0n) + c;
      next[j + shift] = (next[j + shift] ?? 0n) - c;
    }
    // Exact division by (1 - q^i): c[j] += c[j - i], ascending.
    for (let j = i; j < next.length; j++) {
      next[j] = (next[j] ?? 0n) + (next[j - i] ?? 0n);
    }
    // Degree is now i * large; drop the (zero) tail.
    next.length = i * large + 1;
    poly = next;
  }
  const cumulative = new Array<bigint>(poly.length);
  let running = 0n;
  for (let u = 0; u < poly.length; u++) {
    running += poly[u] ?? 0n;
    cumulative[u] = running;
  }
  return { counts: poly, cumulative, total: running };
}

function table(m: number, n: number): WilcoxonTable {
  assertSizes(m, n);
  const key = `${Math.min(m, n)},${Math.max(m, n)}`;
  let t = cache.get(key);
  if (t === undefined) {
    t = buildTable(m, n);
    if (cache.size >= CACHE_LIMIT) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.set(key, t);
  } else {
    // refresh recency
    cache.delete(key);
    cache.set(key, t);
  }
  return t;
}

/** Exact binomial coefficient C(n, k) as a BigInt. */
export function binomialCoefficient(n: number, k: number): bigint {
  if (!Number.isInteger(n) || !Number.isInteger(k) || n < 0) {
    throw new RangeError(`binomialCoefficient: invalid arguments ${n}, ${k}`);
  }
  if (k < 0 || k > n) return 0n;
  const kk = Math.min(k, n - k);
  let result = 1n;
  for (let i = 1; i <= kk; i++) {
    result = (result * BigInt(n - kk + i)) / BigInt(i);
  }
  return result;
}

/** Ratio of two BigInts as a double, correctly rounded to within about one ulp. */
export function bigRatio(numerator: bigint, denominator: bigint): number {
  if (numerator === 0n) return 0;
  // Scale so the integer quotient carries ~64 significant bits, then divide by the scale.
  const shift = BigInt(
    Math.max(0, 64 - (numerator.toString(2).length - denominator.toString(2).length)),
  );
  const q = (numerator << shift) / denominator;
  return Number(q) / 2 ** Number(shift);
}

/** Number of arrangements with U = u, for u = 0..m·n (exact, BigInt). */
export function wilcoxonCounts(m: number, n: number): readonly bigint[] {
  return table(m, n).counts;
}

/** P(U ≤ u) under H0 for sizes m, n without ties (R's `pwilcox(u, m, n)`). */
export function wilcoxonCdf(u: number, m: number, n: number): number {
  const t = table(m, n);
  const k = Math.floor(u);
  if (k < 0) return 0;
  if (k >= m * n) return 1;
  return bigRatio(t.cumulative[k] ?? 0n, t.total);
}

/** P(U ≥ u) under H0 for sizes m, n without ties (SciPy's `_mwu_state.sf`). */
export function wilcoxonSf(u: number, m: number, n: number): number {
  const t = table(m, n);
  const k = Math.ceil(u);
  if (k <= 0) return 1;
  if (k > m * n) return 0;
  return bigRatio(t.total - (t.cumulative[k - 1] ?? 0n), t.total);
}

/**
 * Lower-tail quantile of U: the smallest q with P(U ≤ q) ≥ p, with R's `qwilcox` tolerance
 * (the comparison is made against p − 10·ε, ε = 2⁻⁵²). Defined for 0 ≤ p ≤ 0.5, the only range the
 * confidence intervals need.
 */
export function wilcoxonQuantile(p: number, m: number, n: number): number {
  if (!(p >= 0 && p <= 0.5)) {
    throw new RangeError(`wilcoxonQuantile: p must be in [0, 0.5], got ${p}`);
  }
  const t = table(m, n);
  if (p === 0) return 0;
  const target = p - 10 * Number.EPSILON;
  for (let q = 0; q <= m * n; q++) {
    if (bigRatio(t.cumulative[q] ?? 0n, t.total) >= target) return q;
  }
  return m * n;
}
