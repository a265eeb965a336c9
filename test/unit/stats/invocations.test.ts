import { describe, expect, it } from "vitest";
import { pooledTTest, tDetectableStandardErrors } from "../../../src/stats/invocations.js";

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
