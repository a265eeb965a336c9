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

import { assertLevel, assertSample } from "./ranks.js";
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

/** What the test and the interval need of the differences, from one ascending sort of them. */
interface SignedRanks {
  /** R's V: the sum of the mid-ranks of |d| over the positive d (zeros dropped). */
  readonly v: number;
  /** Non-zero differences. */
  readonly n: number;
  readonly zeros: number;
  /** Σ(t³ − t) over the tie groups of the non-zero |d|. */
  readonly tieTerm: number;
  /** Whether two non-zero |d| are equal. */
  readonly ties: boolean;
}

/**
 * V and the ties of |d| from the differences sorted ascending (finite): the negatives read
 * backwards and the positives forwards are each |d| ascending, and merging them ranks |d|
 * (the mid-ranks of `rankWithTies`) without sorting again. V is a sum of half-integers far below
 * 2⁵³, so it is exact in any order.
 */
function signedRanks(s: Float64Array): SignedRanks {
  const total = s.length;
  let zeroStart = 0;
  while (zeroStart < total && (s[zeroStart] as number) < 0) zeroStart++;
  let zeroEnd = zeroStart;
  while (zeroEnd < total && s[zeroEnd] === 0) zeroEnd++;
  let neg = zeroStart - 1; // next negative, |d| ascending as it moves down
  let pos = zeroEnd; // next positive
  let start = 0; // 0-based rank of the group's first |d|
  let v = 0;
  let tieTerm = 0;
  let ties = false;
  while (neg >= 0 || pos < total) {
    const a = neg >= 0 ? -(s[neg] as number) : Number.POSITIVE_INFINITY;
    const b = pos < total ? (s[pos] as number) : Number.POSITIVE_INFINITY;
    const value = a < b ? a : b;
    let negatives = 0;
    while (neg >= 0 && -(s[neg] as number) === value) {
      neg--;
      negatives++;
    }
    let positives = 0;
    while (pos < total && s[pos] === value) {
      pos++;
      positives++;
    }
    const t = negatives + positives;
    v += positives * ((start + 1 + start + t) / 2);
    if (t > 1) {
      ties = true;
      tieTerm += t * t * t - t;
    }
    start += t;
  }
  const zeros = zeroEnd - zeroStart;
  return { v, n: total - zeros, zeros, tieTerm, ties };
}

/** The differences sorted ascending, after checking them. */
function sortedDifferences(differences: readonly number[], name: string): Float64Array {
  assertSample(differences, name);
  const out = new Float64Array(differences.length);
  for (let i = 0; i < out.length; i++) out[i] = differences[i] as number;
  return out.sort();
}

/** Two-sided Wilcoxon signed-rank test of "the differences are symmetric about 0". */
export function wilcoxonSignedRank(
  differences: readonly number[],
  options: { method?: "auto" | "exact" | "asymptotic" } = {},
): SignedRankResult {
  const ranked = signedRanks(sortedDifferences(differences, "wilcoxonSignedRank"));
  return signedRankTest(ranked, options.method ?? "auto");
}

function signedRankTest(
  ranked: SignedRanks,
  requested: "auto" | "exact" | "asymptotic",
): SignedRankResult {
  const { v, n, zeros, ties, tieTerm } = ranked;
  if (n === 0) return { v: 0, p: 1, method: "asymptotic", n, zeros, ties: false, z: null };
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
  const sigma = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48);
  const dz = v - mean;
  const z = (dz - Math.sign(dz) * 0.5) / sigma;
  const p = Math.min(1, 2 * Math.min(normalCdf(z), normalSf(z)));
  return { v, p, method: "asymptotic", n, zeros, ties, z };
}

/** The M = n(n+1)/2 Walsh averages (dᵢ + dⱼ)/2, i ≤ j, in no particular order. */
function walshAverages(d: ArrayLike<number>): Float64Array {
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
 * Up to this many Walsh averages, all of them are sorted; a selection gathers its candidates and
 * selects among them once this few are left (cheaper, measured, than more rounds of pivots).
 */
const GATHER_AT = 512;
/** Candidates sampled per round to place the two pivots (Floyd & Rivest 1975, CACM 18:165–172). */
const SAMPLE = 32;
/** Half-width, in sample positions, of the bracket the two pivots put around the target rank. */
const SAMPLE_SPREAD = 3;

/**
 * Puts the (0-based) k-th smallest of a[lo..hi] at a[k], smaller-or-equal values before it and
 * greater-or-equal after (Hoare's FIND with a median-of-three pivot). The value is the one a sort
 * would put there (up to the sign of a zero).
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

/** Scratch arrays of {@link selectWalsh}, shared by every call (allocating them costs more). */
interface WalshScratch {
  /** Candidates of row i are the columns lo[i] .. hi[i] − 1. */
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  /** Per row, where the averages stop being below a pivot, clamped to the candidates. */
  readonly cut1: Int32Array;
  readonly cut2: Int32Array;
  readonly sample: Float64Array;
  readonly gather: Float64Array;
}

let scratch: WalshScratch | undefined;

/** The module's scratch arrays, with room for n rows. */
function walshScratch(n: number): WalshScratch {
  if (scratch && scratch.lo.length >= n) return scratch;
  scratch = {
    lo: new Int32Array(n),
    hi: new Int32Array(n),
    cut1: new Int32Array(n),
    cut2: new Int32Array(n),
    sample: new Float64Array(SAMPLE),
    gather: new Float64Array(GATHER_AT),
  };
  return scratch;
}

/**
 * The 1-based `rank`-th smallest Walsh average (sᵢ + sⱼ)/2, i ≤ j, of the ascending `s`, without
 * materialising all of them: a selection in the sorted matrix of the averages (Johnson &
 * Mizoguchi 1978, SIAM J. Comput. 7:147–153; Monahan 1984, ACM TOMS 10:265–270), on its upper
 * triangle j ≥ i, as `pairwiseDifferenceOrderStatistics` does for the two-sample differences.
 *
 * fl((sᵢ + sⱼ)/2) is non-decreasing along each row and each column (IEEE addition and halving are
 * monotone in each operand), so in each row the averages below a pivot t come first, and where
 * they stop only moves left from one row to the next: one staircase walk (O(n)) counts them in
 * every row. Each round takes a systematic sample of the remaining candidates and, as pivots,
 * the two sampled values t₁ ≤ t₂ that should bracket the target rank (Floyd & Rivest 1975, CACM
 * 18:165–172), counts the averages < t₁ and < t₂, and keeps the rows' candidates below t₁, in
 * [t₁, t₂), or (after counting those ≤ t₂, when t₂ itself may be the answer) above t₂. Each
 * round drops a pivot at least, so it ends; few candidates left are gathered and selected. The
 * value returned is one of the computed averages, the same expression as
 * {@link sortedWalshAverages}, so it is the value a sort puts at that rank (up to the sign of a
 * zero).
 */
function selectWalsh(s: Float64Array, rank: number, w: WalshScratch): number {
  const n = s.length;
  const { lo, hi, cut1, cut2, sample, gather } = w;
  for (let i = 0; i < n; i++) {
    lo[i] = i;
    hi[i] = n;
  }
  let below = 0; // averages dropped because they are smaller than the answer
  let remaining = (n * (n + 1)) / 2;
  // Deterministic offsets of the systematic samples: any pivots give the same answer.
  let state = (0x9e3779b9 ^ rank) >>> 0 || 1;
  for (;;) {
    if (remaining <= GATHER_AT) {
      let m = 0;
      for (let i = 0; i < n; i++) {
        const si = s[i] as number;
        const h = hi[i] as number;
        for (let j = lo[i] as number; j < h; j++) gather[m++] = (si + (s[j] as number)) / 2;
      }
      const k = rank - below - 1;
      selectInPlace(gather, k, 0, m - 1);
      return gather[k] as number;
    }
    // A systematic sample: the candidates at (q + u)·remaining/SAMPLE in row order.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    const step = remaining / SAMPLE;
    let next = (state / 4294967296) * step;
    let row = 0;
    let start = 0; // candidates before `row`
    for (let q = 0; q < SAMPLE; q++) {
      const r = Math.min(remaining - 1, Math.floor(next));
      next += step;
      while (r >= start + (hi[row] as number) - (lo[row] as number)) {
        start += (hi[row] as number) - (lo[row] as number);
        row++;
      }
      sample[q] = ((s[row] as number) + (s[(lo[row] as number) + r - start] as number)) / 2;
    }
    sample.sort();
    const at = ((rank - below - 0.5) / remaining) * SAMPLE;
    const p1 = Math.max(0, Math.min(SAMPLE - 1, Math.floor(at - SAMPLE_SPREAD)));
    const p2 = Math.max(0, Math.min(SAMPLE - 1, Math.ceil(at + SAMPLE_SPREAD)));
    const t1 = sample[p1] as number;
    const t2 = sample[p2] as number;
    let b1 = n;
    let b2 = n;
    let less1 = 0;
    let less2 = 0;
    for (let i = 0; i < n; i++) {
      const si = s[i] as number;
      while (b1 > 0 && (si + (s[b1 - 1] as number)) / 2 >= t1) b1--;
      while (b2 > 0 && (si + (s[b2 - 1] as number)) / 2 >= t2) b2--;
      const l = lo[i] as number;
      const h = hi[i] as number;
      const x1 = b1 < l ? l : b1 > h ? h : b1;
      const x2 = b2 < l ? l : b2 > h ? h : b2;
      cut1[i] = x1;
      cut2[i] = x2;
      less1 += x1 - l;
      less2 += x2 - l;
    }
    if (rank <= below + less1) {
      // Below t₁ (which goes).
      for (let i = 0; i < n; i++) hi[i] = cut1[i] as number;
      remaining = less1;
    } else if (rank <= below + less2) {
      // In [t₁, t₂) (t₂ goes; t₁ < t₂ here, as less1 < less2).
      for (let i = 0; i < n; i++) {
        lo[i] = cut1[i] as number;
        hi[i] = cut2[i] as number;
      }
      below += less1;
      remaining = less2 - less1;
    } else {
      // At or above t₂: count those ≤ t₂ too.
      let c = n;
      let atMost = 0;
      for (let i = 0; i < n; i++) {
        const si = s[i] as number;
        while (c > 0 && (si + (s[c - 1] as number)) / 2 > t2) c--;
        const l = lo[i] as number;
        const h = hi[i] as number;
        const y = c < l ? l : c > h ? h : c;
        cut1[i] = y;
        atMost += y - l;
      }
      if (rank <= below + atMost) return t2;
      for (let i = 0; i < n; i++) lo[i] = cut1[i] as number;
      below += atMost;
      remaining -= atMost;
    }
  }
}

/**
 * The 1-based (`rank` + 1)-th smallest Walsh average of the ascending `s`, given the `rank`-th,
 * `value`: `value` again when more than `rank` averages are ≤ it, else the smallest average above
 * it (one staircase walk).
 */
function nextWalsh(s: Float64Array, value: number, rank: number): number {
  const n = s.length;
  let c = n;
  let atMost = 0;
  let next = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const si = s[i] as number;
    while (c > 0 && (si + (s[c - 1] as number)) / 2 > value) c--;
    // Row i's candidates are the columns i .. n − 1; those ≤ value come before c.
    const first = c > i ? c : i;
    atMost += first - i;
    if (first < n) {
      const a = (si + (s[first] as number)) / 2;
      if (a < next) next = a;
    }
  }
  return atMost > rank ? value : next;
}

/**
 * Order statistics (1-based ranks) of the Walsh averages, equal to indexing
 * {@link sortedWalshAverages} (up to the sign of a zero): few averages (and inputs holding a
 * non-finite value) sort them all; otherwise one sort of the n differences and
 * {@link selectWalsh} per rank, which never builds the n(n+1)/2 averages. NaN for a rank outside
 * 1..n(n+1)/2.
 */
export function walshOrderStatistics(d: readonly number[], ranks: readonly number[]): number[] {
  if (d.some((v) => !Number.isFinite(v))) {
    const a = sortedWalshAverages(d);
    return ranks.map((r) => a[r - 1] ?? Number.NaN);
  }
  return sortedWalshOrderStatistics(Float64Array.from(d).sort(), ranks);
}

/**
 * {@link walshOrderStatistics} of finite differences already sorted ascending. A rank that
 * follows one already selected (the two middle ranks of the estimate) is its neighbour's
 * {@link nextWalsh}.
 */
function sortedWalshOrderStatistics(s: Float64Array, ranks: readonly number[]): number[] {
  const m = (s.length * (s.length + 1)) / 2;
  if (m <= GATHER_AT) {
    const a = walshAverages(s).sort();
    return ranks.map((r) => a[r - 1] ?? Number.NaN);
  }
  const w = walshScratch(s.length);
  const found = new Map<number, number>();
  return ranks.map((r) => {
    if (!(Number.isInteger(r) && r >= 1 && r <= m)) return Number.NaN;
    let value = found.get(r);
    if (value === undefined) {
      const previous = found.get(r - 1);
      value = previous === undefined ? selectWalsh(s, r, w) : nextWalsh(s, previous, r - 1);
      found.set(r, value);
    }
    return value;
  });
}

/** The same fields as the two-sample result; the ranks are among the sorted Walsh averages. */
export type WalshResult = HodgesLehmannResult;

/** One-sample Hodges–Lehmann estimate of the centre of the differences, with its interval. */
export function walshHodgesLehmann(
  differences: readonly number[],
  options: { level?: number; method?: "auto" | "exact" | "asymptotic" } = {},
): WalshResult {
  const sorted = sortedDifferences(differences, "walshHodgesLehmann");
  const level = options.level ?? 0.95;
  assertLevel(level, "walshHodgesLehmann");
  return walshInterval(sorted, signedRanks(sorted), level, options.method ?? "auto");
}

function walshInterval(
  sorted: Float64Array,
  ranked: SignedRanks,
  level: number,
  requested: "auto" | "exact" | "asymptotic",
): WalshResult {
  const n = sorted.length;
  const m = (n * (n + 1)) / 2;
  const mid = Math.floor(m / 2);
  const medianRanks = m % 2 === 1 ? [mid + 1] : [mid, mid + 1];
  const withValues = (lowerRank: number, upperRank: number) => {
    const [lower, upper, m1, m2] = sortedWalshOrderStatistics(sorted, [
      lowerRank,
      upperRank,
      ...medianRanks,
    ]) as [number, number, number, number | undefined];
    return { estimate: m2 === undefined ? m1 : (m1 + m2) / 2, lower, upper };
  };
  // The ties of every |d|: those of the non-zero ones and the zeros, tied with each other.
  const tieTerm = ranked.tieTerm + (ranked.zeros > 1 ? ranked.zeros ** 3 - ranked.zeros : 0);
  const zeros = ranked.zeros > 0;
  const ties = ranked.ties || ranked.zeros > 1;
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
  for (const sample of [x, y]) {
    for (const v of sample) {
      if (!(v > 0) || !Number.isFinite(v))
        throw new RangeError(`pairedRatioFromLogs: values must be positive and finite, got ${v}`);
    }
  }
  // One sort of the log differences serves the test and the interval (they are finite).
  if (x.length === 0) throw new RangeError("wilcoxonSignedRank: sample is empty");
  const sorted = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++)
    sorted[i] = Math.log(x[i] as number) - Math.log(y[i] as number);
  sorted.sort();
  const ranked = signedRanks(sorted);
  const test = signedRankTest(ranked, "auto");
  const level = options.level ?? 0.95;
  assertLevel(level, "walshHodgesLehmann");
  const hl = walshInterval(sorted, ranked, level, "auto");
  return {
    ratio: Math.exp(hl.estimate),
    lower: Math.exp(hl.lower),
    upper: Math.exp(hl.upper),
    level: hl.level,
    achievedLevel: hl.achievedLevel,
    p: test.p,
    method: test.method,
    pairs: x.length,
  };
}
