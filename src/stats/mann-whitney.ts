/**
 * Two-sided Mann–Whitney U test (Wilcoxon rank-sum test) for two independent samples.
 *
 * Conventions follow SciPy's `scipy.stats.mannwhitneyu(x, y, alternative="two-sided")`:
 *
 * - `u` is U of the first sample: U₁ = R₁ − n₁(n₁+1)/2, with R₁ the sum of the (mid-)ranks of `x`
 *   in the pooled sample. U₁ counts the pairs (xᵢ, yⱼ) with xᵢ > yⱼ, ties counting ½, so
 *   U(x, y) + U(y, x) = n₁·n₂. (R's `wilcox.test` reports the same number as `W`.)
 * - The p-value uses U = max(U₁, U₂): p = min(1, 2·P(U' ≥ U)).
 * - **Exact**: P(U' ≥ U) from the exact null distribution of U without ties
 *   (see {@link wilcoxonCounts}); equals `mannwhitneyu(..., method="exact")`.
 * - **Asymptotic**: normal approximation with mean n₁n₂/2, tie-corrected variance
 *   σ² = n₁n₂/12 · ((n+1) − Σ(t³ − t)/(n(n−1))) (t = tie-group sizes, n = n₁+n₂) and continuity
 *   correction z = (U − n₁n₂/2 − ½)/σ, p = min(1, 2·(1 − Φ(z))); equals
 *   `mannwhitneyu(..., method="asymptotic", use_continuity=True)` and R's
 *   `wilcox.test(x, y, exact = FALSE, correct = TRUE)`.
 * - **auto** (default): exact when there are no ties in the pooled sample and n₁ ≤ 50 and
 *   n₂ ≤ 50 ({@link EXACT_MAX_N}), asymptotic otherwise. (This differs from SciPy's own "auto",
 *   which goes exact only when one sample has ≤ 8 values, and from R's default, which goes exact
 *   for n₁ < 50 and n₂ < 50; the exact computation is cheap at these sizes.)
 *
 * Reference: Mann & Whitney (1947), Ann. Math. Statist. 18(1):50–60; Hollander, Wolfe & Chicken,
 * "Nonparametric Statistical Methods", 3rd ed., §4.1.
 *
 * @module
 */

import { normalSf } from "./special.js";
import { assertSample, rankWithTies } from "./ranks.js";
import { binomialCoefficient, bigRatio, wilcoxonSf } from "./wilcoxon-distribution.js";

/** Which null distribution to use; "auto" picks as documented in the module comment. */
export type MannWhitneyMethod = "auto" | "exact" | "asymptotic";

/** Largest per-group sample size for which "auto" uses the exact distribution. */
export const EXACT_MAX_N = 50;

export interface MannWhitneyOptions {
  /** Default "auto". "exact" throws a RangeError when the pooled sample has ties. */
  readonly method?: MannWhitneyMethod;
}

export interface MannWhitneyResult {
  /** U of `x` (SciPy convention): R₁ − n₁(n₁+1)/2. */
  readonly u: number;
  /** Two-sided p-value, in [0, 1]. */
  readonly p: number;
  /** The method actually used. */
  readonly method: "exact" | "asymptotic";
  /** Whether the pooled sample contains tied values. */
  readonly ties: boolean;
  readonly n1: number;
  readonly n2: number;
  /** The continuity-corrected z of the asymptotic method (null for exact). */
  readonly z: number | null;
}

/** True when the pooled sample of x and y contains at least two equal values. */
export function hasTies(x: readonly number[], y: readonly number[]): boolean {
  const pooled = [...x, ...y].sort((a, b) => a - b);
  for (let i = 1; i < pooled.length; i++) if (pooled[i] === pooled[i - 1]) return true;
  return false;
}

/** Chooses the method "auto" resolves to for samples of these sizes. */
export function resolveMethod(
  method: MannWhitneyMethod,
  n1: number,
  n2: number,
  ties: boolean,
): "exact" | "asymptotic" {
  if (method === "exact") {
    if (ties) throw new RangeError("Mann-Whitney: the exact method is not available with ties");
    return "exact";
  }
  if (method === "asymptotic") return "asymptotic";
  return !ties && n1 <= EXACT_MAX_N && n2 <= EXACT_MAX_N ? "exact" : "asymptotic";
}

/**
 * Two-sided Mann–Whitney U test of x against y (see the module comment for conventions).
 * Throws a RangeError for an empty sample or non-finite values.
 */
export function mannWhitney(
  x: readonly number[],
  y: readonly number[],
  options: MannWhitneyOptions = {},
): MannWhitneyResult {
  assertSample(x, "mannWhitney x");
  assertSample(y, "mannWhitney y");
  const n1 = x.length;
  const n2 = y.length;
  const { ranks, tieSizes } = rankWithTies([...x, ...y]);
  let r1 = 0;
  for (let i = 0; i < n1; i++) r1 += ranks[i] ?? 0;
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const uMax = Math.max(u1, u2);
  const ties = tieSizes.length > 0;
  const method = resolveMethod(options.method ?? "auto", n1, n2, ties);

  if (method === "exact") {
    const p = Math.min(1, 2 * wilcoxonSf(uMax, n1, n2));
    return { u: u1, p, method, ties, n1, n2, z: null };
  }

  const n = n1 + n2;
  const mu = (n1 * n2) / 2;
  let tieTerm = 0;
  for (const t of tieSizes) tieTerm += t * t * t - t;
  const s = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  if (!(s > 0)) {
    // Every observation is tied: no evidence of a shift.
    return { u: u1, p: 1, method, ties, n1, n2, z: null };
  }
  const z = (uMax - mu - 0.5) / s;
  const p = Math.min(1, Math.max(0, 2 * normalSf(z)));
  return { u: u1, p, method, ties, n1, n2, z };
}

/**
 * The smallest two-sided p-value the exact test can produce for sizes n₁, n₂: 2 / C(n₁+n₂, n₁)
 * (both samples completely separated), capped at 1. If this is not below α, no data can reach
 * significance at level α.
 */
export function minimumPossibleP(n1: number, n2: number): number {
  if (!Number.isInteger(n1) || !Number.isInteger(n2) || n1 < 0 || n2 < 0) {
    throw new RangeError(`minimumPossibleP: sizes must be non-negative integers, got ${n1}, ${n2}`);
  }
  // A report asks for the same few sizes thousands of times; the BigInt coefficient is not free.
  const key = `${n1},${n2}`;
  let p = minimumPCache.get(key);
  if (p === undefined) {
    p = Math.min(1, bigRatio(2n, binomialCoefficient(n1 + n2, n1)));
    if (minimumPCache.size >= MINIMUM_P_CACHE_LIMIT) minimumPCache.clear();
    minimumPCache.set(key, p);
  }
  return p;
}

const MINIMUM_P_CACHE_LIMIT = 10_000;
const minimumPCache = new Map<string, number>();

/**
 * The smallest n such that two groups of n runs each can give a two-sided exact p below α,
 * i.e. min{n : 2 / C(2n, n) < α} (α = 0.05 → 4, α = 0.01 → 5, α = 0.001 → 7).
 */
export function runsNeeded(alpha: number): number {
  if (!(alpha > 0 && alpha <= 1)) {
    throw new RangeError(`runsNeeded: alpha must be in (0, 1], got ${alpha}`);
  }
  let n = 1;
  while (minimumPossibleP(n, n) >= alpha) n++;
  return n;
}
