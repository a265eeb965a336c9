import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  adjustAndDecide,
  compareSamples,
  decide,
  verdictFor,
  type Comparison,
  type MeasuredComparison,
} from "../../../src/stats/compare.js";
import { benjaminiHochberg } from "../../../src/stats/multiple.js";
import { expectClose } from "./helpers.js";
import { cases } from "./reference-data.js";

const baseline = [10.0, 10.3, 9.8, 10.1, 9.9, 10.2, 10.05, 9.95];
const scaled = (factor: number): number[] => baseline.map((v, i) => v * factor + 0.001 * i);

function measured(c: Comparison): MeasuredComparison {
  if (c.verdict === "too-few-runs") throw new Error(`unexpected too-few-runs: ${c.reason}`);
  return c;
}

describe("compareSamples", () => {
  it("reports too few runs when no p-value could fall below alpha", () => {
    const c = compareSamples([1, 2, 3], [4, 5, 6]);
    expect(c).toMatchObject({
      verdict: "too-few-runs",
      nCandidate: 3,
      nBaseline: 3,
      runsNeeded: 4,
    });
    if (c.verdict === "too-few-runs") expect(c.reason).toMatch(/need 4 per group/);
    expect(compareSamples([1, 2, 3, 4], [5, 6, 7, 8]).verdict).toBe("faster");
    expect(compareSamples([1, 2, 3, 4], [5, 6, 7, 8], { alpha: 0.01 }).verdict).toBe(
      "too-few-runs",
    );
  });

  it("uses the U test p and the Hodges–Lehmann ratio of candidate / baseline", () => {
    // SciPy 1.10.1 mannwhitneyu(x, y, method="exact"); R 4.2.2 wilcox.test(log(x), log(y), conf.int = TRUE)
    const c = measured(compareSamples(cases.overlap!.x, cases.overlap!.y));
    const ref = cases.overlap!.r.exactLog!;
    expectClose(c.p, cases.overlap!.scipyExact![1], 1e-13);
    expectClose(Math.log(c.ratio), ref.estimate, 1e-12);
    expectClose(Math.log(c.lower), ref.lower, 1e-12);
    expectClose(Math.log(c.upper), ref.upper, 1e-12);
    expect(c.u).toBe(cases.overlap!.scipyExact![0]);
    expect(c.method).toBe("exact");
    expect(c.verdict).toBe("no-difference");
  });

  it("calls a clear slowdown slower and a clear speedup faster", () => {
    const slower = measured(compareSamples(scaled(1.2), baseline));
    expect(slower.verdict).toBe("slower");
    expect(slower.ratio).toBeGreaterThan(1.15);
    expect(slower.lower).toBeGreaterThan(1);
    const faster = measured(compareSamples(scaled(0.8), baseline));
    expect(faster.verdict).toBe("faster");
    expect(faster.upper).toBeLessThan(1);
  });

  it("applies the practical-significance threshold to the whole interval", () => {
    const small = measured(compareSamples(scaled(1.04), baseline));
    expect(small.verdict).toBe("slower");
    expect(measured(compareSamples(scaled(1.04), baseline, { threshold: 0.05 })).verdict).toBe(
      "no-difference",
    );
    expect(measured(compareSamples(scaled(1.2), baseline, { threshold: 0.05 })).verdict).toBe(
      "slower",
    );
  });

  it("rejects non-positive values and bad options", () => {
    expect(() => compareSamples([1, 0], [1, 2])).toThrow(RangeError);
    expect(() => compareSamples([1], [1], { alpha: 0 })).toThrow(RangeError);
    expect(() => compareSamples([1], [1], { threshold: -0.1 })).toThrow(RangeError);
  });
});

describe("decide and adjustAndDecide", () => {
  it("verdictFor needs both p < alpha and an interval beyond 1 ± threshold", () => {
    expect(verdictFor(0.01, 1.1, 1.3, 0.05)).toBe("slower");
    expect(verdictFor(0.01, 0.7, 0.9, 0.05)).toBe("faster");
    expect(verdictFor(0.06, 1.1, 1.3, 0.05)).toBe("no-difference");
    expect(verdictFor(0.01, 0.98, 1.3, 0.05)).toBe("no-difference");
    expect(verdictFor(0.01, 1.03, 1.3, 0.05, 0.05)).toBe("no-difference");
    expect(verdictFor(0.01, 0.7, 0.96, 0.05, 0.05)).toBe("no-difference");
  });

  it("decide re-evaluates the verdict with the adjusted p", () => {
    const c = measured(compareSamples(scaled(1.2), baseline));
    expect(decide(c, Math.min(1, c.p * 3)).verdict).toBe("slower");
    const d = decide(c, 0.2);
    expect(d).toMatchObject({ verdict: "no-difference", pAdjusted: 0.2, p: c.p });
    expect(() => decide(c, c.p / 2)).toThrow(RangeError);
    const few = compareSamples([1], [2]);
    expect(decide(few, 0.5)).toBe(few);
  });

  it("adjustAndDecide adjusts the measured comparisons together with BH", () => {
    const list = [
      compareSamples(scaled(1.2), baseline),
      compareSamples([1, 2], [3, 4]),
      compareSamples(cases.overlap!.x, cases.overlap!.y),
      compareSamples(scaled(0.9), baseline),
    ];
    const raw = list.map((c) => (c.verdict === "too-few-runs" ? Number.NaN : c.p));
    const expected = benjaminiHochberg(raw);
    const decided = adjustAndDecide(list);
    expect(decided[1]?.verdict).toBe("too-few-runs");
    for (const i of [0, 2, 3]) {
      expect(measured(decided[i]!).pAdjusted).toBe(expected[i]);
    }
    expect(decided.map((c) => c.verdict)).toEqual([
      "slower",
      "too-few-runs",
      "no-difference",
      "faster",
    ]);
  });
});

describe("compareSamples properties", () => {
  const sample = fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 4, maxLength: 12 });
  it("swapping candidate and baseline mirrors the result", () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const ab = measured(compareSamples(a, b));
        const ba = measured(compareSamples(b, a));
        expectClose(ab.p, ba.p, 1e-12);
        expectClose(ab.ratio * ba.ratio, 1, 1e-12);
        const mirror = { slower: "faster", faster: "slower", "no-difference": "no-difference" };
        expect(ba.verdict).toBe(mirror[ab.verdict]);
      }),
      { numRuns: 200 },
    );
  });
});
