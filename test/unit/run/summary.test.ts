import { describe, expect, it } from "vitest";
import type { ResultsFile } from "../../../src/results/schema.js";
import { formatSummary, summarize } from "../../../src/run/summary.js";
import { roundsFile } from "../../helpers/records.js";

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
