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
 * @module
 */

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
  /** Pooled standard deviation of one invocation's value. */
  spread: number;
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
 * x.length + y.length ≥ 3 (one degree of freedom) and both non-empty.
 */
export function pooledTTest(
  x: readonly number[],
  y: readonly number[],
  level = 0.95,
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
  const spread = Math.sqrt((sumSquares(x, mx) + sumSquares(y, my)) / df);
  const standardError = spread * Math.sqrt(1 / x.length + 1 / y.length);
  if (standardError === 0) {
    // Every invocation measured the same: no spread, the difference is exact.
    return {
      estimate,
      lower: estimate,
      upper: estimate,
      p: estimate === 0 ? 1 : 0,
      df,
      standardError,
      spread,
    };
  }
  const t = estimate / standardError;
  const p = Math.min(1, 2 * studentTCdf(-Math.abs(t), df));
  const half = studentTQuantile((1 + level) / 2, df) * standardError;
  return { estimate, lower: estimate - half, upper: estimate + half, p, df, standardError, spread };
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
