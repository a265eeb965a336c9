import fc from "fast-check";
import { describe as suite, expect, it } from "vitest";
import {
  describe,
  describeCentre,
  medianCiCoverage,
  medianCiRank,
  minRunsForMedianCi,
} from "../../../src/stats/descriptive.js";
import { expectClose } from "./helpers.js";

suite("describe", () => {
  // R 4.2.2: x <- c(10.2, 9.8, 10.5, 10.1, 9.9, 10.0, 13.7, 10.3, 9.7, 10.4, 10.6)
  // c(length(x), median(x), mean(x), sd(x), sd(x)/mean(x), min(x), max(x),
  //   quantile(x, c(.25, .75), type = 7), mad(x, constant = 1), mad(x))
  const x = [10.2, 9.8, 10.5, 10.1, 9.9, 10.0, 13.7, 10.3, 9.7, 10.4, 10.6];
  const r = [
    11, 10.199999999999999, 10.472727272727273, 1.1082336478296524, 0.10582092123373417,
    9.6999999999999993, 13.699999999999999, 9.9499999999999993, 10.449999999999999,
    0.29999999999999893, 0.4447799999999984,
  ];

  it("matches R for the summary statistics", () => {
    const d = describe(x);
    const got = [d.n, d.median, d.mean, d.sd, d.cv, d.min, d.max, d.q1, d.q3, d.mad, d.madScaled];
    got.forEach((v, i) => expectClose(v, r[i] ?? Number.NaN, 1e-12));
  });

  it("flags outliers by the Iglewicz–Hoaglin modified z-score", () => {
    // 0.6745 * (13.7 - 10.2) / 0.3 = 7.87 > 3.5; the next largest, 10.6, gives 0.90.
    expect(describe(x).outliers).toEqual([6]);
    expect(describe([1, 1, 1, 1, 50]).outliers).toEqual([]); // mad = 0 → none
    expect(describe([5, 5, 5, 6, 5]).mad).toBe(0);
  });

  it("uses type-7 quartiles (numpy.percentile default / R quantile type 7)", () => {
    // NumPy 2.4.6, numpy.percentile(x, [25, 50, 75]); R 4.2.2 quantile(x, type = 7) agrees.
    const cases: [number[], [number, number, number]][] = [
      [x, [9.95, 10.2, 10.45]],
      [
        [3, 1, 4, 1, 5, 9, 2, 6],
        [1.75, 3.5, 5.25],
      ],
      [[7.5], [7.5, 7.5, 7.5]],
      [
        [2, 8],
        [3.5, 5, 6.5],
      ],
      [
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        [3.25, 5.5, 7.75],
      ],
    ];
    for (const [values, [q1, median, q3]] of cases) {
      const d = describe(values);
      expectClose(d.q1, q1, 1e-14);
      expectClose(d.median, median, 1e-14);
      expectClose(d.q3, q3, 1e-14);
    }
  });

  it("reports NaN spread for a single value and rejects empty or non-finite input", () => {
    const d = describe([3]);
    expect(d.sd).toBeNaN();
    expect(d.cv).toBeNaN();
    expect(d.medianCi).toBeNull();
    expect(() => describe([])).toThrow(RangeError);
    expect(() => describe([1, Number.NaN])).toThrow(RangeError);
  });
});

suite("median confidence interval", () => {
  it("n = 10 uses the 2nd and 9th order statistics with coverage 0.978515625", () => {
    // SciPy 1.17.1: 1 - 2 * scipy.stats.binom.cdf(1, 10, 0.5) = 0.978515625
    const ci = describe([5, 1, 9, 3, 7, 2, 8, 4, 6, 10]).medianCi;
    expect(ci).toEqual({
      lower: 2,
      upper: 9,
      level: 0.95,
      achievedLevel: 0.978515625,
      lowerRank: 2,
      upperRank: 9,
    });
  });

  it("matches the binomial order-statistic pairs computed in R", () => {
    // R 4.2.2: ks <- 1:floor(n/2); cov <- 1 - 2 * pbinom(ks - 1, n, 0.5); k <- max(ks[cov >= 0.95])
    const r: [number, number, number][] = [
      [6, 1, 0.96875],
      [7, 1, 0.984375],
      [8, 1, 0.9921875],
      [9, 2, 0.9609375],
      [10, 2, 0.978515625],
      [11, 2, 0.98828125],
      [15, 4, 0.96484375],
      [20, 6, 0.95861053466796875],
      [30, 10, 0.95722605474293232],
      [50, 18, 0.96716086243573141],
      [100, 40, 0.96479979978229513],
    ];
    for (const [n, k, coverage] of r) {
      expect(medianCiRank(n, 0.95)).toBe(k);
      expectClose(medianCiCoverage(n, k), coverage, 1e-13);
      const values = Array.from({ length: n }, (_, i) => n - i); // reversed 1..n
      const ci = describe(values).medianCi;
      expect(ci?.lower).toBe(k);
      expect(ci?.upper).toBe(n + 1 - k);
    }
  });

  it("is null below the minimum run count", () => {
    expect(minRunsForMedianCi(0.95)).toBe(6);
    expect(minRunsForMedianCi(0.99)).toBe(8);
    expect(minRunsForMedianCi(0.9)).toBe(5);
    expect(describe([1, 2, 3, 4, 5]).medianCi).toBeNull();
    expect(describe([1, 2, 3, 4, 5, 6]).medianCi).not.toBeNull();
    expect(describe([1, 2, 3, 4, 5], { level: 0.9 }).medianCi?.achievedLevel).toBe(0.9375);
  });

  it("property: the interval contains the median and its coverage reaches the level", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 60 }),
        (v) => {
          const d = describe(v);
          expect(d.q1).toBeLessThanOrEqual(d.median);
          expect(d.median).toBeLessThanOrEqual(d.q3);
          if (d.n < 6) {
            expect(d.medianCi).toBeNull();
          } else {
            const ci = d.medianCi;
            expect(ci).not.toBeNull();
            if (ci !== null) {
              expect(ci.lower).toBeLessThanOrEqual(d.median);
              expect(ci.upper).toBeGreaterThanOrEqual(d.median);
              expect(ci.achievedLevel).toBeGreaterThanOrEqual(0.95);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

suite("describeCentre", () => {
  it("gives describe's n, median, mean, sd, cv and median CI", () => {
    const values = fc.array(
      fc.oneof(
        fc.integer({ min: 1, max: 9 }).map((v) => v / 4),
        fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
      ),
      { minLength: 1, maxLength: 60 },
    );
    fc.assert(
      fc.property(values, fc.constantFrom(0.9, 0.95, 0.99), (x, level) => {
        const full = describe(x, { level });
        const centre = describeCentre(x, { level });
        expect(centre).toEqual({
          n: full.n,
          median: full.median,
          mean: full.mean,
          sd: full.sd,
          cv: full.cv,
          medianCi: full.medianCi,
        });
      }),
      { numRuns: 300 },
    );
  });

  it("checks its input as describe does", () => {
    expect(() => describeCentre([])).toThrow(RangeError);
    expect(() => describeCentre([1, Number.NaN])).toThrow(RangeError);
    expect(() => describeCentre([1, 2], { level: 1 })).toThrow(RangeError);
  });
});
