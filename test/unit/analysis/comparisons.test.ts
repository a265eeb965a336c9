import { describe, expect, it } from "vitest";
import {
  compareAllocators,
  compareResults,
  decideVerdict,
} from "../../../src/analysis/comparisons.js";
import { formatReport } from "../../../src/analysis/format.js";
import { metricInfo } from "../../../src/analysis/metrics.js";
import { testbedMismatch, testbedOf } from "../../../src/analysis/testbed.js";
import type { ResultsFile, RunRecord } from "../../../src/results/schema.js";
import { okRun, resultsHeader } from "../../helpers/records.js";

const seconds = metricInfo("seconds");
const options = { metric: seconds, alpha: 0.05, level: 0.95, threshold: 0.05 };

function results(samples: Record<string, number[]>): ResultsFile {
  const runs: RunRecord[] = [];
  for (const [allocator, values] of Object.entries(samples)) {
    values.forEach((s, round) =>
      runs.push(
        okRun({
          key: `larson/${allocator}/t1#r${round}`,
          allocator,
          round,
          metrics: { ...okRun().metrics, seconds: s },
        }),
      ),
    );
  }
  return {
    ...resultsHeader,
    plan: { ...resultsHeader.plan, allocators: Object.keys(samples) },
    finishedAt: null,
    complete: true,
    warnings: [],
    runs,
  };
}

// Deterministic samples with a clear 20% difference and little spread.
const base = [1.0, 1.01, 0.99, 1.02, 0.98, 1.0, 1.01, 0.99, 1.0, 1.02];
const slow = base.map((x) => x * 1.2);

describe("decideVerdict", () => {
  it("needs significance and the whole CI beyond the threshold", () => {
    expect(decideVerdict({ lower: 1.1, upper: 1.3 }, 0.01, options)).toBe("regressed");
    expect(decideVerdict({ lower: 1.1, upper: 1.3 }, 0.2, options)).toBe("same");
    expect(decideVerdict({ lower: 1.02, upper: 1.3 }, 0.01, options)).toBe("same");
    expect(decideVerdict({ lower: 0.7, upper: 0.9 }, 0.01, options)).toBe("improved");
  });
  it("reads direction from the metric: higher throughput is an improvement", () => {
    const throughput = { ...options, metric: metricInfo("opsPerSecond") };
    expect(decideVerdict({ lower: 1.1, upper: 1.3 }, 0.01, throughput)).toBe("improved");
    expect(decideVerdict({ lower: 0.7, upper: 0.9 }, 0.01, throughput)).toBe("regressed");
  });
});

describe("compareAllocators", () => {
  it("flags a 20% slower allocator, keeps an identical one the same, and corrects across both", () => {
    const report = compareAllocators(
      results({ glibc: base, slow, same: [...base].reverse() }),
      "glibc",
      options,
    );
    expect(report.rows).toHaveLength(2);
    const [slowRow, sameRow] = report.rows;
    expect(slowRow?.result).toMatchObject({ kind: "compared", verdict: "regressed" });
    if (slowRow?.result.kind === "compared") {
      expect(slowRow.result.ratio).toBeCloseTo(1.2, 2);
      expect(slowRow.result.adjustedP).toBeGreaterThanOrEqual(slowRow.result.p);
    }
    expect(sameRow?.result).toMatchObject({ kind: "compared", verdict: "same", ratio: 1 });
    expect(formatReport(report, "text")).toMatch(/larson\s+1\s+slow\s+glibc.*slower/);
    expect(report.summary.map((s) => s.allocator)).toEqual(["slow", "same"]);
  });

  it("says how many runs are needed when too few exist", () => {
    const report = compareAllocators(
      results({ glibc: [1, 1.1], slow: [2, 2.1] }),
      "glibc",
      options,
    );
    expect(report.rows[0]?.result).toMatchObject({ kind: "too-few-runs", runsNeeded: 4 });
    expect(formatReport(report, "text")).toContain("too few runs (need 4)");
  });

  it("escapes markdown from results files", () => {
    const report = compareAllocators(results({ glibc: base, "a|b": slow }), "glibc", options);
    expect(formatReport(report, "markdown")).toContain("a\\|b");
  });
});

describe("compareResults and testbeds", () => {
  it("compares the same cell across two files", () => {
    const report = compareResults(results({ glibc: base }), results({ glibc: slow }), options);
    expect(report.rows[0]).toMatchObject({
      allocator: "glibc",
      against: "glibc (baseline)",
      result: { verdict: "regressed" },
    });
  });

  it("names what differs between testbeds", () => {
    const a = testbedOf(results({ glibc: base }));
    expect(testbedMismatch(a, a)).toBeNull();
    const other = { ...resultsHeader.environment, arch: "aarch64" };
    expect(testbedMismatch(a, testbedOf({ environment: other }))).toBe(
      "architecture x86_64 vs aarch64",
    );
    expect(
      testbedMismatch(a, testbedOf({ environment: { ...resultsHeader.environment, cores: 16 } })),
    ).toBe("2 vs 16 CPUs");
  });
});
