/**
 * Comparing separate invocations: each invocation's median log value is one observation, and the
 * candidate's invocations are compared with the baseline's by Student's two-sample t test with
 * pooled variance (scipy.stats.ttest_ind with equal_var=True; R's t.test(var.equal = TRUE)).
 *
 * Why: runs of one invocation share its state (host neighbours, frequency, placement), so they
 * are not independent draws around the true value; only invocations are. Modelling a run as
 * log x_ij = μ + b_i + e_ij (b_i the invocation's offset, variance σ_b²; e_ij the run's, σ_e²),
 * the median of invocation i varies by σ_b² + σ_e²/n around μ, and the spread of the baseline's
 * invocation medians estimates exactly that: the two-stage (summary statistics) estimate of the
 * random-effects model, valid when invocations measure similar run counts. More runs per
 * invocation shrink only σ_e²/n, so they no longer buy false alarms.
 *
 * The model also bounds the estimate from below: an invocation's median varies at least by its
 * own sampling variance σ_e²/n (σ_b² ≥ 0), which the runs inside each invocation estimate with
 * far more degrees of freedom than a handful of invocation medians. A few baseline invocations
 * that agree by chance would otherwise make the test see drift as a change, so the spread used
 * is the larger of the two (the non-negative ANOVA estimate of a one-way random-effects model).
 *
 * @module
 */

import { describe } from "./descriptive.js";
import { studentTCdf, studentTQuantile } from "./special.js";

export interface InvocationTest {
  /** Mean candidate invocation log value minus mean baseline invocation log value. */
  estimate: number;
  /** CI of `estimate` at the requested level. */
  lower: number;
  upper: number;
  /** Two-sided p-value of the t statistic. */
  p: number;
  df: number;
  /** Standard error of `estimate`: s_pooled · √(1/k + 1/m). */
  standardError: number;
  /** Standard deviation of one invocation's value used: the pooled one, or the floor if larger. */
  spread: number;
  /** The pooled standard deviation of the invocations' values alone (SciPy's). */
  pooledSpread: number;
  /** True when `floor` exceeded the pooled spread and was used instead. */
  floored: boolean;
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

function sumSquares(xs: readonly number[], m: number): number {
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return s;
}

/**
 * Student's two-sample t test with pooled variance of `x` (candidate invocations) against `y`
 * (baseline invocations), and the CI of the difference of means at `level`. Needs
 * x.length + y.length ≥ 3 (one degree of freedom) and both non-empty. `floor` (default 0) is the
 * smallest standard deviation of one invocation's value to use: with 0 the test is SciPy's
 * `ttest_ind(equal_var=True)`; a larger pooled spread is used as it is.
 */
export function pooledTTest(
  x: readonly number[],
  y: readonly number[],
  level = 0.95,
  floor = 0,
): InvocationTest {
  const df = x.length + y.length - 2;
  if (x.length === 0 || y.length === 0 || df < 1)
    throw new RangeError(
      `pooledTTest needs both sides and at least 3 values, got ${x.length} and ${y.length}`,
    );
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  const mx = mean(x);
  const my = mean(y);
  const estimate = mx - my;
  if (!(floor >= 0 && Number.isFinite(floor)))
    throw new RangeError(`floor must be a finite number >= 0, got ${floor}`);
  const pooledSpread = Math.sqrt((sumSquares(x, mx) + sumSquares(y, my)) / df);
  const floored = floor > pooledSpread;
  const spread = floored ? floor : pooledSpread;
  const standardError = spread * Math.sqrt(1 / x.length + 1 / y.length);
  const common = { estimate, df, standardError, spread, pooledSpread, floored };
  if (standardError === 0) {
    // Every invocation measured the same: no spread, the difference is exact.
    return { ...common, lower: estimate, upper: estimate, p: estimate === 0 ? 1 : 0 };
  }
  const t = estimate / standardError;
  const p = Math.min(1, 2 * studentTCdf(-Math.abs(t), df));
  const half = studentTQuantile((1 + level) / 2, df) * standardError;
  return { ...common, lower: estimate - half, upper: estimate + half, p };
}

/**
 * Sampling variance of the median of `values` from their own spread: π·σ²/(2n), the median's
 * asymptotic variance for normal data, with σ = 1.4826·MAD (robust to a minority of runs in
 * another regime). null for fewer than 2 values (unknown, not 0). Feeds the floor of
 * {@link pooledTTest}.
 */
export function medianSamplingVariance(values: readonly number[]): number | null {
  const n = values.length;
  if (n < 2) return null;
  const sigma = describe(values).madScaled;
  return (Math.PI * sigma * sigma) / (2 * n);
}

/**
 * Standard errors a two-sided level-alpha t test with `df` degrees of freedom needs to detect an
 * effect with probability about `power`: t_{df,1−α/2} + t_{df,power} (the t-quantile form of the
 * normal power formula; the noncentral t gives the exact power, see the tests).
 */
export function tDetectableStandardErrors(alpha: number, df: number, power = 0.8): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  if (!(power > 0 && power < 1)) throw new RangeError(`power must be in (0, 1), got ${power}`);
  return studentTQuantile(1 - alpha / 2, df) + studentTQuantile(power, df);
}
