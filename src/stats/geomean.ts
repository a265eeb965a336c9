/**
 * Geometric mean of ratios (e.g. one allocator's per-workload time ratios against a baseline)
 * with a Student t confidence interval computed on log scale.
 *
 * With lᵢ = log rᵢ, mean l̄ and sample standard deviation s (n − 1 denominator), the geometric
 * mean is exp(l̄) and the interval is exp(l̄ ± t₍₁₋α/₂, n−1₎ · s/√n) (the usual one-sample t
 * interval for the mean of the logs, back-transformed; e.g. Fleming & Wallace 1986, CACM
 * 29:218–221 for geometric means of benchmark ratios). The t quantile is
 * {@link studentTQuantile}.
 *
 * @module
 */

import { mean, sampleStandardDeviation } from "simple-statistics";
import { assertLevel } from "./ranks.js";
import { studentTQuantile } from "./special.js";

export interface GeometricMeanRatio {
  readonly geomean: number;
  /** Null when n < 2 (no spread to estimate). */
  readonly lower: number | null;
  readonly upper: number | null;
  readonly n: number;
  readonly level: number;
}

/**
 * Geometric mean of `ratios` with a t interval on the log ratios (see the module comment).
 * Throws a RangeError if `ratios` is empty or holds a value that is not positive and finite.
 */
export function geometricMeanRatio(ratios: readonly number[], level = 0.95): GeometricMeanRatio {
  assertLevel(level, "geometricMeanRatio");
  if (ratios.length === 0) throw new RangeError("geometricMeanRatio: no ratios");
  for (const r of ratios) {
    if (!(r > 0) || !Number.isFinite(r)) {
      throw new RangeError(`geometricMeanRatio: ratios must be positive and finite, got ${r}`);
    }
  }
  const logs = ratios.map(Math.log);
  const n = logs.length;
  const logMean = mean(logs);
  const geomean = Math.exp(logMean);
  if (n < 2) return { geomean, lower: null, upper: null, n, level };
  const halfWidth =
    (studentTQuantile(1 - (1 - level) / 2, n - 1) * sampleStandardDeviation(logs)) / Math.sqrt(n);
  return {
    geomean,
    lower: Math.exp(logMean - halfWidth),
    upper: Math.exp(logMean + halfWidth),
    n,
    level,
  };
}
