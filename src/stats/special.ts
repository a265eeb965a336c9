/**
 * Special functions and distribution helpers used by the statistics core: the complementary
 * error function, the standard normal CDF / survival function / quantile, Student's t CDF and
 * quantile for integer degrees of freedom, and the Binomial(n, 1/2) CDF.
 *
 * Everything here is written from the textbook definitions (no coefficient tables) so that the
 * accuracy is close to double precision in the ranges the tests use:
 *
 * - `erfc`: the power series erf(x) = (2/√π)·e^(−x²)·Σ 2ⁿx^(2n+1)/(1·3·…·(2n+1)) (all terms
 *   positive, no cancellation) for x < 0.75, and the Laplace continued fraction
 *   erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))) evaluated with the modified
 *   Lentz algorithm for x ≥ 0.75 (Abramowitz & Stegun 7.1.6 and 7.1.14).
 * - `normalQuantile`: starting value from Abramowitz & Stegun 26.2.23, polished with Halley
 *   iterations on `normalSf`.
 * - `studentTCdf`: the finite trigonometric series of Abramowitz & Stegun 26.7.3 (odd ν) and
 *   26.7.4 (even ν); `studentTQuantile` inverts it with safeguarded Newton iterations.
 *
 * @module
 */

const SQRT_PI = Math.sqrt(Math.PI);
const SQRT2 = Math.SQRT2;
const EPS = Number.EPSILON;

/** Below this argument `erfc` uses 1 − (power series of erf); at or above it the continued fraction. */
const ERFC_CF_THRESHOLD = 0.75;

function erfSeries(x: number): number {
  // erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_{n>=0} x * (2x^2)^n / (1*3*...*(2n+1))
  const twoX2 = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 500; n++) {
    term *= twoX2 / (2 * n + 1);
    sum += term;
    if (term <= sum * EPS * 0.25) break;
  }
  return (2 / SQRT_PI) * Math.exp(-x * x) * sum;
}

function erfcContinuedFraction(x: number): number {
  // erfc(x) = exp(-x^2)/sqrt(pi) / (x + a1/(x + a2/(x + ...))), a_k = k/2; modified Lentz.
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 5000; k++) {
    const a = k / 2;
    d = x + a * d;
    if (d === 0) d = tiny;
    c = x + a / c;
    if (c === 0) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) <= EPS) break;
  }
  return Math.exp(-x * x) / SQRT_PI / f;
}

/**
 * Complementary error function erfc(x) = 1 − erf(x), accurate to a few ulps relative in the
 * upper tail (see the module comment for the method).
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < ERFC_CF_THRESHOLD) return 1 - erfSeries(x);
  if (x > 27.3) return 0; // exp(-x^2) underflows
  return erfcContinuedFraction(x);
}

/** Standard normal survival function P(Z > z) = erfc(z/√2)/2. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / SQRT2);
}

/** Standard normal cumulative distribution function P(Z ≤ z) = erfc(−z/√2)/2. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / SQRT2);
}

/** Standard normal density. */
export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/**
 * Standard normal quantile Φ⁻¹(p) for p in [0, 1] (±Infinity at the ends).
 *
 * Method: the rational starting value of Abramowitz & Stegun 26.2.23 (|error| < 4.5e-4), then
 * Halley iterations on the tail equation normalSf(x) = min(p, 1 − p).
 */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) {
    throw new RangeError(`normalQuantile: p must be in [0, 1], got ${p}`);
  }
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  if (p === 0.5) return 0;
  const q = p < 0.5 ? p : 1 - p; // upper-tail area of the positive quantile
  const t = Math.sqrt(-2 * Math.log(q));
  let x =
    t -
    (2.515517 + t * (0.802853 + t * 0.010328)) /
      (1 + t * (1.432788 + t * (0.189269 + t * 0.001308)));
  for (let i = 0; i < 8; i++) {
    const u = (normalSf(x) - q) / normalPdf(x);
    const step = u / (1 - (u * x) / 2);
    x += step;
    if (Math.abs(step) <= 4 * EPS * Math.abs(x)) break;
  }
  return p < 0.5 ? -x : x;
}

function assertDegreesOfFreedom(df: number): void {
  if (!Number.isInteger(df) || df < 1) {
    throw new RangeError(`Student t: degrees of freedom must be a positive integer, got ${df}`);
  }
}

/**
 * A(t|ν) = P(|T| ≤ t) for t ≥ 0 (Abramowitz & Stegun 26.7.3 / 26.7.4), with sinθ and cos²θ
 * taken directly from t and ν (θ = atan(t/√ν)).
 */
function studentTCentralArea(t: number, df: number): number {
  const r2 = df + t * t;
  const sin = t / Math.sqrt(r2);
  const cos2 = df / r2;
  if (df % 2 === 1) {
    const theta = Math.atan2(t, Math.sqrt(df));
    if (df === 1) return (2 / Math.PI) * theta;
    const cos = Math.sqrt(cos2);
    let term = cos;
    let sum = cos;
    for (let k = 1; 2 * k + 1 <= df - 2; k++) {
      term *= (cos2 * (2 * k)) / (2 * k + 1);
      sum += term;
    }
    return (2 / Math.PI) * (theta + sin * sum);
  }
  let term = 1;
  let sum = 1;
  for (let k = 1; 2 * k <= df - 2; k++) {
    term *= (cos2 * (2 * k - 1)) / (2 * k);
    sum += term;
  }
  return sin * sum;
}

/**
 * Student t cumulative distribution function P(T ≤ t) with integer `df` ≥ 1
 * (finite series of Abramowitz & Stegun 26.7.3 / 26.7.4; O(df) time).
 */
export function studentTCdf(t: number, df: number): number {
  assertDegreesOfFreedom(df);
  if (Number.isNaN(t)) return Number.NaN;
  if (t === Number.POSITIVE_INFINITY) return 1;
  if (t === Number.NEGATIVE_INFINITY) return 0;
  const a = studentTCentralArea(Math.abs(t), df);
  return t >= 0 ? 0.5 + a / 2 : (1 - a) / 2;
}

/** Student t density with integer `df`; the constant Γ((ν+1)/2)/Γ(ν/2) is built by recurrence. */
export function studentTPdf(t: number, df: number): number {
  assertDegreesOfFreedom(df);
  // r(ν) = Γ((ν+1)/2) / Γ(ν/2): r(1) = 1/√π, r(2) = √π/2, r(ν+2) = r(ν)·(ν+1)/ν.
  let nu = df % 2 === 1 ? 1 : 2;
  let r = nu === 1 ? 1 / SQRT_PI : SQRT_PI / 2;
  while (nu < df) {
    r *= (nu + 1) / nu;
    nu += 2;
  }
  return (r / Math.sqrt(df * Math.PI)) * Math.exp((-(df + 1) / 2) * Math.log1p((t * t) / df));
}

/**
 * Student t quantile: the t with P(T ≤ t) = p, for integer `df` ≥ 1 and p in [0, 1].
 *
 * Closed forms for ν = 1 (Cauchy) and ν = 2; otherwise Newton iterations on the upper-tail
 * equation (1 − A(t|ν))/2 = min(p, 1 − p), started from the Cornish–Fisher expansion around the
 * normal quantile and safeguarded by bisection inside a bracketing interval.
 */
export function studentTQuantile(p: number, df: number): number {
  assertDegreesOfFreedom(df);
  if (Number.isNaN(p) || p < 0 || p > 1) {
    throw new RangeError(`studentTQuantile: p must be in [0, 1], got ${p}`);
  }
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  if (p === 0.5) return 0;
  const q = p < 0.5 ? p : 1 - p;
  const sign = p < 0.5 ? -1 : 1;
  if (df === 1) return sign / Math.tan(Math.PI * q);
  if (df === 2) return (sign * (1 - 2 * q)) / Math.sqrt(2 * q * (1 - q));

  const tail = (t: number): number => (1 - studentTCentralArea(t, df)) / 2;
  const z = -normalQuantile(q);
  const z3 = z * z * z;
  let t = z + (z3 + z) / (4 * df) + (5 * z3 * z * z + 16 * z3 + 3 * z) / (96 * df * df);
  // Bracket [lo, hi] with tail(lo) > q > tail(hi).
  let lo = 0;
  let hi = Math.max(t, 1);
  while (tail(hi) > q) {
    lo = hi;
    hi *= 2;
  }
  if (!(t > lo && t < hi)) t = (lo + hi) / 2;
  for (let i = 0; i < 200; i++) {
    const f = tail(t) - q;
    if (f === 0) break;
    if (f > 0) lo = t;
    else hi = t;
    let next = t + f / studentTPdf(t, df);
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    const step = Math.abs(next - t);
    t = next;
    if (step <= 4 * EPS * t) break;
  }
  return sign * t;
}

/**
 * Probability mass function values of Binomial(n, 1/2) for k = 0..n.
 * Recurrence pmf(k+1) = pmf(k)·(n−k)/(k+1) from pmf(0) = 2⁻ⁿ; for n > 1000 (2⁻ⁿ would underflow)
 * the same recurrence runs outwards from the mode and the weights are normalised by their sum.
 */
export function binomialHalfPmf(n: number): number[] {
  const pmf = new Array<number>(n + 1);
  if (n <= 1000) {
    let v = Math.pow(2, -n);
    for (let k = 0; k <= n; k++) {
      pmf[k] = v;
      v = (v * (n - k)) / (k + 1);
    }
  } else {
    // 2^-n underflows: build weights relative to the mode (ratios only, no overflow), then
    // normalise by their sum.
    const mode = Math.floor(n / 2);
    pmf[mode] = 1;
    for (let k = mode; k < n; k++) pmf[k + 1] = ((pmf[k] ?? 0) * (n - k)) / (k + 1);
    for (let k = mode; k > 0; k--) pmf[k - 1] = ((pmf[k] ?? 0) * k) / (n - k + 1);
    let total = 0;
    for (const w of pmf) total += w ?? 0;
    for (let k = 0; k <= n; k++) pmf[k] = (pmf[k] ?? 0) / total;
  }
  return pmf;
}

/** P(B ≤ k) for B ~ Binomial(n, 1/2) (0 for k < 0, 1 for k ≥ n). */
export function binomialHalfCdf(k: number, n: number): number {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`binomialHalfCdf: n must be a non-negative integer, got ${n}`);
  }
  if (k < 0) return 0;
  if (k >= n) return 1;
  const pmf = binomialHalfPmf(n);
  let sum = 0;
  for (let i = 0; i <= Math.floor(k); i++) sum += pmf[i] ?? 0;
  return Math.min(1, sum);
}
