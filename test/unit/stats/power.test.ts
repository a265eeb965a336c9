import { describe, expect, it } from "vitest";
import {
  detectableStandardErrors,
  minimumDetectableChange,
  minimumDetectableLogRatio,
} from "../../../src/stats/power.js";

// Reference: SciPy 1.17 (scipy.stats.norm), e.g.
//   norm.ppf(0.975) + norm.ppf(0.8) = 2.8015852181129683
// which is also R's pwr::pwr.norm.test(n = 1, sig.level = 0.05, power = 0.8)$d.
describe("minimum detectable effect (normal approximation of the rank tests)", () => {
  it("detectable effect in standard errors: z_{1-alpha/2} + z_{power}", () => {
    expect(detectableStandardErrors(0.05, 0.8)).toBeCloseTo(2.8015852181129683, 9);
    // norm.ppf(0.995) + norm.ppf(0.9)
    expect(detectableStandardErrors(0.01, 0.9)).toBeCloseTo(3.8573808690935008, 9);
    // norm.ppf(0.95) + norm.ppf(0.8)
    expect(detectableStandardErrors(0.1)).toBeCloseTo(2.4864748605243863, 9);
  });

  it("reads the standard error off the CI half-width", () => {
    // h = (ln 1.09 - ln 0.95) / 2 = 0.0687354953; se = h / norm.ppf(0.975) = 0.0350697747;
    // mde = se * 2.8015852181 = 0.0982509623; e^mde - 1 = 0.1032396220.
    // SciPy's brentq on the exact two-sided power, norm.sf(1.96 - d/se) + norm.cdf(-1.96 - d/se)
    // = 0.8, gives d = 0.0982508420: the far tail the formula leaves out changes d by 1e-7.
    expect(minimumDetectableLogRatio(0.95, 1.09, 0.95, 0.05)).toBeCloseTo(0.09825096233970361, 9);
    expect(minimumDetectableChange(0.95, 1.09, 0.95, 0.05)).toBeCloseTo(0.10323962196602435, 9);
    // A 90% CI [0.99, 1.03] at alpha 0.02: se = ((ln 1.03 - ln 0.99) / 2) / norm.ppf(0.95),
    // mde = se * (norm.ppf(0.99) + norm.ppf(0.8)); e^mde - 1 = 0.038880167994706935.
    expect(minimumDetectableChange(0.99, 1.03, 0.9, 0.02)).toBeCloseTo(0.038880167994706935, 9);
  });

  it("a point interval sees every change; an unbounded one none", () => {
    expect(minimumDetectableChange(1.02, 1.02, 0.95, 0.05)).toBe(0);
    expect(minimumDetectableChange(0, 1.5, 0.95, 0.05)).toBe(Number.POSITIVE_INFINITY);
    expect(minimumDetectableChange(1, Number.POSITIVE_INFINITY, 0.95, 0.05)).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it("refuses alpha, power or level outside (0, 1)", () => {
    expect(() => detectableStandardErrors(0)).toThrow(RangeError);
    expect(() => detectableStandardErrors(0.05, 1)).toThrow(RangeError);
    expect(() => minimumDetectableChange(0.9, 1.1, 1, 0.05)).toThrow(RangeError);
  });
});
