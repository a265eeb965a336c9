/**
 * Paired comparisons: the Wilcoxon signed-rank test on paired differences and the one-sample
 * Hodges–Lehmann estimate (the median of the Walsh averages) with its distribution-free
 * confidence interval.
 *
 * Why paired: when a baseline and a candidate are measured interleaved in one invocation, each
 * round measures both close together in time. On a shared machine the noise comes in regimes
 * (a neighbour busy for a few seconds makes every run of those seconds slower), so the two runs
 * of a round share most of it. The difference within a round cancels the shared part, and a
 * test on those differences is far more sensitive than one that treats the two samples as
 * independent (Mann–Whitney), which must carry all of it. The test is valid when, under "no
 * difference", each within-round difference is symmetric about 0; the schedule makes this so by
 * running the cells of a round in a random order.
 *
 * Conventions follow R's `wilcox.test(d, conf.int = TRUE)` (one sample, μ = 0):
 *
 * - **Zeros** are dropped before the test (Wilcoxon's method, R's and SciPy's default
 *   `zero_method="wilcox"`). The estimate and the interval use every difference.
 * - `v` is R's statistic V: the sum of the (mid-)ranks of |dᵢ| over the positive dᵢ.
 * - **Exact** (no ties among the |dᵢ|, no zeros, n ≤ 50): the null distribution of V counts the
 *   subsets of {1..n} by their sum; p = min(1, 2·P(V ≤ v)) when v ≤ n(n+1)/4, else
 *   min(1, 2·P(V ≥ v)) (R's `psignrank`; SciPy's `wilcoxon(..., method="exact")` gives the same).
 *   The counts are at most 2ⁿ ≤ 2⁵⁰, so doubles hold them exactly.
 * - **Asymptotic** (otherwise): z = (V − n(n+1)/4 − ½·sign(·)) / σ with the tie-corrected
 *   σ² = n(n+1)(2n+1)/24 − Σ(t³ − t)/48 (R's `wilcox.test(..., exact = FALSE, correct = TRUE)`).
 * - **Estimate**: the median of the M = n(n+1)/2 Walsh averages (dᵢ + dⱼ)/2, i ≤ j (Hodges &
 *   Lehmann 1963). **Exact interval**: [A₍k₎, A₍M+1−k₎] with k = qsignrank(α/2, n) (raised to 1
 *   when 0) and coverage 1 − 2·P(V ≤ k − 1), as R computes it. **Asymptotic interval**: the
 *   order statistics where the continuity-corrected normal statistic crosses ±z₁₋α/₂, found
 *   exactly (between consecutive Walsh averages, V(d) is the count of Walsh averages above d),
 *   as for the two-sample interval in hodges-lehmann.ts; σ is that of the differences' own ties.
 *
 * References: Wilcoxon (1945), Biometrics Bulletin 1(6):80–83; Hollander, Wolfe & Chicken,
 * "Nonparametric Statistical Methods", 3rd ed., §3.1–3.2.
 *
 * @module
 */

import { assertLevel, assertSample, rankWithTies } from "./ranks.js";
import {
  asymptoticBoundRanks,
  type HodgesLehmannResult,
  type RatioResult,
} from "./hodges-lehmann.js";
import { normalCdf, normalSf } from "./special.js";

/** Largest number of non-zero differences for which the exact distribution is used. */
export const SIGNED_RANK_EXACT_MAX_N = 50;

const tables = new Map<number, Float64Array>();

/** Cumulative counts: c[s] = #{subsets of {1..n} with sum ≤ s}, s = 0..n(n+1)/2. */
function cumulativeCounts(n: number): Float64Array {
  const cached = tables.get(n);
  if (cached) return cached;
  const max = (n * (n + 1)) / 2;
  const counts = new Float64Array(max + 1);
  counts[0] = 1;
  let top = 0;
  for (let r = 1; r <= n; r++) {
    top += r;
    for (let s = top; s >= r; s--) counts[s] = (counts[s] as number) + (counts[s - r] as number);
  }
  for (let s = 1; s <= max; s++) counts[s] = (counts[s] as number) + (counts[s - 1] as number);
  tables.set(n, counts);
  return counts;
}

/** P(V ≤ v) under H0 for n differences without ties or zeros (R's `psignrank(v, n)`). */
export function signedRankCdf(v: number, n: number): number {
  const k = Math.floor(v);
  if (k < 0) return 0;
  const max = (n * (n + 1)) / 2;
  if (k >= max) return 1;
  return (cumulativeCounts(n)[k] as number) / 2 ** n;
}

/**
 * Lower-tail quantile of V: the smallest q with P(V ≤ q) ≥ p, with R's `qsignrank` tolerance
 * (compared against p − 10·ε). Defined for 0 ≤ p ≤ 0.5.
 */
export function signedRankQuantile(p: number, n: number): number {
  if (!(p >= 0 && p <= 0.5)) {
    throw new RangeError(`signedRankQuantile: p must be in [0, 0.5], got ${p}`);
  }
  if (p === 0) return 0;
  const target = p - 10 * Number.EPSILON;
  const max = (n * (n + 1)) / 2;
  for (let q = 0; q <= max; q++) if (signedRankCdf(q, n) >= target) return q;
  return max;
}

/** The smallest two-sided p any n pairs can give: 2 / 2ⁿ (every difference of one sign). */
export function minimumPossiblePairedP(n: number): number {
  return n <= 0 ? 1 : Math.min(1, 2 / 2 ** n);
}

/** The fewest pairs for which the signed-rank test can reach `alpha` (two-sided). */
export function pairsNeeded(alpha: number): number {
  let n = 1;
  while (minimumPossiblePairedP(n) >= alpha) n++;
  return n;
}

export interface SignedRankResult {
  /** R's V: the sum of the ranks of |d| over the positive differences (zeros dropped). */
  readonly v: number;
  /** Two-sided p-value. */
  readonly p: number;
  readonly method: "exact" | "asymptotic";
  /** Differences that entered the test (the zeros dropped). */
  readonly n: number;
  readonly zeros: number;
  readonly ties: boolean;
  /** Continuity-corrected z of the asymptotic method (null for exact). */
  readonly z: number | null;
}

/** Two-sided Wilcoxon signed-rank test of "the differences are symmetric about 0". */
export function wilcoxonSignedRank(
  differences: readonly number[],
  options: { method?: "auto" | "exact" | "asymptotic" } = {},
): SignedRankResult {
  assertSample(differences, "wilcoxonSignedRank");
  const nonZero = differences.filter((d) => d !== 0);
  const zeros = differences.length - nonZero.length;
  const n = nonZero.length;
  if (n === 0) return { v: 0, p: 1, method: "asymptotic", n, zeros, ties: false, z: null };
  const { ranks, tieSizes } = rankWithTies(nonZero.map(Math.abs));
  let v = 0;
  for (let i = 0; i < n; i++) if ((nonZero[i] as number) > 0) v += ranks[i] as number;
  const ties = tieSizes.length > 0;
  const requested = options.method ?? "auto";
  if (requested === "exact" && (ties || zeros > 0))
    throw new RangeError(
      "wilcoxonSignedRank: the exact method is not available with ties or zeros",
    );
  const exact =
    requested === "exact" ||
    (requested === "auto" && !ties && zeros === 0 && n <= SIGNED_RANK_EXACT_MAX_N);
  const mean = (n * (n + 1)) / 4;
  if (exact) {
    const tail = v > mean ? 1 - signedRankCdf(v - 1, n) : signedRankCdf(v, n);
    return { v, p: Math.min(1, 2 * tail), method: "exact", n, zeros, ties, z: null };
  }
  let tieTerm = 0;
  for (const t of tieSizes) tieTerm += t * t * t - t;
  const sigma = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48);
  const dz = v - mean;
  const z = (dz - Math.sign(dz) * 0.5) / sigma;
  const p = Math.min(1, 2 * Math.min(normalCdf(z), normalSf(z)));
  return { v, p, method: "asymptotic", n, zeros, ties, z };
}

/** The M = n(n+1)/2 Walsh averages (dᵢ + dⱼ)/2, i ≤ j, in no particular order. */
function walshAverages(d: readonly number[]): Float64Array {
  const n = d.length;
  const out = new Float64Array((n * (n + 1)) / 2);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const di = d[i] as number;
    for (let j = i; j < n; j++) out[k++] = (di + (d[j] as number)) / 2;
  }
  return out;
}

/** The M = n(n+1)/2 Walsh averages (dᵢ + dⱼ)/2, i ≤ j, sorted ascending. */
export function sortedWalshAverages(d: readonly number[]): Float64Array {
  return walshAverages(d).sort();
}

/**
 * Puts the (0-based) k-th smallest of a[lo..hi] at a[k], smaller-or-equal values before it and
 * greater-or-equal after (Hoare's FIND with a median-of-three pivot). The value is the one a sort
 * would put there.
 */
function selectInPlace(a: Float64Array, k: number, lo: number, hi: number): void {
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    const x = a[lo] as number;
    const y = a[mid] as number;
    const z = a[hi] as number;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/**
 * Order statistics (1-based ranks) of the Walsh averages, equal to indexing
 * {@link sortedWalshAverages} (up to the sign of a zero): a selection per rank, O(M) each,
 * instead of sorting all M of them.
 */
export function walshOrderStatistics(d: readonly number[], ranks: readonly number[]): number[] {
  const a = walshAverages(d);
  if (a.length <= 256) {
    a.sort();
    return ranks.map((r) => a[r - 1] ?? Number.NaN);
  }
  // Ascending ranks narrow the range: after selecting k, everything before it is ≤ a[k].
  const order = ranks.map((r, i) => [r - 1, i] as const).sort((p, q) => p[0] - q[0]);
  const out = new Array<number>(ranks.length).fill(Number.NaN);
  let lo = 0;
  for (const [k, i] of order) {
    if (!(Number.isInteger(k) && k >= 0 && k < a.length)) continue;
    selectInPlace(a, k, lo, a.length - 1);
    out[i] = a[k] as number;
    lo = k;
  }
  return out;
}

/** The same fields as the two-sample result; the ranks are among the sorted Walsh averages. */
export type WalshResult = HodgesLehmannResult;

/** One-sample Hodges–Lehmann estimate of the centre of the differences, with its interval. */
export function walshHodgesLehmann(
  differences: readonly number[],
  options: { level?: number; method?: "auto" | "exact" | "asymptotic" } = {},
): WalshResult {
  assertSample(differences, "walshHodgesLehmann");
  const level = options.level ?? 0.95;
  assertLevel(level, "walshHodgesLehmann");
  const n = differences.length;
  const m = (n * (n + 1)) / 2;
  const mid = Math.floor(m / 2);
  const medianRanks = m % 2 === 1 ? [mid + 1] : [mid, mid + 1];
  const withValues = (lowerRank: number, upperRank: number) => {
    const [lower, upper, m1, m2] = walshOrderStatistics(differences, [
      lowerRank,
      upperRank,
      ...medianRanks,
    ]) as [number, number, number, number | undefined];
    return { estimate: m2 === undefined ? m1 : (m1 + m2) / 2, lower, upper };
  };
  const { tieSizes } = rankWithTies(differences.map(Math.abs));
  const zeros = differences.some((d) => d === 0);
  const requested = options.method ?? "auto";
  const ties = tieSizes.length > 0;
  if (requested === "exact" && (ties || zeros))
    throw new RangeError(
      "walshHodgesLehmann: the exact method is not available with ties or zeros",
    );
  const exact =
    requested === "exact" ||
    (requested === "auto" && !ties && !zeros && n <= SIGNED_RANK_EXACT_MAX_N);
  const alpha = 1 - level;
  if (exact) {
    let k = signedRankQuantile(alpha / 2, n);
    if (k === 0) k = 1;
    const upperRank = m - k + 1;
    return {
      ...withValues(k, upperRank),
      level,
      achievedLevel: 1 - 2 * signedRankCdf(k - 1, n),
      method: "exact",
      lowerRank: k,
      upperRank,
    };
  }
  let tieTerm = 0;
  for (const t of tieSizes) tieTerm += t * t * t - t;
  const sigma = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48);
  // Between consecutive Walsh averages, V(d) is the count of Walsh averages above d.
  const { lowerRank, upperRank } = asymptoticBoundRanks(m, sigma, level);
  return {
    ...withValues(lowerRank, upperRank),
    level,
    achievedLevel: level,
    method: "asymptotic",
    lowerRank,
    upperRank,
  };
}

/** The ratio fields of {@link RatioResult}, from the Walsh HL of log x − log y (within pairs). */
export interface PairedRatioResult extends Omit<RatioResult, "log"> {
  /** Two-sided signed-rank p-value. */
  readonly p: number;
  readonly pairs: number;
}

/** Paired ratio x / y on log scale: signed-rank p and Walsh HL estimate with its interval. */
export function pairedRatioFromLogs(
  x: readonly number[],
  y: readonly number[],
  options: { level?: number } = {},
): PairedRatioResult {
  if (x.length !== y.length) throw new RangeError("pairedRatioFromLogs: x and y differ in length");
  for (const v of [...x, ...y]) {
    if (!(v > 0) || !Number.isFinite(v))
      throw new RangeError(`pairedRatioFromLogs: values must be positive and finite, got ${v}`);
  }
  const d = x.map((xi, i) => Math.log(xi) - Math.log(y[i] as number));
  const test = wilcoxonSignedRank(d);
  const hl = walshHodgesLehmann(d, options.level === undefined ? {} : { level: options.level });
  return {
    ratio: Math.exp(hl.estimate),
    lower: Math.exp(hl.lower),
    upper: Math.exp(hl.upper),
    level: hl.level,
    achievedLevel: hl.achievedLevel,
    p: test.p,
    method: test.method,
    pairs: d.length,
  };
}
