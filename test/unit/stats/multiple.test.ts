import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { benjaminiHochberg } from "../../../src/stats/multiple.js";
import { expectClose } from "./helpers.js";

describe("benjaminiHochberg vs R p.adjust(p, 'BH')", () => {
  // R 4.2.2, p.adjust(p, method = "BH"); NA in R ↔ NaN here.
  const cases: [number[], number[]][] = [
    [
      [0.01, 0.04, 0.03, 0.2, 0.5, 0.04, 0.001, 0.9],
      [
        0.040000000000000001, 0.064000000000000001, 0.064000000000000001, 0.26666666666666666,
        0.5714285714285714, 0.064000000000000001, 0.0080000000000000002, 0.90000000000000002,
      ],
    ],
    [
      [0.02, Number.NaN, 0.01, 0.5, Number.NaN, 0.03],
      [
        0.039999999999999994,
        Number.NaN,
        0.039999999999999994,
        0.5,
        Number.NaN,
        0.039999999999999994,
      ],
    ],
    [
      [0.05, 0.05, 0.05, 0.05],
      [0.050000000000000003, 0.050000000000000003, 0.050000000000000003, 0.050000000000000003],
    ],
    [
      [1e-10, 0.7, 0.2, 0.049, 0.011, 1, 0],
      [
        3.5000000000000003e-10, 0.81666666666666665, 0.27999999999999997, 0.085750000000000007,
        0.025666666666666667, 1, 0,
      ],
    ],
    [[0.3], [0.3]],
  ];
  cases.forEach(([p, expected], i) => {
    it(`case ${i + 1}`, () => {
      const adjusted = benjaminiHochberg(p);
      expect(adjusted).toHaveLength(expected.length);
      adjusted.forEach((a, j) => {
        const e = expected[j] ?? 0;
        if (Number.isNaN(e)) expect(a).toBeNaN();
        else expectClose(a, e, 1e-15);
      });
    });
  });

  it("handles empty input and rejects values outside [0, 1]", () => {
    expect(benjaminiHochberg([])).toEqual([]);
    expect(() => benjaminiHochberg([0.5, 1.2])).toThrow(RangeError);
    expect(() => benjaminiHochberg([-0.1])).toThrow(RangeError);
  });

  it("property: adjusted ≥ raw, ≤ 1, and monotone in the order of the raw p-values", () => {
    const p = fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 0.05, 1));
    fc.assert(
      fc.property(fc.array(p, { maxLength: 30 }), (raw) => {
        const adjusted = benjaminiHochberg(raw);
        raw.forEach((r, i) => {
          const a = adjusted[i] ?? Number.NaN;
          expect(a).toBeGreaterThanOrEqual(r);
          expect(a).toBeLessThanOrEqual(1);
        });
        const order = raw.map((_, i) => i).sort((i, j) => (raw[i] ?? 0) - (raw[j] ?? 0));
        for (let k = 1; k < order.length; k++) {
          expect(adjusted[order[k] ?? 0]).toBeGreaterThanOrEqual(adjusted[order[k - 1] ?? 0] ?? 0);
        }
      }),
      { numRuns: 200 },
    );
  });
});
