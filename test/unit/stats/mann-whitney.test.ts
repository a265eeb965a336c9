import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mannWhitney, minimumPossibleP, runsNeeded } from "../../../src/stats/mann-whitney.js";
import {
  binomialCoefficient,
  wilcoxonCdf,
  wilcoxonCounts,
  wilcoxonQuantile,
} from "../../../src/stats/wilcoxon-distribution.js";
import { expectClose } from "./helpers.js";
import { cases } from "./reference-data.js";

describe("mannWhitney, exact (no ties) vs SciPy", () => {
  for (const [name, c] of Object.entries(cases)) {
    const ref = c.scipyExact;
    if (ref === undefined) continue;
    it(`${name} (n1 = ${c.x.length}, n2 = ${c.y.length})`, () => {
      const r = mannWhitney(c.x, c.y, { method: "exact" });
      expect(r.u).toBe(ref[0]);
      expectClose(r.p, ref[1], 1e-13);
      expect(r.method).toBe("exact");
      expect(r.ties).toBe(false);
    });
  }

  it("complete separation gives the minimum possible p", () => {
    expect(mannWhitney([1.1, 2.3, 3.5], [4.2, 5.6, 6.1, 7.9]).p).toBe(2 / 35);
    expectClose(mannWhitney(cases.sep50!.x, cases.sep50!.y).p, minimumPossibleP(50, 50), 1e-15);
    expect(mannWhitney([1, 4, 5, 8], [2, 3, 6, 7]).p).toBe(1); // U = mn/2
  });
});

describe("mannWhitney, asymptotic vs SciPy (tie-corrected, continuity-corrected)", () => {
  for (const [name, c] of Object.entries(cases)) {
    it(`${name} (n1 = ${c.x.length}, n2 = ${c.y.length})`, () => {
      const r = mannWhitney(c.x, c.y, { method: "asymptotic" });
      expect(r.u).toBe(c.scipyAsymptotic[0]);
      expectClose(r.p, c.scipyAsymptotic[1], 1e-12);
      // R 4.2.2 wilcox.test(exact = FALSE, correct = TRUE): same W and p
      expect(r.u).toBe(c.r.asymptotic?.w);
      expectClose(r.p, c.r.asymptotic?.p ?? Number.NaN, 1e-12);
    });
  }

  it("gives p = 1 when every observation is tied", () => {
    expect(mannWhitney([3, 3, 3], [3, 3]).p).toBe(1);
  });
});

describe("mannWhitney method choice", () => {
  it("auto is exact without ties up to 50 per group, asymptotic otherwise", () => {
    expect(mannWhitney(cases.n50!.x, cases.n50!.y).method).toBe("exact");
    expect(mannWhitney(cases.large60x70!.x, cases.large60x70!.y).method).toBe("asymptotic");
    const tied = mannWhitney(cases.ties!.x, cases.ties!.y);
    expect(tied.method).toBe("asymptotic");
    expect(tied.ties).toBe(true);
  });
  it("refuses an exact test with ties and rejects bad input", () => {
    expect(() => mannWhitney([1, 2], [2, 3], { method: "exact" })).toThrow(RangeError);
    expect(() => mannWhitney([], [1])).toThrow(RangeError);
    expect(() => mannWhitney([1, Number.POSITIVE_INFINITY], [1])).toThrow(RangeError);
  });
});

describe("exact distribution of U", () => {
  it("matches brute-force enumeration of all rank arrangements", () => {
    for (const [m, n] of [
      [1, 1],
      [2, 3],
      [4, 4],
      [3, 6],
      [5, 4],
    ] as const) {
      const expected = new Array<number>(m * n + 1).fill(0);
      // every m-subset of ranks 0..m+n-1 for x; U = Σ ranks − m(m−1)/2
      const visit = (start: number, left: number, sum: number): void => {
        if (left === 0) {
          const u = sum - (m * (m - 1)) / 2;
          expected[u] = (expected[u] ?? 0) + 1;
          return;
        }
        for (let r = start; r <= m + n - left; r++) visit(r + 1, left - 1, sum + r);
      };
      visit(0, m, 0);
      expect(wilcoxonCounts(m, n).map(Number)).toEqual(expected);
      expect(wilcoxonCounts(n, m).map(Number)).toEqual(expected);
    }
  });

  it("sums to C(m+n, m) for large sizes", () => {
    const counts = wilcoxonCounts(50, 50);
    expect(counts.reduce((a, b) => a + b, 0n)).toBe(binomialCoefficient(100, 50));
    expect(counts[0]).toBe(1n);
    expect(counts[2500]).toBe(1n);
  });

  it("quantiles follow R's qwilcox", () => {
    // R 4.2.2: qwilcox(0.025, 4, 4) = 1; qwilcox(0.025, 10, 12) = 30; pwilcox(0, 4, 4) = 1/70
    expect(wilcoxonQuantile(0.025, 4, 4)).toBe(1);
    expect(wilcoxonQuantile(0.025, 10, 12)).toBe(30);
    expect(wilcoxonCdf(0, 4, 4)).toBe(1 / 70);
  });
});

describe("minimumPossibleP and runsNeeded", () => {
  it("minimumPossibleP = 2 / C(n1+n2, n1), capped at 1", () => {
    expect(minimumPossibleP(3, 3)).toBe(0.1);
    expect(minimumPossibleP(4, 4)).toBe(2 / 70);
    expect(minimumPossibleP(3, 4)).toBe(2 / 35);
    expect(minimumPossibleP(1, 1)).toBe(1);
    expect(minimumPossibleP(0, 5)).toBe(1);
  });
  it("runsNeeded is the smallest equal group size that can reach p < alpha", () => {
    expect(runsNeeded(0.05)).toBe(4);
    expect(runsNeeded(0.01)).toBe(5);
    expect(runsNeeded(0.001)).toBe(7);
    expect(runsNeeded(0.1)).toBe(4); // 2/C(6,3) = 0.1 is not below 0.1
    expect(() => runsNeeded(0)).toThrow(RangeError);
  });
});

describe("mannWhitney properties", () => {
  const sample = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 12 });
  it("U(x, y) + U(y, x) = n1·n2, p in [0, 1] and symmetric", () => {
    fc.assert(
      fc.property(sample, sample, (x, y) => {
        const a = mannWhitney(x, y);
        const b = mannWhitney(y, x);
        expect(a.u + b.u).toBe(x.length * y.length);
        expect(a.p).toBeGreaterThanOrEqual(0);
        expect(a.p).toBeLessThanOrEqual(1);
        expectClose(a.p, b.p, 1e-12);
        if (a.method === "exact") {
          expect(a.p).toBeGreaterThanOrEqual(minimumPossibleP(x.length, y.length) * (1 - 1e-12));
        }
      }),
      { numRuns: 200 },
    );
  });
});
