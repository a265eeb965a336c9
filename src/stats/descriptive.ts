/**
 * Descriptive statistics of one sample of per-run measurements.
 *
 * - Quartiles `q1`, `q3` use the linear-interpolation definition **type 7** of Hyndman & Fan
 *   (1996, Am. Stat. 50:361–365): Q(p) = x₍⌊h⌋₊₁₎ + (h − ⌊h⌋)(x₍⌊h⌋₊₂₎ − x₍⌊h⌋₊₁₎), h = (n − 1)p, with
 *   x₍ᵢ₎ the sorted sample — R's `quantile()` default and NumPy's `percentile` default ("linear").
 *   (Computed with simple-statistics' `quantileSorted`, which implements type 7.)
 * - `sd` is the sample standard deviation (n − 1 denominator); `cv` = sd / mean.
 *   Both are NaN when n < 2.
 * - `mad` is the raw median absolute deviation median(|xᵢ − median|); `madScaled` = 1.4826·mad,
 *   the consistent estimator of σ for normal data (R's `mad()` default).
 * - `outliers` lists the indices i whose modified z-score |0.6745·(xᵢ − median)/mad| exceeds 3.5
 *   (Iglewicz & Hoaglin 1993, "How to Detect and Handle Outliers", ASQC, §3.3); none when
 *   mad = 0.
 * - `medianCi` is the distribution-free confidence interval for the median from order
 *   statistics: [x₍k₎, x₍n+1−k₎] covers the population median with probability
 *   1 − 2·P(B ≤ k − 1), B ~ Binomial(n, ½) (for continuous data). The largest k (narrowest
 *   symmetric interval) whose coverage is ≥ `level` is chosen and that coverage is reported as
 *   `achievedLevel` (Conover 1999, "Practical Nonparametric Statistics", §3.2; Hollander, Wolfe &
 *   Chicken §3.6). It is null when even [x₍₁₎, x₍ₙ₎] (coverage 1 − 2¹⁻ⁿ) falls short, i.e. when
 *   n < {@link minRunsForMedianCi}(level) (6 for 95 %).
 *
 * @module
 */

import { mean, quantileSorted, sampleStandardDeviation } from "simple-statistics";
import { binomialHalfCdf, binomialHalfPmf } from "./special.js";
import { assertLevel, assertSample } from "./ranks.js";

/** Modified z-score cut-off of Iglewicz & Hoaglin. */
export const OUTLIER_Z = 3.5;
/** 0.6745 ≈ Φ⁻¹(0.75), the factor of the modified z-score. */
export const MODIFIED_Z_FACTOR = 0.6745;
/** 1.4826 ≈ 1/Φ⁻¹(0.75), scales the MAD to estimate σ for normal data. */
export const MAD_SCALE = 1.4826;

/** Relative slack when comparing a coverage probability with the requested level. */
const LEVEL_SLACK = 1e-12;

export interface MedianCi {
  readonly lower: number;
  readonly upper: number;
  /** The requested level. */
  readonly level: number;
  /** Exact coverage 1 − 2·P(B ≤ k − 1) of the chosen order statistics (≥ level). */
  readonly achievedLevel: number;
  /** 1-based ranks k and n + 1 − k of the order statistics used. */
  readonly lowerRank: number;
  readonly upperRank: number;
}

export interface Description {
  readonly n: number;
  readonly median: number;
  readonly mean: number;
  readonly sd: number;
  readonly cv: number;
  readonly min: number;
  readonly max: number;
  readonly q1: number;
  readonly q3: number;
  readonly mad: number;
  readonly madScaled: number;
  readonly outliers: number[];
  readonly medianCi: MedianCi | null;
}

export interface DescribeOptions {
  /** Confidence level of `medianCi`, default 0.95. */
  readonly level?: number;
}

/** Coverage of [x₍k₎, x₍n+1−k₎] for the median: 1 − 2·P(B ≤ k − 1), B ~ Binomial(n, ½). */
export function medianCiCoverage(n: number, k: number): number {
  return 1 - 2 * binomialHalfCdf(k - 1, n);
}

/**
 * The rank k of the narrowest symmetric pair [x₍k₎, x₍n+1−k₎] whose coverage is ≥ level, or
 * null if no pair reaches it.
 */
export function medianCiRank(n: number, level: number): number | null {
  assertLevel(level, "medianCiRank");
  if (!Number.isInteger(n) || n < 2) return null;
  // Coverage decreases in k; accumulate P(B ≤ k − 1) once instead of calling the CDF per k.
  const pmf = binomialHalfPmf(n);
  let best: number | null = null;
  let cdf = pmf[0] ?? 0; // P(B ≤ k − 1)
  for (let k = 1; 2 * k <= n; k++) {
    if (1 - 2 * cdf >= level * (1 - LEVEL_SLACK)) best = k;
    else break;
    cdf += pmf[k] ?? 0;
  }
  return best;
}

/**
 * Smallest sample size for which a distribution-free median CI at `level` exists:
 * min{n : 1 − 2¹⁻ⁿ ≥ level} (6 for 0.95, 8 for 0.99).
 */
export function minRunsForMedianCi(level = 0.95): number {
  assertLevel(level, "minRunsForMedianCi");
  let n = 2;
  while (medianCiRank(n, level) === null) n++;
  return n;
}

/** The distribution-free CI of the median from the ascending `sorted` sample (module comment). */
function medianCiOf(sorted: ArrayLike<number>, level: number): MedianCi | null {
  const n = sorted.length;
  const k = medianCiRank(n, level);
  return k === null
    ? null
    : {
        lower: sorted[k - 1] ?? Number.NaN,
        upper: sorted[n - k] ?? Number.NaN,
        level,
        achievedLevel: medianCiCoverage(n, k),
        lowerRank: k,
        upperRank: n + 1 - k,
      };
}

/** The fields of {@link describe} that locate a sample: its size, median (with CI) and spread. */
export type CentreDescription = Pick<
  Description,
  "n" | "median" | "mean" | "sd" | "cv" | "medianCi"
>;

/**
 * The same `n`, `median`, `mean`, `sd`, `cv` and `medianCi` as {@link describe} (the same
 * computations), without the quartiles, the MAD and the outliers, for callers that need only
 * these (one comparison row per cell). The median and the CI agree up to the sign of a zero.
 */
export function describeCentre(
  values: readonly number[],
  options: DescribeOptions = {},
): CentreDescription {
  assertSample(values, "describe");
  const level = options.level ?? 0.95;
  assertLevel(level, "describe");
  const n = values.length;
  const sorted = new Float64Array(n);
  for (let i = 0; i < n; i++) sorted[i] = values[i] as number;
  sorted.sort();
  const m = mean(values as number[]);
  const sd = n >= 2 ? sampleStandardDeviation(values as number[]) : Number.NaN;
  return {
    n,
    median: quantileSorted(sorted as unknown as number[], 0.5),
    mean: m,
    sd,
    cv: sd / m,
    medianCi: medianCiOf(sorted, level),
  };
}

/**
 * Descriptive statistics of `values` (see the module comment for every definition).
 * Throws a RangeError when `values` is empty or contains non-finite numbers.
 */
export function describe(values: readonly number[], options: DescribeOptions = {}): Description {
  assertSample(values, "describe");
  const level = options.level ?? 0.95;
  assertLevel(level, "describe");
  const n = values.length;
  const sorted = [...values].sort((a, b) => a - b);
  const median = quantileSorted(sorted, 0.5);
  const m = mean([...values]);
  const sd = n >= 2 ? sampleStandardDeviation([...values]) : Number.NaN;
  const deviations = values.map((v) => Math.abs(v - median)).sort((a, b) => a - b);
  const mad = quantileSorted(deviations, 0.5);
  const outliers: number[] = [];
  if (mad > 0) {
    values.forEach((v, i) => {
      if (Math.abs((MODIFIED_Z_FACTOR * (v - median)) / mad) > OUTLIER_Z) outliers.push(i);
    });
  }
  const medianCi = medianCiOf(sorted, level);
  return {
    n,
    median,
    mean: m,
    sd,
    cv: sd / m,
    min: sorted[0] ?? Number.NaN,
    max: sorted[n - 1] ?? Number.NaN,
    q1: quantileSorted(sorted, 0.25),
    q3: quantileSorted(sorted, 0.75),
    mad,
    madScaled: MAD_SCALE * mad,
    outliers,
    medianCi,
  };
}
