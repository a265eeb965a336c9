import { describe, expect, it } from "vitest";
import type { ResultsFile } from "../../../src/results/schema.js";
import { compareAllocators } from "../../../src/analysis/comparisons.js";
import { metricInfo } from "../../../src/analysis/metrics.js";
import { formatSummary, summarize } from "../../../src/report/run-summary.js";
import { roundsFile } from "../../../testkit/records.js";

const file = (
  samples: Record<string, { seconds: number; instructions?: number }[]>,
  measure?: "instructions",
  planned?: string[],
): ResultsFile =>
  roundsFile(samples, {
    ...(measure ? { measure } : {}),
    ...(planned ? { allocators: planned } : {}),
  });

describe("summarize", () => {
  it("ranks timed runs on seconds", () => {
    const s = summarize(
      file({
        glibc: [1, 1.01, 0.99, 1.02, 0.98].map((seconds) => ({ seconds })),
        slow: [2, 2.02, 1.98, 2.04, 1.96].map((seconds) => ({ seconds })),
      }),
      "glibc",
    );
    expect(s.metric).toBe("seconds");
    expect(s.rows.find((r) => r.allocator === "slow")?.ratio).toBeCloseTo(2, 6);
    expect(formatSummary(s)).toMatch(/median s/);
  });

  it("gives the report's ratio (Hodges-Lehmann), not the ratio of medians, when they differ", () => {
    // Bimodal samples: the medians' ratio is 2, the estimate over all pairs of runs is 1.
    const results = file({
      glibc: [1, 1, 1, 1, 2, 2, 2].map((seconds) => ({ seconds })),
      other: [1, 1, 1, 2, 2, 2, 2].map((seconds) => ({ seconds })),
    });
    const report = compareAllocators(results, "glibc", {
      metric: metricInfo("seconds"),
      alpha: 0.05,
      level: 0.95,
      threshold: 0,
    }).rows.find((r) => r.allocator === "other")?.result;
    if (report?.kind !== "compared") throw new Error("expected a comparison");
    const row = summarize(results, "glibc").rows.find((r) => r.allocator === "other");
    expect(row?.ratio).toBe(report.ratio);
    expect(row?.ratio).not.toBeCloseTo(2, 3);
    expect(formatSummary(summarize(results, "glibc"))).toMatch(
      /Hodges-Lehmann estimate as in bench report/,
    );
  });

  it("ranks runs counted under callgrind on instructions, not on valgrind's times", () => {
    // Under valgrind "slow" took less wall time but counted 10% more instructions.
    const s = summarize(
      file(
        {
          glibc: [{ seconds: 9, instructions: 1_000_000 }],
          slow: [{ seconds: 7, instructions: 1_100_000 }],
        },
        "instructions",
      ),
      "glibc",
    );
    expect(s.metric).toBe("instructions");
    const slow = s.rows.find((r) => r.allocator === "slow");
    expect(slow?.ratio).toBeCloseTo(1.1, 9);
    expect(slow?.medianInstructions).toBe(1_100_000);
    expect(slow?.mark).toBe("-");
    const text = formatSummary(s);
    expect(text).toMatch(/M instr/);
    expect(text).toMatch(/counted under callgrind/);
    expect(text).not.toMatch(/median s/);
  });

  it("leaves out cells that have no runs at all (skipped or never reached)", () => {
    const s = summarize(
      file({ glibc: [{ seconds: 1 }] }, undefined, ["glibc", "sqlite-only-on-glibc"]),
      "glibc",
    );
    expect(s.rows.map((r) => r.allocator)).toEqual(["glibc"]);
  });
});
