import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  hodgesLehmann,
  ratioFromLogs,
  sortedPairwiseDifferences,
} from "../../../src/stats/hodges-lehmann.js";
import { expectClose } from "./helpers.js";
import { cases } from "./reference-data.js";

const log = (v: number[]): number[] => v.map(Math.log);
/** Absolute comparison for values that may be (close to) zero. */
const near = (actual: number, expected: number, tol: number): void => {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tol);
};

describe("hodgesLehmann, exact interval vs R wilcox.test(exact = TRUE)", () => {
  for (const [name, c] of Object.entries(cases)) {
    for (const variant of ["exact", "exactLog"] as const) {
      const ref = c.r[variant];
      if (ref === undefined) continue;
      it(`${name} ${variant}`, () => {
        const [x, y] = variant === "exact" ? [c.x, c.y] : [log(c.x), log(c.y)];
        const r = hodgesLehmann(x, y, { method: "exact" });
        expect(r.method).toBe("exact");
        near(r.estimate, ref.estimate, 1e-14 * Math.max(1, Math.abs(ref.estimate)));
        // Same order statistics; on log scale JS and R logs may differ in the last bit.
        near(r.lower, ref.lower, 1e-15 * Math.max(1, Math.abs(ref.lower)));
        near(r.upper, ref.upper, 1e-15 * Math.max(1, Math.abs(ref.upper)));
        expectClose(r.achievedLevel, ref.achievedLevel ?? Number.NaN, 1e-14);
      });
    }
  }

  it("order statistics for small samples", () => {
    // n1 = n2 = 4: qwilcox(0.025, 4, 4) = 1 → [D(1), D(16)], coverage 1 − 2/70
    const r = hodgesLehmann([1, 4, 5, 8], [2, 3, 6, 7]);
    expect([r.lowerRank, r.upperRank]).toEqual([1, 16]);
    expectClose(r.achievedLevel, 1 - 2 / 70, 1e-15);
    // n1 = 5, n2 = 2 cannot reach 95 %: k is raised to 1 and the coverage is 1 − 2/21
    const small = hodgesLehmann(cases.sepRev!.x, cases.sepRev!.y);
    expectClose(small.achievedLevel, 1 - 2 / 21, 1e-15);
    expect(small.achievedLevel).toBeLessThan(0.95);
  });
});

describe("hodgesLehmann, asymptotic interval vs R wilcox.test(exact = FALSE, correct = TRUE)", () => {
  for (const [name, c] of Object.entries(cases)) {
    for (const variant of ["asymptotic", "asymptoticLog"] as const) {
      const ref = c.r[variant];
      if (ref === undefined) continue;
      it(`${name} ${variant}`, () => {
        const [x, y] = variant === "asymptotic" ? [c.x, c.y] : [log(c.x), log(c.y)];
        const r = hodgesLehmann(x, y, { method: "asymptotic" });
        expect(r.method).toBe("asymptotic");
        expect(r.achievedLevel).toBe(0.95);
        // Bounds: R root-finds with tol.root = 1e-12; we return the exact jump points.
        near(r.lower, ref.lower, 1e-9);
        near(r.upper, ref.upper, 1e-9);
        // With R's default tol.root = 1e-4 the bounds agree to that tolerance.
        near(r.lower, ref.defaultTol?.lower ?? Number.NaN, 1e-4);
        near(r.upper, ref.defaultTol?.upper ?? Number.NaN, 1e-4);
        // R's asymptotic estimate is a root of the uncorrected statistic: median(D) for odd N,
        // a point of [D(N/2), D(N/2 + 1)] (whose midpoint is our estimate) for even N.
        const d = sortedPairwiseDifferences(x, y);
        const n = d.length;
        if (n % 2 === 1) {
          near(r.estimate, ref.estimate, 1e-9);
        } else {
          expect(ref.estimate).toBeGreaterThanOrEqual((d[n / 2 - 1] ?? 0) - 1e-9);
          expect(ref.estimate).toBeLessThanOrEqual((d[n / 2] ?? 0) + 1e-9);
        }
      });
    }
  }

  it("auto uses the asymptotic interval with ties or more than 50 per group", () => {
    expect(hodgesLehmann(cases.ties!.x, cases.ties!.y).method).toBe("asymptotic");
    expect(hodgesLehmann(cases.large60x70!.x, cases.large60x70!.y).method).toBe("asymptotic");
    expect(hodgesLehmann(cases.n50!.x, cases.n50!.y).method).toBe("exact");
    expect(() => hodgesLehmann([1, 2], [2, 3], { method: "exact" })).toThrow(RangeError);
  });
});

describe("ratioFromLogs", () => {
  it("is the back-transformed interval of R's wilcox.test on log values", () => {
    for (const name of ["overlap", "mid20x25", "ties30x40"] as const) {
      const c = cases[name]!;
      const ref = c.r.exactLog ?? c.r.asymptoticLog!;
      const r = ratioFromLogs(c.x, c.y);
      near(Math.log(r.lower), ref.lower, 1e-9);
      near(Math.log(r.upper), ref.upper, 1e-9);
      expect(r.ratio).toBeGreaterThanOrEqual(r.lower);
      expect(r.ratio).toBeLessThanOrEqual(r.upper);
    }
    // x typically slower than y → ratio > 1
    expect(ratioFromLogs([11, 12, 13, 12.5], [10, 10.2, 9.9, 10.1]).ratio).toBeGreaterThan(1);
    expect(() => ratioFromLogs([1, 0], [1, 2])).toThrow(RangeError);
  });
});

describe("hodgesLehmann / ratioFromLogs properties", () => {
  // Integers keep ties frequent (both methods get exercised) and scaling exact in ranking.
  const sample = fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 10 });

  it("the interval contains the estimate", () => {
    fc.assert(
      fc.property(sample, sample, (x, y) => {
        const r = hodgesLehmann(x, y);
        expect(r.lower).toBeLessThanOrEqual(r.estimate);
        expect(r.estimate).toBeLessThanOrEqual(r.upper);
      }),
      { numRuns: 200 },
    );
  });

  it("swapping the samples inverts the ratio and swaps the bounds", () => {
    fc.assert(
      fc.property(sample, sample, (x, y) => {
        const a = ratioFromLogs(x, y);
        const b = ratioFromLogs(y, x);
        expectClose(a.ratio * b.ratio, 1, 1e-12);
        expectClose(a.lower * b.upper, 1, 1e-12);
        expectClose(a.upper * b.lower, 1, 1e-12);
      }),
      { numRuns: 200 },
    );
  });

  it("scaling both samples by the same factor leaves the ratio unchanged", () => {
    fc.assert(
      fc.property(
        sample,
        sample,
        fc.constantFrom(0.001, 0.37, 2, 3, 1 / 7, 1000),
        (x, y, factor) => {
          const a = ratioFromLogs(x, y);
          const b = ratioFromLogs(
            x.map((v) => v * factor),
            y.map((v) => v * factor),
          );
          expect(b.method).toBe(a.method);
          expectClose(b.ratio, a.ratio, 1e-12);
          expectClose(b.lower, a.lower, 1e-12);
          expectClose(b.upper, a.upper, 1e-12);
        },
      ),
      { numRuns: 200 },
    );
  });
});
