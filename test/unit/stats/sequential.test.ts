import { describe, expect, it } from "vitest";
import { lookAlphas, plannedLooks, pocockSpending } from "../../../src/stats/sequential.js";

// Reference: the Lan-DeMets Pocock-type spending function alpha * ln(1 + (e - 1) t), as in R's
// gsDesign::sfLDPocock; the numbers below are Python's math.log of that formula, e.g.
//   0.05 * math.log(1 + (math.e - 1) * 0.5) = 0.031005725347913876
describe("alpha spending of the sequential gate", () => {
  it("spends alpha by information fraction, all of it at t = 1", () => {
    expect(pocockSpending(0, 0.05)).toBe(0);
    expect(pocockSpending(0.5, 0.05)).toBeCloseTo(0.031005725347913876, 12);
    expect(pocockSpending(1, 0.05)).toBeCloseTo(0.05, 12);
  });

  it("plans looks growing by half, ending at the maximum", () => {
    expect(plannedLooks(10, 40)).toEqual([10, 15, 23, 35, 40]);
    expect(plannedLooks(10, 10)).toEqual([10]);
    expect(plannedLooks(10, 60)).toEqual([10, 15, 23, 35, 53, 60]);
  });

  it("each look's share: increments that sum to alpha (union bound over looks)", () => {
    const shares = lookAlphas([10, 15, 23, 35, 40], 0.05);
    const reference = [
      0.01786870097543942, 0.00699873037696299, 0.009489327161113063, 0.011527661218934483,
      0.004115580267550045,
    ];
    shares.forEach((a, i) => expect(a).toBeCloseTo(reference[i] as number, 12));
    expect(shares.reduce((x, y) => x + y, 0)).toBeCloseTo(0.05, 12);
  });
});
