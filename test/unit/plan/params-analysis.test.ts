import { describe, expect, it } from "vitest";
import { compareAllocators, compareResults } from "../../../src/analysis/comparisons.js";
import { formatReport } from "../../../src/analysis/format.js";
import { metricInfo } from "../../../src/analysis/metrics.js";
import { cellSummaries } from "../../../src/export/cells.js";
import type { ResultsFile, RunRecord } from "../../../src/results/schema.js";
import { summarize } from "../../../src/report/run-summary.js";
import { okRun, resultsHeader } from "../../../testkit/records.js";

const options = { metric: metricInfo("seconds"), alpha: 0.05, level: 0.95, threshold: 0.05 };
const base = [1.0, 1.01, 0.99, 1.02, 0.98, 1.0, 1.01, 0.99, 1.0, 1.02];

/**
 * larson with slots=500 and slots=1000. jemalloc is 20% slower than glibc at slots=500 and equal
 * at slots=1000; across parameter values the times differ 3x, so pooling the two values (or
 * comparing across them) would give other verdicts.
 */
function scanned(): ResultsFile {
  const times: Record<string, Record<string, number[]>> = {
    "500": { glibc: base, jemalloc: base.map((x) => x * 1.2) },
    "1000": { glibc: base.map((x) => x * 3), jemalloc: base.map((x) => x * 3) },
  };
  const runs: RunRecord[] = [];
  for (const [slots, byAllocator] of Object.entries(times))
    for (const [allocator, values] of Object.entries(byAllocator))
      values.forEach((s, round) =>
        runs.push(
          okRun({
            key: `larson/${allocator}/t1/slots=${slots}#r${round}`,
            allocator,
            params: { slots },
            round,
            metrics: { ...okRun().metrics, seconds: s },
          }),
        ),
      );
  return {
    ...resultsHeader,
    plan: {
      ...resultsHeader.plan,
      allocators: ["glibc", "jemalloc"],
      params: { slots: ["500", "1000"] },
    },
    finishedAt: null,
    complete: true,
    warnings: [],
    runs,
  };
}

describe("analysis of --param scans", () => {
  it("compares allocators only within cells of equal parameters", () => {
    const report = compareAllocators(scanned(), "glibc", options);
    expect(report.rows).toHaveLength(2);
    const at = (slots: string) => report.rows.find((r) => r.params?.["slots"] === slots);
    expect(at("500")?.result.kind === "compared" && at("500")?.result).toMatchObject({
      verdict: "regressed",
    });
    expect(at("1000")?.result.kind === "compared" && at("1000")?.result).toMatchObject({
      verdict: "same",
    });
    expect(at("500")?.candidate?.n).toBe(10);
    expect(at("500")?.baseline?.median).toBeCloseTo(1.0, 2);
    expect(formatReport(report, "text")).toContain("larson[slots=500]");
  });

  it("compares a file with itself cell by cell, parameters included", () => {
    const report = compareResults(scanned(), scanned(), options);
    expect(report.rows).toHaveLength(4);
    expect(new Set(report.rows.map((r) => `${r.allocator}/${r.params?.["slots"]}`)).size).toBe(4);
    expect(report.rows.every((r) => r.candidate?.median === r.baseline?.median)).toBe(true);
  });

  it("summarizes and exports one row per parameter value", () => {
    const summary = summarize(scanned(), "glibc");
    const jemalloc = summary.rows.filter((r) => r.allocator === "jemalloc");
    expect(jemalloc.map((r) => [r.params?.["slots"], r.ratio?.toFixed(2)])).toEqual([
      ["500", "1.20"],
      ["1000", "1.00"],
    ]);
    const cells = cellSummaries(scanned(), [metricInfo("seconds")]);
    expect(cells.map((c) => `${c.allocator}/${c.params?.["slots"]}/${c.n}`).sort()).toEqual([
      "glibc/1000/10",
      "glibc/500/10",
      "jemalloc/1000/10",
      "jemalloc/500/10",
    ]);
  });
});
