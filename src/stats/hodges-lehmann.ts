/**
 * Hodges–Lehmann estimate of a location shift between two independent samples, with its
 * distribution-free confidence interval, and the ratio version obtained on log scale.
 *
 * Let D₍₁₎ ≤ … ≤ D₍N₎ be the N = n₁·n₂ pairwise differences xᵢ − yⱼ sorted.
 *
 * - **Estimate**: median(D) (Hodges & Lehmann 1963, Ann. Math. Statist. 34:598–611).
 * - **Exact interval** (no ties): [D₍k₎, D₍N+1−k₎] with k = qwilcox(α/2, n₁, n₂) (the smallest k
 *   with P(U ≤ k) ≥ α/2, see {@link wilcoxonQuantile}), k raised to 1 when it is 0; its coverage
 *   1 − 2·P(U ≤ k − 1) is reported as `achievedLevel` — ≥ level, except when the samples are too
 *   small for any interval to reach it (then k = 1 and the coverage is 1 − 2/C(n₁+n₂, n₁), the
 *   case where R warns "Requested conf.level not achievable") (Bauer 1972, JASA 67:687–690;
 *   Hollander, Wolfe & Chicken §4.3). This is exactly what R's
 *   `wilcox.test(x, y, conf.int = TRUE, exact = TRUE)` returns.
 * - **Asymptotic interval** (ties or large samples): R's `wilcox.test(..., exact = FALSE,
 *   correct = TRUE)` inverts the continuity-corrected normal statistic
 *   W(d) = (U(d) − N/2 − sign(U(d) − N/2)·½) / σ, where U(d) is U of (x − d) against y and σ the
 *   tie-corrected standard deviation, by numerically finding the d where W(d) crosses
 *   ±z₁₋α/₂ (`uniroot`, tolerance `tol.root` = 1e-4). Between consecutive distinct pairwise
 *   differences U(d) = #{D > d} and σ depend only on the within-sample ties, so W is a
 *   non-increasing step function that jumps only at the D's; its crossing points are therefore
 *   order statistics D₍c₎ and are found here exactly, without iteration: the lower bound is D₍c₎
 *   for the smallest c with (N/2 − c − corr)/σ ≤ z₁₋α/₂, the upper bound likewise for −z₁₋α/₂
 *   (c clamped to 1..N, matching R's return of the extreme differences when the statistic never
 *   crosses). R's answer differs from these by at most its root-finding tolerance (1e-4
 *   absolute, adjustable with `tol.root`). `achievedLevel` is the nominal level here.
 *   The asymptotic point estimate is still median(D); R instead reports the root of the
 *   *uncorrected* W(d) = 0, which is median(D) when N is odd and some point of
 *   [D₍N/2₎, D₍N/2+1₎] (the interval whose midpoint is median(D)) when N is even.
 * - **Method choice** ("auto"): exact when the pooled sample has no ties and n₁, n₂ ≤ 50
 *   (R's own default is n₁ < 50 and n₂ < 50), as for {@link mannWhitney}.
 *
 * @module
 */

import { assertLevel, assertSample, rankWithTies } from "./ranks.js";
import { hasTies, resolveMethod, type MannWhitneyMethod } from "./mann-whitney.js";
import { normalQuantile } from "./special.js";
import { wilcoxonCdf, wilcoxonQuantile } from "./wilcoxon-distribution.js";

export interface HodgesLehmannOptions {
  /** Confidence level of the interval, default 0.95. */
  readonly level?: number;
  /** Default "auto" (see the module comment); "exact" throws a RangeError with ties. */
  readonly method?: MannWhitneyMethod;
}

export interface HodgesLehmannResult {
  /** Hodges–Lehmann estimate of the shift x − y: the median of all pairwise differences. */
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
  /** The requested confidence level. */
  readonly level: number;
  /** Exact coverage of [lower, upper] (exact method) or the nominal level (asymptotic). */
  readonly achievedLevel: number;
  readonly method: "exact" | "asymptotic";
  /** 1-based ranks of `lower` and `upper` among the sorted n₁·n₂ pairwise differences. */
  readonly lowerRank: number;
  readonly upperRank: number;
}

/** All n₁·n₂ differences xᵢ − yⱼ, sorted ascending. */
export function sortedPairwiseDifferences(
  x: readonly number[],
  y: readonly number[],
): Float64Array {
  const diffs = new Float64Array(x.length * y.length);
  let k = 0;
  for (const xi of x) for (const yj of y) diffs[k++] = xi - yj;
  return diffs.sort();
}

/** Fewer candidates than this are gathered and sorted instead of partitioned further. */
const GATHER_AT = 256;

/**
 * The 1-based `rank`-th smallest difference xs[i] − yd[j], without materialising all of them
 * (a selection in the sorted matrix of differences, after Johnson & Mizoguchi 1978, SIAM J.
 * Comput. 7:147–153, with a random pivot as in Monahan 1984, ACM TOMS 10:265–270).
 *
 * `xs` must be sorted ascending and `yd` descending, so the computed differences
 * fl(xs[i] − yd[j]) are non-decreasing along each row and each column (IEEE subtraction is
 * monotone in each operand). Each round picks a pivot t among the remaining candidates, counts
 * with one staircase walk (O(n₁ + n₂)) how many differences are < t and ≤ t, and drops the rows'
 * candidates on the side that cannot hold the answer; the pivot itself always goes, so it ends.
 * Expected O((n₁ + n₂)·log(n₁n₂)). The value returned is one of the computed differences, so it is
 * bit-identical to `sortedPairwiseDifferences(x, y)[rank − 1]` (apart from the sign of a zero,
 * which the caller rules out).
 */
function selectDifference(xs: Float64Array, yd: Float64Array, rank: number): number {
  const n1 = xs.length;
  const n2 = yd.length;
  // Candidates of row i are the columns lo[i] .. hi[i] − 1.
  const lo = new Int32Array(n1);
  const hi = new Int32Array(n1).fill(n2);
  const ltPos = new Int32Array(n1);
  const lePos = new Int32Array(n1);
  let below = 0; // differences dropped because they are smaller than the answer
  let remaining = n1 * n2;
  // Deterministic xorshift32: any pivot gives the same answer, this only spreads the work.
  let state = (0x9e3779b9 ^ rank) >>> 0 || 1;
  for (;;) {
    if (remaining <= GATHER_AT) {
      const rest = new Float64Array(remaining);
      let m = 0;
      for (let i = 0; i < n1; i++) {
        const xi = xs[i] as number;
        for (let j = lo[i] as number; j < (hi[i] as number); j++)
          rest[m++] = xi - (yd[j] as number);
      }
      rest.sort();
      return rest[rank - below - 1] as number;
    }
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    let r = state % remaining;
    let row = 0;
    while (r >= (hi[row] as number) - (lo[row] as number)) {
      r -= (hi[row] as number) - (lo[row] as number);
      row++;
    }
    const t = (xs[row] as number) - (yd[(lo[row] as number) + r] as number);
    // Staircase: in row i the differences < t are the columns before lt, those ≤ t before le;
    // both boundaries only move left as i grows. Every remaining candidate lies strictly between
    // the values dropped on either side, so the boundaries already lie within lo[i] .. hi[i].
    let lt = n2;
    let le = n2;
    let less = 0;
    let lessOrEqual = 0;
    for (let i = 0; i < n1; i++) {
      const xi = xs[i] as number;
      while (lt > 0 && xi - (yd[lt - 1] as number) >= t) lt--;
      while (le > 0 && xi - (yd[le - 1] as number) > t) le--;
      const l = lo[i] as number;
      const h = hi[i] as number;
      const a = lt < l ? l : lt > h ? h : lt;
      const b = le < l ? l : le > h ? h : le;
      ltPos[i] = a;
      lePos[i] = b;
      less += a - l;
      lessOrEqual += b - l;
    }
    if (rank <= below + less) {
      hi.set(ltPos);
      remaining = less;
    } else if (rank > below + lessOrEqual) {
      lo.set(lePos);
      below += lessOrEqual;
      remaining -= lessOrEqual;
    } else {
      return t;
    }
  }
}

/**
 * The order statistics D₍r₎ (1-based ranks) of the n₁·n₂ pairwise differences xᵢ − yⱼ, equal bit
 * for bit to indexing {@link sortedPairwiseDifferences}: small samples (and inputs holding −0,
 * where sorting orders −0 before +0) use the sorted differences, larger ones
 * {@link selectDifference}, which never builds the n₁·n₂ array.
 */
export function pairwiseDifferenceOrderStatistics(
  x: readonly number[],
  y: readonly number[],
  ranks: readonly number[],
): number[] {
  const nPairs = x.length * y.length;
  if (nPairs <= GATHER_AT || x.some((v) => Object.is(v, -0))) {
    const diffs = sortedPairwiseDifferences(x, y);
    return ranks.map((r) => diffs[r - 1] ?? Number.NaN);
  }
  const xs = Float64Array.from(x).sort();
  const yd = Float64Array.from(y).sort().reverse();
  return ranks.map((r) =>
    Number.isInteger(r) && r >= 1 && r <= nPairs ? selectDifference(xs, yd, r) : Number.NaN,
  );
}

/**
 * Hodges–Lehmann estimate of the location shift x − y with its confidence interval
 * (see the module comment for the method and its relation to R's `wilcox.test`).
 */
export function hodgesLehmann(
  x: readonly number[],
  y: readonly number[],
  options: HodgesLehmannOptions = {},
): HodgesLehmannResult {
  assertSample(x, "hodgesLehmann x");
  assertSample(y, "hodgesLehmann y");
  const level = options.level ?? 0.95;
  assertLevel(level, "hodgesLehmann");
  const n1 = x.length;
  const n2 = y.length;
  const nPairs = n1 * n2;
  const method = resolveMethod(options.method ?? "auto", n1, n2, hasTies(x, y));
  const alpha = 1 - level;
  // Ranks of the median (one, or the two middle ones) and of the interval's bounds.
  const mid = Math.floor(nPairs / 2);
  const medianRanks = nPairs % 2 === 1 ? [mid + 1] : [mid, mid + 1];
  const withEstimate = (
    lowerRank: number,
    upperRank: number,
  ): { estimate: number; lower: number; upper: number } => {
    const [lower, upper, m1, m2] = pairwiseDifferenceOrderStatistics(x, y, [
      lowerRank,
      upperRank,
      ...medianRanks,
    ]) as [number, number, number, number | undefined];
    const estimate = m2 === undefined ? m1 : (m1 + m2) / 2;
    return { estimate, lower, upper };
  };

  if (method === "exact") {
    let k = wilcoxonQuantile(alpha / 2, n1, n2);
    if (k === 0) k = 1;
    const upperRank = nPairs - k + 1;
    const achievedLevel = 1 - 2 * wilcoxonCdf(k - 1, n1, n2);
    return {
      ...withEstimate(k, upperRank),
      level,
      achievedLevel,
      method,
      lowerRank: k,
      upperRank,
    };
  }

  // Asymptotic: σ from the within-sample ties only (valid between jump points).
  const n = n1 + n2;
  let tieTerm = 0;
  for (const t of [...rankWithTies(x).tieSizes, ...rankWithTies(y).tieSizes]) {
    tieTerm += t * t * t - t;
  }
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const { lowerRank, upperRank } = asymptoticBoundRanks(nPairs, sigma, level);
  return {
    ...withEstimate(lowerRank, upperRank),
    level,
    achievedLevel: level,
    method,
    lowerRank,
    upperRank,
  };
}

/**
 * Ranks (1-based, among `count` sorted order statistics: pairwise differences or Walsh averages)
 * of the asymptotic interval's bounds. Just above the c-th order statistic the rank statistic is
 * count − c, so the continuity-corrected W(c) = (count/2 − c − ½·sign(·)) / σ; the lower bound is
 * the smallest c with W(c) ≤ z₁₋α/₂, the upper the smallest with W(c) ≤ −z₁₋α/₂ (clamped to
 * 1..count). W is non-increasing in c (its numerator steps down by whole and half units, and IEEE
 * division and subtraction are monotone; a NaN from σ = 0 sits between +∞ and −∞), so the
 * predicate is false up to some c and true from there: a binary search finds the same c as a scan
 * from 0.
 */
export function asymptoticBoundRanks(
  count: number,
  sigma: number,
  level: number,
): { lowerRank: number; upperRank: number } {
  const zq = normalQuantile(1 - (1 - level) / 2);
  const w = (c: number): number => {
    const dz = count - c - count / 2;
    return (dz - Math.sign(dz) * 0.5) / sigma;
  };
  const crossing = (target: number): number => {
    let low = 0;
    let high = count + 1; // "never true": the scan returns count
    while (low < high) {
      const c = (low + high) >>> 1;
      if (w(c) - target <= 0) high = c;
      else low = c + 1;
    }
    return low > count ? count : Math.max(1, low);
  };
  return { lowerRank: crossing(zq), upperRank: crossing(-zq) };
}

export interface RatioResult {
  /** exp(HL estimate of log x − log y): the typical ratio x / y (x slower than y → > 1). */
  readonly ratio: number;
  readonly lower: number;
  readonly upper: number;
  readonly level: number;
  readonly achievedLevel: number;
  readonly method: "exact" | "asymptotic";
  /** The underlying result on log scale. */
  readonly log: HodgesLehmannResult;
}

/**
 * Ratio of typical values x / y with its confidence interval: {@link hodgesLehmann} applied to
 * log(x) and log(y), transformed back with exp (the median of the pairwise ratios xᵢ/yⱼ and the
 * matching order statistics). All values must be positive.
 */
export function ratioFromLogs(
  x: readonly number[],
  y: readonly number[],
  options: HodgesLehmannOptions = {},
): RatioResult {
  for (const [name, values] of [
    ["x", x],
    ["y", y],
  ] as const) {
    for (const v of values) {
      if (!(v > 0) || !Number.isFinite(v)) {
        throw new RangeError(`ratioFromLogs ${name}: values must be positive and finite, got ${v}`);
      }
    }
  }
  const log = hodgesLehmann(x.map(Math.log), y.map(Math.log), options);
  return {
    ratio: Math.exp(log.estimate),
    lower: Math.exp(log.lower),
    upper: Math.exp(log.upper),
    level: log.level,
    achievedLevel: log.achievedLevel,
    method: log.method,
    log,
  };
}
