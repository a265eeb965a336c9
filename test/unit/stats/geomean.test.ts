import { describe, expect, it } from "vitest";
import { geometricMeanRatio } from "../../../src/stats/geomean.js";
import { expectClose } from "./helpers.js";

describe("geometricMeanRatio", () => {
  it("matches the t interval on log ratios computed in R", () => {
    // R 4.2.2: r <- c(1.02, 0.97, 1.10, 1.05, 0.99, 1.21, 0.93); l <- log(r)
    // h <- qt(0.975, length(l) - 1) * sd(l) / sqrt(length(l)); exp(c(mean(l), mean(l) - h, mean(l) + h))
    const g = geometricMeanRatio([1.02, 0.97, 1.1, 1.05, 0.99, 1.21, 0.93]);
    expect(g.n).toBe(7);
    expectClose(g.geomean, 1.0350936137266429, 1e-14);
    expectClose(g.lower ?? Number.NaN, 0.95444231068348562, 1e-13);
    expectClose(g.upper ?? Number.NaN, 1.1225600302761378, 1e-13);
  });

  it("uses the requested level", () => {
    // R 4.2.2: l <- log(c(0.8, 1.25)); h <- qt(0.95, 1) * sd(l) / sqrt(2); exp(mean(l) + c(0, -h, h))
    const g = geometricMeanRatio([0.8, 1.25], 0.9);
    expectClose(g.geomean, 1, 1e-15);
    expectClose(g.lower ?? Number.NaN, 0.24441860360129788, 1e-13);
    expectClose(g.upper ?? Number.NaN, 4.0913415970219127, 1e-13);
  });

  it("has no interval for a single ratio and rejects invalid ratios", () => {
    expect(geometricMeanRatio([1.3])).toEqual({
      geomean: 1.3,
      lower: null,
      upper: null,
      n: 1,
      level: 0.95,
    });
    expect(() => geometricMeanRatio([])).toThrow(RangeError);
    expect(() => geometricMeanRatio([1, -2])).toThrow(RangeError);
    expect(() => geometricMeanRatio([1, 2], 1)).toThrow(RangeError);
  });
});
