import { describe, expect, it } from "vitest";
import {
  medianSamplingVariance,
  pooledTTest,
  tDetectableStandardErrors,
} from "../../../src/stats/invocations.js";

// Reference: SciPy 1.17, scipy.stats.ttest_ind(x, y, equal_var=True) and its
// confidence_interval(level); R's t.test(x, y, var.equal = TRUE) gives the same.
describe("pooled two-sample t test on invocation medians", () => {
  it("one current invocation against five baseline invocations (log values)", () => {
    const x = [Math.log(1.031)];
    const y = [1.0, 0.97, 1.02, 0.99, 1.01].map((v) => Math.log(v));
    const t = pooledTTest(x, y, 0.95);
    expect(t.df).toBe(4);
    expect(t.estimate).toBeCloseTo(0.03268052207259523, 12);
    expect(t.p).toBeCloseTo(0.1978811842767605, 9);
    expect(t.lower).toBeCloseTo(-0.026153618255065098, 9);
    expect(t.upper).toBeCloseTo(0.09151466240025556, 9);
    // One current invocation: its variance is the baseline's, s·√(1/5 + 1): a prediction interval.
    expect(t.spread).toBeCloseTo(0.01934415207691051, 12);
    expect(t.standardError).toBeCloseTo(0.021190456896668586, 12);
  });

  it("several invocations on both sides, at another level", () => {
    const t = pooledTTest([0.11, 0.13], [0.1, 0.09, 0.12, 0.095], 0.9);
    expect(t.p).toBeCloseTo(0.18158150814056884, 9);
    expect(t.lower).toBeCloseTo(-0.005998310378943748, 9);
    expect(t.upper).toBeCloseTo(0.04349831037894371, 9);
  });

  it("needs one degree of freedom, and is exact when invocations agree", () => {
    expect(() => pooledTTest([1], [1])).toThrow(RangeError);
    expect(() => pooledTTest([], [1, 2, 3])).toThrow(RangeError);
    expect(pooledTTest([0.5], [0.5, 0.5])).toMatchObject({ p: 1, lower: 0, upper: 0 });
    expect(pooledTTest([0.6], [0.5, 0.5])).toMatchObject({ p: 0 });
  });

  it("a floor above the pooled spread replaces it: baseline invocations that agree by chance", () => {
    const x = [Math.log(1.031)];
    const y = [1.0, 1.002, 0.999, 1.001, 1.0].map((v) => Math.log(v));
    // Without the floor (SciPy's ttest_ind): p = 1.75e-5 from medians that agree within 0.3%.
    expect(pooledTTest(x, y, 0.95).p).toBeCloseTo(1.7479445107545284e-5, 12);
    // With a floor of 0.02: the same t test with s = 0.02 (SciPy: 2 * t.sf(|est| / se, 4) and
    // est ± t.ppf(0.975, 4) * se, se = 0.02 * sqrt(1/1 + 1/5)).
    const t = pooledTTest(x, y, 0.95, 0.02);
    expect(t.floored).toBe(true);
    expect(t.spread).toBe(0.02);
    expect(t.standardError).toBeCloseTo(0.02190890230020664, 12);
    expect(t.p).toBeCloseTo(0.24105601054511003, 9);
    expect(t.lower).toBeCloseTo(-0.030699060049277204, 9);
    expect(t.upper).toBeCloseTo(0.0909586690540536, 9);
    // A floor below the pooled spread changes nothing.
    const y2 = [1.0, 0.97, 1.02, 0.99, 1.01].map((v) => Math.log(v));
    expect(pooledTTest(x, y2, 0.95, 0.001)).toEqual({
      ...pooledTTest(x, y2, 0.95),
      floored: false,
    });
    expect(() => pooledTTest(x, y, 0.95, -1)).toThrow(RangeError);
    expect(() => pooledTTest(x, y, 0.95, Number.NaN)).toThrow(RangeError);
  });

  it("median sampling variance: pi * (1.4826 * MAD)^2 / (2n), robust to a run in another regime", () => {
    // NumPy/SciPy: sigma = scipy.stats.median_abs_deviation(v, scale="normal") (1.4826 * MAD
    // within 1e-5), pi * sigma**2 / (2 * n); v = log([0.100, 0.102, 0.098, 0.101, 0.160]).
    const v = [0.1, 0.102, 0.098, 0.101, 0.16].map((x) => Math.log(x));
    expect(medianSamplingVariance(v)).toBeCloseTo(6.837115353437563e-5, 9);
    // One run says nothing about its own noise: unknown, not zero.
    expect(medianSamplingVariance([0.5])).toBeNull();
    expect(medianSamplingVariance([])).toBeNull();
  });

  it("detectable effect in standard errors: t_{df,1-alpha/2} + t_{df,power}", () => {
    // t.ppf(0.975, df) + t.ppf(0.8, df)
    expect(tDetectableStandardErrors(0.05, 1)).toBeCloseTo(14.082586656645868, 6);
    expect(tDetectableStandardErrors(0.05, 4)).toBeCloseTo(3.717409682432975, 8);
    expect(tDetectableStandardErrors(0.05, 9)).toBeCloseTo(3.1455610224837396, 8);
    // t.ppf(0.995, 4) + t.ppf(0.9, 4)
    expect(tDetectableStandardErrors(0.01, 4, 0.9)).toBeCloseTo(6.137301145408936, 8);
    // The exact power at that effect (noncentral t, scipy.stats.nct) is a little under 80%:
    // 73.1% at 1 df, 79.1% at 4, 79.9% at 9; the stated MDE is that much optimistic at few invocations.
  });
});
