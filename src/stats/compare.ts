/**
 * Comparison of a candidate's per-run measurements against a baseline's, in three steps:
 *
 * 1. **Compute** — {@link compareSamples}(candidate, baseline) runs the two-sided Mann–Whitney
 *    U test ({@link mannWhitney}) and the Hodges–Lehmann ratio with its confidence interval
 *    ({@link ratioFromLogs}: typical candidate / baseline, > 1 means the candidate measured
 *    higher, i.e. slower for time-like metrics). Both are computed on log values, which leaves the
 *    rank test unchanged (log is monotone) and keeps the method choice (exact/asymptotic)
 *    identical for the test and the interval. The returned verdict is provisional: it treats the
 *    raw p as if this were the only comparison. When no data could reach significance — the
 *    smallest possible exact p, 2/C(n₁+n₂, n₁) ({@link minimumPossibleP}), is not below α — the
 *    result is `{ verdict: "too-few-runs", runsNeeded }` instead, with `runsNeeded` the per-group
 *    count that would suffice ({@link runsNeeded}).
 * 2. **Adjust** — collect the raw `p` of every measured comparison in a report and adjust them
 *    together with {@link benjaminiHochberg} (too-few-runs results take no part).
 * 3. **Decide** — {@link decide}(comparison, adjustedP) sets the final verdict: "slower" when
 *    adjustedP < α and the whole ratio interval lies above 1 + threshold, "faster" when
 *    adjustedP < α and it lies below 1 − threshold, otherwise "no-difference" (threshold 0 when
 *    not given: the interval must exclude 1). {@link adjustAndDecide} does steps 2–3 for a list.
 *
 * Requiring both the (adjusted) test and the interval guards against the two disagreeing near
 * the boundary (they use different levels once p is adjusted) and lets a practical-significance
 * threshold suppress statistically real but negligible differences.
 *
 * @module
 */

import { ratioFromLogs } from "./hodges-lehmann.js";
import {
  mannWhitney,
  minimumPossibleP,
  runsNeeded as runsNeededFor,
  type MannWhitneyMethod,
} from "./mann-whitney.js";
import { benjaminiHochberg } from "./multiple.js";
import { assertLevel } from "./ranks.js";

export type Verdict = "slower" | "faster" | "no-difference";

export interface CompareOptions {
  /** Significance level for the (adjusted) p-value, default 0.05. */
  readonly alpha?: number;
  /** Confidence level of the ratio interval, default 0.95. */
  readonly level?: number;
  /** Relative practical-significance threshold (0.05 = 5 %), default 0. */
  readonly threshold?: number;
  /** Method for the U test and the interval, default "auto". */
  readonly method?: MannWhitneyMethod;
}

export interface TooFewRuns {
  readonly verdict: "too-few-runs";
  readonly nCandidate: number;
  readonly nBaseline: number;
  /** Runs per group needed for any result to be significant at `alpha`. */
  readonly runsNeeded: number;
  readonly alpha: number;
  readonly reason: string;
}

export interface MeasuredComparison {
  /** Provisional (raw p) after {@link compareSamples}; final after {@link decide}. */
  readonly verdict: Verdict;
  readonly nCandidate: number;
  readonly nBaseline: number;
  /** Hodges–Lehmann ratio candidate / baseline and its confidence interval. */
  readonly ratio: number;
  readonly lower: number;
  readonly upper: number;
  readonly level: number;
  readonly achievedLevel: number;
  /** Raw two-sided Mann–Whitney p-value. */
  readonly p: number;
  /** The p-value the verdict was based on (equals `p` until {@link decide} supplies another). */
  readonly pAdjusted: number;
  /** Mann–Whitney U of the candidate sample. */
  readonly u: number;
  readonly method: "exact" | "asymptotic";
  readonly ties: boolean;
  readonly alpha: number;
  readonly threshold: number;
}

export type Comparison = TooFewRuns | MeasuredComparison;

function assertAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
}

function assertThreshold(threshold: number): void {
  if (!(threshold >= 0 && threshold < 1)) {
    throw new RangeError(`threshold must be in [0, 1), got ${threshold}`);
  }
}

/**
 * The verdict rule of {@link decide}: "slower" if p < alpha and lower > 1 + threshold,
 * "faster" if p < alpha and upper < 1 − threshold, else "no-difference".
 */
export function verdictFor(
  p: number,
  lower: number,
  upper: number,
  alpha: number,
  threshold = 0,
): Verdict {
  if (!(p < alpha)) return "no-difference";
  if (lower > 1 + threshold) return "slower";
  if (upper < 1 - threshold) return "faster";
  return "no-difference";
}

/**
 * Step 1: compare `candidate` against `baseline` (positive per-run values, e.g. times).
 * See the module comment. Throws a RangeError for non-positive or non-finite values.
 */
export function compareSamples(
  candidate: readonly number[],
  baseline: readonly number[],
  options: CompareOptions = {},
): Comparison {
  const alpha = options.alpha ?? 0.05;
  const level = options.level ?? 0.95;
  const threshold = options.threshold ?? 0;
  assertAlpha(alpha);
  assertLevel(level, "compareSamples");
  assertThreshold(threshold);
  for (const v of [...candidate, ...baseline]) {
    if (!(v > 0) || !Number.isFinite(v)) {
      throw new RangeError(`compareSamples: values must be positive and finite, got ${v}`);
    }
  }
  const nCandidate = candidate.length;
  const nBaseline = baseline.length;
  if (minimumPossibleP(nCandidate, nBaseline) >= alpha) {
    const needed = runsNeededFor(alpha);
    return {
      verdict: "too-few-runs",
      nCandidate,
      nBaseline,
      runsNeeded: needed,
      alpha,
      reason:
        `too few runs: need ${needed} per group (have ${nCandidate} candidate, ` +
        `${nBaseline} baseline); no result could reach p < ${alpha}`,
    };
  }
  const logCandidate = candidate.map(Math.log);
  const logBaseline = baseline.map(Math.log);
  const test = mannWhitney(logCandidate, logBaseline, { method: options.method ?? "auto" });
  const r = ratioFromLogs(candidate, baseline, { level, method: test.method });
  return {
    verdict: verdictFor(test.p, r.lower, r.upper, alpha, threshold),
    nCandidate,
    nBaseline,
    ratio: r.ratio,
    lower: r.lower,
    upper: r.upper,
    level,
    achievedLevel: r.achievedLevel,
    p: test.p,
    pAdjusted: test.p,
    u: test.u,
    method: test.method,
    ties: test.ties,
    alpha,
    threshold,
  };
}

/**
 * Step 3: the final verdict of one comparison given its multiplicity-adjusted p-value
 * (from {@link benjaminiHochberg} over all comparisons of a report). `alpha` and `threshold`
 * default to the ones the comparison was computed with. Too-few-runs results are returned as is.
 */
export function decide(
  comparison: MeasuredComparison,
  adjustedP: number,
  alpha?: number,
  threshold?: number,
): MeasuredComparison;
export function decide(
  comparison: Comparison,
  adjustedP: number,
  alpha?: number,
  threshold?: number,
): Comparison;
export function decide(
  comparison: Comparison,
  adjustedP: number,
  alpha?: number,
  threshold?: number,
): Comparison {
  if (comparison.verdict === "too-few-runs") return comparison;
  const a = alpha ?? comparison.alpha;
  const t = threshold ?? comparison.threshold;
  assertAlpha(a);
  assertThreshold(t);
  if (!(adjustedP >= comparison.p && adjustedP <= 1)) {
    throw new RangeError(
      `decide: adjusted p (${adjustedP}) must lie in [raw p (${comparison.p}), 1]`,
    );
  }
  return {
    ...comparison,
    verdict: verdictFor(adjustedP, comparison.lower, comparison.upper, a, t),
    pAdjusted: adjustedP,
    alpha: a,
    threshold: t,
  };
}

/**
 * Steps 2–3 for a whole report: adjusts the raw p-values of all measured comparisons together
 * (Benjamini–Hochberg; too-few-runs entries excluded from the family) and decides each with its
 * own alpha and threshold. Returns a new array in the same order.
 */
export function adjustAndDecide(comparisons: readonly Comparison[]): Comparison[] {
  const pValues = comparisons.map((c) => (c.verdict === "too-few-runs" ? Number.NaN : c.p));
  const adjusted = benjaminiHochberg(pValues);
  return comparisons.map((c, i) => decide(c, adjusted[i] ?? Number.NaN));
}
