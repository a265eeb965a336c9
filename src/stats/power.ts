/**
 * Power of the gate's comparisons: the minimum detectable effect (MDE) of a measured cell.
 *
 * Method: the Hodges-Lehmann estimate of the log ratio (two-sample, or Walsh averages when
 * paired) is asymptotically normal, so its distribution-free CI at `level` is about
 * ± z_{(1+level)/2} standard errors wide. The smallest true log ratio a two-sided level-alpha
 * test detects with probability `power` is then (z_{1-alpha/2} + z_{power}) standard errors: the
 * normal-approximation power formula (R's pwr.norm.test, G*Power's z tests). Reading the standard
 * error off the CI the verdict itself uses makes the MDE paired or independent exactly as the
 * test was, and lets it carry the rank method's own small-sample width.
 *
 * @module
 */

import { normalQuantile } from "./special.js";

/** z_{1-alpha/2} + z_{power}: detectable effect in standard errors (2.8016 at 0.05 and 80%). */
export function detectableStandardErrors(alpha: number, power = 0.8): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  if (!(power > 0 && power < 1)) throw new RangeError(`power must be in (0, 1), got ${power}`);
  return normalQuantile(1 - alpha / 2) + normalQuantile(power);
}

/**
 * The MDE on the log scale of a ratio whose CI at `level` is [lower, upper] (ratios, > 0): the
 * CI's half-width in standard errors, times {@link detectableStandardErrors}. Infinity when the
 * interval is unbounded; 0 when it is a point.
 */
export function minimumDetectableLogRatio(
  lower: number,
  upper: number,
  level: number,
  alpha: number,
  power = 0.8,
): number {
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  if (!(lower > 0 && upper >= lower)) return Number.POSITIVE_INFINITY;
  const halfWidth = (Math.log(upper) - Math.log(lower)) / 2;
  if (!Number.isFinite(halfWidth)) return Number.POSITIVE_INFINITY;
  const standardError = halfWidth / normalQuantile((1 + level) / 2);
  return standardError * detectableStandardErrors(alpha, power);
}

/**
 * The MDE as a relative change (0.07 = 7%): e^{MDE_log} - 1, the same log-symmetric scale as the
 * gate's threshold (a regression beyond 1 + t, an improvement beyond 1 / (1 + t)).
 */
export function minimumDetectableChange(
  lower: number,
  upper: number,
  level: number,
  alpha: number,
  power = 0.8,
): number {
  return Math.expm1(minimumDetectableLogRatio(lower, upper, level, alpha, power));
}
