import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  minimumPossiblePairedP,
  pairedRatioFromLogs,
  pairsNeeded,
  signedRankCdf,
  signedRankQuantile,
  sortedWalshAverages,
  walshOrderStatistics,
  walshHodgesLehmann,
  wilcoxonSignedRank,
  asymptoticBoundRanks,
  rankWithTies,
} from "../../../src/stats/index.js";
import { expectClose } from "./helpers.js";

// Reference values: R 4.2.2 `wilcox.test(d, conf.int = TRUE)` (one sample, mu = 0), `psignrank`,
// `qsignrank`; the p-values also equal SciPy 1.17.1 `scipy.stats.wilcoxon(d, method=...)`
// (exact: 0.064453125 for d10; approx with correction: 0.022126659922328908 for the ties case,
// 0.04231527490571396 for the zeros case). Printed with options(digits = 17).
const d10 = [0.031, -0.012, 0.054, 0.007, 0.089, -0.025, 0.043, 0.066, 0.018, -0.004];
// R: set.seed(7); round(rnorm(20, 0.03, 0.05), 6)
const d20 = [
  0.144362, -0.029839, -0.004715, 0.009385, -0.018534, -0.017364, 0.067407, 0.024152, 0.037633,
  0.139499, 0.047849, 0.165838, 0.144073, 0.046201, 0.124803, 0.053384, -0.01469, 0.014634,
  0.029759, 0.079408,
];
// R: set.seed(11); round(rnorm(60, 0.01, 0.04), 7)
const d60 = [
  -0.0136412, 0.0110638, -0.0506621, -0.0445061, 0.0571396, -0.0273661, 0.0629442, 0.0349967,
  0.0081711, -0.0301648, -0.0231373, -0.0039341, -0.0515317, -0.0002226, -0.0359978, 0.0104931,
  0.0010812, 0.0455109, -0.0136862, -0.0162287, -0.0173007, 0.0093657, -0.0077042, 0.0241023,
  0.0129268, 0.0102864, 0.002496, -0.020628, 0.0011577, -0.0293435, -0.0341714, -0.027526, 0.037145,
  -0.0530999, -0.0247975, 0.0293871, 0.0025579, 0.0718222, -0.0144552, -0.0039103, -0.0554607,
  0.0108153, 0.0456697, -0.02491, 0.045602, -0.003755, -0.0774713, 0.0452023, 0.0389543, 0.0187941,
  0.0415948, 0.0008002, -0.0227401, 0.0299894, 0.0163677, 0.0317051, 0.0037342, 0.0275517,
  0.0695148, 0.0124066,
];

describe("signed-rank null distribution vs R", () => {
  it("psignrank and qsignrank", () => {
    expect(signedRankCdf(8, 10)).toBe(0.0244140625);
    expect(signedRankCdf(30, 20)).toBe(0.001827239990234375);
    expect(signedRankQuantile(0.025, 10)).toBe(9);
    expect(signedRankQuantile(0.025, 20)).toBe(53);
    expect(signedRankQuantile(0.025, 6)).toBe(1);
    expect(signedRankQuantile(0.025, 5)).toBe(0);
    expect(signedRankCdf(-1, 5)).toBe(0);
    expect(signedRankCdf(15, 5)).toBe(1);
  });

  it("the smallest p and the fewest pairs for an alpha", () => {
    expect(minimumPossiblePairedP(5)).toBe(0.0625);
    expect(minimumPossiblePairedP(6)).toBe(0.03125);
    expect(pairsNeeded(0.05)).toBe(6);
    expect(pairsNeeded(0.01)).toBe(8);
  });
});

describe("wilcoxonSignedRank vs R and SciPy", () => {
  it("exact, n = 10", () => {
    const r = wilcoxonSignedRank(d10);
    expect(r.method).toBe("exact");
    expect(r.v).toBe(46);
    expect(r.p).toBe(0.064453125);
  });

  it("exact, n = 20", () => {
    const r = wilcoxonSignedRank(d20);
    expect(r.v).toBe(185);
    expectClose(r.p, 0.001689910888671875, 1e-14);
  });

  it("ties: tie-corrected normal approximation with continuity correction", () => {
    const r = wilcoxonSignedRank([
      0.02, -0.01, 0.02, 0.03, -0.02, 0.05, 0.01, 0.03, 0.04, 0.02, -0.01, 0.06,
    ]);
    expect(r.method).toBe("asymptotic");
    expect(r.v).toBe(68.5);
    expectClose(r.p, 0.022126659922328897, 1e-12);
  });

  it("zeros are dropped (Wilcoxon's method) and force the approximation", () => {
    const r = wilcoxonSignedRank([0, 0.02, -0.01, 0.035, 0.041, 0, 0.013, 0.027, -0.006, 0.052]);
    expect(r.zeros).toBe(2);
    expect(r.n).toBe(8);
    expect(r.v).toBe(33);
    expect(r.method).toBe("asymptotic");
    expectClose(r.p, 0.04231527490571399, 1e-12);
  });

  it("asymptotic without ties, n = 60", () => {
    const r = wilcoxonSignedRank(d60);
    expect(r.method).toBe("asymptotic");
    expect(r.v).toBe(986);
    expectClose(r.p, 0.60376561459056632, 1e-12);
  });

  it("refuses the exact method with ties", () => {
    expect(() => wilcoxonSignedRank([0.1, -0.1, 0.2], { method: "exact" })).toThrow(RangeError);
  });
});

describe("walshHodgesLehmann vs R", () => {
  it("exact interval, n = 10", () => {
    const r = walshHodgesLehmann(d10);
    expect(r.method).toBe("exact");
    expectClose(r.estimate, 0.025, 1e-15);
    expectClose(r.lower, -0.0025, 1e-12);
    expectClose(r.upper, 0.054, 1e-15);
    expect(r.lowerRank).toBe(9);
    expect(r.upperRank).toBe(47);
    // 1 - 2 * psignrank(8, 10)
    expect(r.achievedLevel).toBe(1 - 2 * 0.0244140625);
  });

  it("exact interval, n = 20", () => {
    const r = walshHodgesLehmann(d20);
    expectClose(r.estimate, 0.04918775, 1e-12);
    expectClose(r.lower, 0.0167685, 1e-12);
    expectClose(r.upper, 0.0841125, 1e-12);
  });

  it("asymptotic interval, n = 60 (R with tol.root = 1e-10)", () => {
    const r = walshHodgesLehmann(d60);
    expect(r.method).toBe("asymptotic");
    expectClose(r.lower, -0.0068985500130122656, 1e-8);
    expectClose(r.upper, 0.01084145004520473, 1e-8);
    // R's estimate is some root of the uncorrected statistic: a point of the middle pair of
    // Walsh averages (M = 1830 is even); ours is their midpoint.
    const w = sortedWalshAverages(d60);
    expect(r.estimate).toBeGreaterThanOrEqual(w[914] as number);
    expect(r.estimate).toBeLessThanOrEqual(w[915] as number);
    const rEstimate = 0.0024524305547082453;
    expect(rEstimate).toBeGreaterThanOrEqual(w[914] as number);
    expect(rEstimate).toBeLessThanOrEqual(w[915] as number);
  });
});

describe("properties", () => {
  const sample = fc.array(fc.integer({ min: 50, max: 400 }), { minLength: 6, maxLength: 25 });
  const pairs = fc
    .tuple(sample, fc.array(fc.integer({ min: 50, max: 400 }), { minLength: 25, maxLength: 25 }))
    .map(([x, y]) => [x, y.slice(0, x.length)] as const);

  it("the interval contains the estimate", () => {
    fc.assert(
      fc.property(pairs, ([x, y]) => {
        const r = pairedRatioFromLogs(x, y);
        return r.lower <= r.ratio && r.ratio <= r.upper;
      }),
    );
  });

  it("swapping the pairs inverts the ratio and its interval; p is unchanged", () => {
    fc.assert(
      fc.property(pairs, ([x, y]) => {
        const a = pairedRatioFromLogs(x, y);
        const b = pairedRatioFromLogs(y, x);
        const close = (u: number, v: number): boolean => Math.abs(u - v) <= 1e-12 * Math.abs(v);
        return (
          close(a.ratio, 1 / b.ratio) &&
          close(a.lower, 1 / b.upper) &&
          close(a.upper, 1 / b.lower) &&
          a.p === b.p
        );
      }),
    );
  });

  it("p is a probability and a shift of every pair by one factor moves the ratio by it", () => {
    fc.assert(
      fc.property(pairs, ([x, y]) => {
        const a = pairedRatioFromLogs(x, y);
        const b = pairedRatioFromLogs(
          x.map((v) => v * 2),
          y,
        );
        return a.p >= 0 && a.p <= 1 && Math.abs(b.ratio / a.ratio - 2) <= 1e-12;
      }),
    );
  });
});

describe("walshOrderStatistics", () => {
  it("selects exactly what sorting all the Walsh averages gives, ties and repeats included", () => {
    const values = fc.array(
      fc.integer({ min: -40, max: 40 }).map((v) => v / 8),
      {
        minLength: 1,
        maxLength: 60,
      },
    );
    fc.assert(
      fc.property(values, fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), (d, picks) => {
        const sorted = sortedWalshAverages(d);
        const ranks = picks.map((p) => 1 + (p % sorted.length));
        const got = walshOrderStatistics(d, ranks);
        return ranks.every((r, i) => got[i] === sorted[r - 1]);
      }),
      { numRuns: 300 },
    );
  });
});

describe("walshOrderStatistics: selection without the averages (samples of more than 31)", () => {
  const ties = fc.array(
    fc.integer({ min: -40, max: 40 }).map((v) => v / 8),
    { minLength: 32, maxLength: 150 },
  );
  const spread = fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), {
    minLength: 32,
    maxLength: 150,
  });
  // A few distinct values repeated many times: long runs of equal averages.
  const fewValues = fc
    .tuple(
      fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }),
      fc.array(fc.nat(), { minLength: 32, maxLength: 120 }),
    )
    .map(([values, picks]) => picks.map((p) => values[p % values.length] as number));

  const matchesSort = (d: number[], picks: number[]): boolean => {
    const sorted = sortedWalshAverages(d);
    const m = sorted.length;
    const mid = Math.floor(m / 2);
    // The ranks of an estimate and its interval, neighbours, both ends and random ones.
    const ranks = [1, m, mid, mid + 1, ...picks.flatMap((p) => [1 + (p % m), 1 + ((p + 1) % m)])];
    const got = walshOrderStatistics(d, ranks);
    return ranks.every((r, i) => got[i] === sorted[r - 1]);
  };

  it("equals indexing the sorted averages, with ties", () => {
    fc.assert(fc.property(ties, fc.array(fc.nat(), { maxLength: 6 }), matchesSort), {
      numRuns: 200,
    });
  });

  it("equals indexing the sorted averages, spread-out values", () => {
    fc.assert(fc.property(spread, fc.array(fc.nat(), { maxLength: 6 }), matchesSort), {
      numRuns: 200,
    });
  });

  it("equals indexing the sorted averages, a few values repeated", () => {
    fc.assert(fc.property(fewValues, fc.array(fc.nat(), { maxLength: 6 }), matchesSort), {
      numRuns: 200,
    });
  });

  it("every difference equal, and ranks outside 1..M", () => {
    const d = new Array<number>(80).fill(0.25);
    const m = (80 * 81) / 2;
    expect(walshOrderStatistics(d, [1, 1620, 1621, m])).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(walshOrderStatistics(d, [0, m + 1, 2.5])).toEqual([NaN, NaN, NaN]);
  });
});

describe("ranks of |d| from one sort", () => {
  // The definitions: mid-ranks of the non-zero |d| for V, the ties of every |d| for the interval.
  const reference = (d: number[]) => {
    const nonZero = d.filter((v) => v !== 0);
    const { ranks, tieSizes } = rankWithTies(nonZero.map(Math.abs));
    let v = 0;
    nonZero.forEach((x, i) => {
      if (x > 0) v += ranks[i] as number;
    });
    const all = rankWithTies(d.map(Math.abs)).tieSizes;
    return { v, n: nonZero.length, ties: tieSizes.length > 0, allTies: all };
  };
  const values = fc.array(
    fc.oneof(
      fc.integer({ min: -6, max: 6 }).map((v) => v / 4),
      fc.double({ min: -10, max: 10, noNaN: true }),
    ),
    { minLength: 1, maxLength: 70 },
  );

  it("V, n, zeros and ties equal ranking with rankWithTies", () => {
    fc.assert(
      fc.property(values, (d) => {
        const r = wilcoxonSignedRank(d);
        const ref = reference(d);
        return (
          r.v === (ref.n === 0 ? 0 : ref.v) &&
          r.n === ref.n &&
          r.zeros === d.length - ref.n &&
          r.ties === (ref.n === 0 ? false : ref.ties)
        );
      }),
      { numRuns: 300 },
    );
  });

  it("the interval's ranks use the ties of every |d|, the zeros included", () => {
    fc.assert(
      fc.property(values, (d) => {
        const r = walshHodgesLehmann(d);
        const n = d.length;
        const exact = reference(d).allTies.length === 0 && !d.includes(0) && n <= 50;
        if (exact) return r.method === "exact";
        let tieTerm = 0;
        for (const t of reference(d).allTies) tieTerm += t * t * t - t;
        const sigma = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48);
        const ranks = asymptoticBoundRanks((n * (n + 1)) / 2, sigma, 0.95);
        return (
          r.method === "asymptotic" &&
          r.lowerRank === ranks.lowerRank &&
          r.upperRank === ranks.upperRank
        );
      }),
      { numRuns: 300 },
    );
  });

  it("pairedRatioFromLogs equals the test and the interval of the log differences", () => {
    const positive = fc.array(fc.integer({ min: 50, max: 60 }), { minLength: 40, maxLength: 40 });
    fc.assert(
      fc.property(positive, positive, (x, y) => {
        const d = x.map((xi, i) => Math.log(xi) - Math.log(y[i] as number));
        const r = pairedRatioFromLogs(x, y);
        const hl = walshHodgesLehmann(d);
        const test = wilcoxonSignedRank(d);
        return (
          r.ratio === Math.exp(hl.estimate) &&
          r.lower === Math.exp(hl.lower) &&
          r.upper === Math.exp(hl.upper) &&
          r.p === test.p &&
          r.method === test.method
        );
      }),
      { numRuns: 100 },
    );
  });
});
