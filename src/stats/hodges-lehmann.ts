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

function medianOfSorted(sorted: Float64Array): number {
  const n = sorted.length;
  const mid = Math.floor(n / 2);
  if (n % 2 === 1) return sorted[mid] ?? Number.NaN;
  return ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
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
  const diffs = sortedPairwiseDifferences(x, y);
  const estimate = medianOfSorted(diffs);
  const alpha = 1 - level;
  const at = (rank: number): number => diffs[rank - 1] ?? Number.NaN;

  if (method === "exact") {
    let k = wilcoxonQuantile(alpha / 2, n1, n2);
    if (k === 0) k = 1;
    const upperRank = nPairs - k + 1;
    const achievedLevel = 1 - 2 * wilcoxonCdf(k - 1, n1, n2);
    return {
      estimate,
      lower: at(k),
      upper: at(upperRank),
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
  const zq = normalQuantile(1 - alpha / 2);
  // W for d just above D_(c) (c differences ≤ d), continuity-corrected as in R (two-sided).
  const w = (c: number): number => {
    const dz = nPairs - c - nPairs / 2;
    return (dz - Math.sign(dz) * 0.5) / sigma;
  };
  const crossing = (target: number): number => {
    for (let c = 0; c <= nPairs; c++) {
      if (w(c) - target <= 0) return Math.max(1, c);
    }
    return nPairs;
  };
  const lowerRank = crossing(zq);
  const upperRank = crossing(-zq);
  return {
    estimate,
    lower: at(lowerRank),
    upper: at(upperRank),
    level,
    achievedLevel: level,
    method,
    lowerRank,
    upperRank,
  };
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
