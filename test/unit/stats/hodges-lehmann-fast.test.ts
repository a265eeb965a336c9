/**
 * The selection-based order statistics of the pairwise differences against the naive path that
 * sorts all n₁·n₂ of them: the values must be the same doubles, bit for bit.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  hodgesLehmann,
  pairwiseDifferenceOrderStatistics,
  sortedPairwiseDifferences,
} from "../../../src/stats/hodges-lehmann.js";
import { rankWithTies } from "../../../src/stats/ranks.js";
import { normalQuantile } from "../../../src/stats/special.js";

/** Samples large enough for the selection (more than 256 pairs) as well as tiny ones. */
const continuous = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), {
  minLength: 1,
  maxLength: 60,
});
/** Few distinct values: many ties, and many equal differences. */
const tied = fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 60 });
/** Log-scaled run times, as the reports compare them. */
const logTimes = fc.array(
  fc.double({ min: 0.001, max: 100, noNaN: true }).map((v) => Math.log(v)),
  { minLength: 1, maxLength: 60 },
);
/** Extremes: subtraction overflows to ±Infinity, subnormals, signed zeros. */
const extreme = fc.array(
  fc.oneof(
    fc.constantFrom(0, -0, Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324, -5e-324, 1, -1),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  ),
  { minLength: 1, maxLength: 40 },
);

function expectSameOrderStatistics(x: number[], y: number[]): void {
  const sorted = sortedPairwiseDifferences(x, y);
  const ranks = Array.from({ length: sorted.length }, (_, i) => i + 1);
  const fast = pairwiseDifferenceOrderStatistics(x, y, ranks);
  for (const [i, v] of fast.entries()) {
    if (!Object.is(v, sorted[i]))
      expect({ rank: i + 1, value: v }).toEqual({ rank: i + 1, value: sorted[i] });
  }
}

/** hodgesLehmann as it was: every difference sorted, the asymptotic crossing by a linear scan. */
function naiveHodgesLehmann(x: number[], y: number[], method: "exact" | "asymptotic") {
  const r = hodgesLehmann(x, y, { method });
  const d = sortedPairwiseDifferences(x, y);
  const nPairs = d.length;
  const mid = Math.floor(nPairs / 2);
  const estimate =
    nPairs % 2 === 1 ? (d[mid] as number) : ((d[mid - 1] as number) + (d[mid] as number)) / 2;
  let lowerRank = r.lowerRank;
  let upperRank = r.upperRank;
  if (method === "asymptotic") {
    const n1 = x.length;
    const n2 = y.length;
    const n = n1 + n2;
    let tieTerm = 0;
    for (const t of [...rankWithTies(x).tieSizes, ...rankWithTies(y).tieSizes])
      tieTerm += t * t * t - t;
    const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
    const zq = normalQuantile(1 - 0.05 / 2);
    const w = (c: number): number => {
      const dz = nPairs - c - nPairs / 2;
      return (dz - Math.sign(dz) * 0.5) / sigma;
    };
    const crossing = (target: number): number => {
      for (let c = 0; c <= nPairs; c++) if (w(c) - target <= 0) return Math.max(1, c);
      return nPairs;
    };
    lowerRank = crossing(zq);
    upperRank = crossing(-zq);
  }
  return {
    fast: r,
    naive: {
      estimate,
      lower: d[lowerRank - 1] ?? Number.NaN,
      upper: d[upperRank - 1] ?? Number.NaN,
      lowerRank,
      upperRank,
    },
  };
}

describe("pairwise difference order statistics without sorting every difference", () => {
  for (const [name, arb] of Object.entries({ continuous, tied, logTimes, extreme })) {
    it(`equals the sorted differences at every rank (${name})`, () => {
      fc.assert(
        fc.property(arb, arb, (x, y) => expectSameOrderStatistics(x, y)),
        { numRuns: 150 },
      );
    });
  }

  it("hodgesLehmann returns what sorting every difference returned", () => {
    for (const [name, arb] of Object.entries({ continuous, tied, logTimes })) {
      fc.assert(
        fc.property(arb, arb, fc.constantFrom("exact", "asymptotic"), (x, y, method) => {
          if (method === "exact" && new Set([...x, ...y]).size < x.length + y.length) return;
          const { fast, naive } = naiveHodgesLehmann(x, y, method as "exact" | "asymptotic");
          expect({ name, ...naive }).toEqual({
            name,
            estimate: fast.estimate,
            lower: fast.lower,
            upper: fast.upper,
            lowerRank: fast.lowerRank,
            upperRank: fast.upperRank,
          });
        }),
        { numRuns: 150 },
      );
    }
  });

  it("handles 100 x 100 runs of one cell (the report benchmark's size)", () => {
    let seed = 1;
    const next = (): number => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const x = Array.from({ length: 100 }, () => Math.log(0.1 * (1 + 0.04 * next())));
    const y = Array.from({ length: 100 }, () => Math.log(0.2 * (1 + 0.04 * next())));
    expectSameOrderStatistics(x, y);
    const { fast, naive } = naiveHodgesLehmann(x, y, "asymptotic");
    expect(naive).toEqual({
      estimate: fast.estimate,
      lower: fast.lower,
      upper: fast.upper,
      lowerRank: fast.lowerRank,
      upperRank: fast.upperRank,
    });
  });
});
