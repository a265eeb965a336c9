import { beforeAll, describe, expect, it } from "vitest";
import type { FailedRun, ResultsFile } from "../../../src/results/schema.js";
import { benchRun, buildFixtureLib, tempDir } from "../../helpers/cli.js";

/**
 * The workloads' own validation catches a real allocator bug: test/fixtures/libs/overlap.c is a
 * real shared library that forwards to glibc but now and then hands out a block overlapping one
 * the program still holds. larson (random sizes, long-lived slots) must fail with the
 * heap-corruption reason under it, while glibc's own runs of the same cells stay ok.
 */
describe("workload validation against an allocator that returns overlapping blocks", () => {
  let results: ResultsFile;
  let exitCode: number | undefined;

  beforeAll(async () => {
    const dir = await tempDir();
    const lib = await buildFixtureLib("overlap", dir);
    const run = await benchRun(
      [
        "--quick",
        "-w",
        "larson",
        "-a",
        "glibc",
        "--allocator",
        `overlap=${lib}`,
        "-t",
        "1,2",
        "-n",
        "1",
        "--warmup",
        "0",
      ],
      { dir },
    );
    exitCode = run.exitCode;
    results = run.results;
  }, 300_000);

  it("records every overlap run as heap corruption, with the workload's message", () => {
    const runs = results.runs.filter((r) => r.allocator === "overlap");
    expect(runs).toHaveLength(2);
    for (const r of runs) {
      expect(r.status).toBe("failed");
      const f = r as FailedRun;
      expect(f.failure.kind).toBe("heap-corruption");
      expect(f.exitCode).toBe(3);
      expect(f.stderrTail).toMatch(/heap corruption detected: block .* expected/);
    }
    // The allocator really was interposed (identity probe): not a preload mix-up.
    expect(results.warnings.some((w) => w.includes("overlap"))).toBe(false);
  });

  it("keeps glibc's runs of the same cells ok and exits 1 for the failures", () => {
    const ok = results.runs.filter((r) => r.allocator === "glibc");
    expect(ok).toHaveLength(2);
    expect(ok.every((r) => r.status === "ok")).toBe(true);
    expect(exitCode).toBe(1);
  });
});
