import { describe, expect, it } from "vitest";
import {
  compareResults,
  decideCountedVerdict,
  deterministicTolerance,
  DEFAULT_TOLERANCE,
} from "../../../src/analysis/comparisons.js";
import { metricInfo } from "../../../src/analysis/metrics.js";
import { UsageError } from "../../../src/errors.js";
import type { ResultsFile, RunRecord } from "../../../src/results/schema.js";
import { okRun, resultsHeader } from "../../../testkit/records.js";

const instructions = metricInfo("instructions");

function counted(values: number[], measure?: "instructions"): ResultsFile {
  const runs: RunRecord[] = values.map((v, round) =>
    okRun({
      key: `larson/glibc/t1#r${round}`,
      round,
      metrics: { ...okRun().metrics, instructions: v, allocatorInstructions: v / 2 },
    }),
  );
  return {
    ...resultsHeader,
    plan: { ...resultsHeader.plan, allocators: ["glibc"], ...(measure ? { measure } : {}) },
    finishedAt: null,
    complete: true,
    warnings: [],
    runs,
  };
}

describe("counted metrics: tolerance instead of a test", () => {
  it("uses the tolerance only for deterministic metrics of callgrind files", () => {
    const a = counted([100], "instructions");
    expect(deterministicTolerance(instructions, [a, a], undefined)).toBe(DEFAULT_TOLERANCE);
    expect(deterministicTolerance(instructions, [a, a], 0.01)).toBe(0.01);
    // perf counters are not deterministic: the usual test
    const perf = counted([100]);
    expect(deterministicTolerance(instructions, [perf, perf], undefined)).toBeUndefined();
    expect(deterministicTolerance(metricInfo("seconds"), [a, a], undefined)).toBeUndefined();
  });

  it("refuses --tolerance where it does not apply and mixed measurement modes", () => {
    const a = counted([100], "instructions");
    expect(() => deterministicTolerance(metricInfo("seconds"), [a, a], 0.01)).toThrow(UsageError);
    expect(() => deterministicTolerance(instructions, [a, counted([100])], undefined)).toThrow(
      /cannot be compared/,
    );
  });

  it("decides on the ratio of medians against 1 ± tolerance, in the metric's direction", () => {
    expect(decideCountedVerdict(1.004, 0.005, instructions)).toBe("same");
    expect(decideCountedVerdict(1.01, 0.005, instructions)).toBe("regressed");
    expect(decideCountedVerdict(0.99, 0.005, instructions)).toBe("improved");
    expect(decideCountedVerdict(1 / 1.004, 0.005, instructions)).toBe("same");
  });

  it("one run per side suffices; identical counts are the same, +1% is a regression", () => {
    const opts = { metric: instructions, alpha: 0.05, level: 0.95, threshold: 0, tolerance: 0.005 };
    const base = counted([1_000_000], "instructions");
    const same = compareResults(base, counted([1_000_020], "instructions"), opts);
    expect(same.rows[0]?.result).toMatchObject({ kind: "compared", verdict: "same" });
    const slower = compareResults(
      base,
      counted([1_010_000, 1_010_000, 1_009_000], "instructions"),
      opts,
    );
    const r = slower.rows[0]?.result;
    expect(r).toMatchObject({ kind: "compared", verdict: "regressed" });
    if (r?.kind !== "compared") throw new Error("not compared");
    expect(r.ratio).toBeCloseTo(1.01, 6);
    expect(r.lower).toBeCloseTo(1.009, 6);
    expect(r.upper).toBeCloseTo(1.01, 6);
    expect(Number.isNaN(r.p)).toBe(true);
  });
});
