import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadResults } from "../../src/results/io.js";
import type { ResultsFile } from "../../src/results/schema.js";
import { bench, FIXTURE_WORKLOADS, tempDir } from "../helpers/cli.js";

function measuredPerCell(results: ResultsFile): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of results.runs) {
    if (r.warmup) continue;
    const key = `${r.workload}/${r.allocator}/t${r.threads}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** bench run --precision: rounds are added per cell until its median CI is narrow enough. */
describe("adaptive sampling", () => {
  const base = [
    "run",
    "--workload-dir",
    FIXTURE_WORKLOADS,
    "-w",
    "ok-tiny",
    "-a",
    "glibc,musl",
    "-t",
    "1",
    "-n",
    "3",
    "--warmup",
    "0",
  ];

  it("adds rounds until a median CI exists and fits, within --max-runs", async () => {
    const dir = await tempDir();
    const out = path.join(dir, "a.json");
    const r = await bench([...base, "--precision", "95%", "--max-runs", "20", "-o", out], {
      env: { MALLOCBENCH_LOCK: path.join(dir, "lock") },
    });
    expect(r.exitCode, String(r.all)).toBe(0);
    const results = await loadResults(out);
    expect(results.plan).toMatchObject({ precision: 0.95, maxRuns: 20 });
    for (const n of measuredPerCell(results).values()) {
      expect(n).toBeGreaterThanOrEqual(6); // the first n with a distribution-free 95% CI of the median
      expect(n).toBeLessThanOrEqual(20);
    }
    expect(new Set(results.runs.map((x) => x.key)).size).toBe(results.runs.length);
  });

  it("says which cells did not converge", async () => {
    const dir = await tempDir();
    const out = path.join(dir, "b.json");
    const r = await bench([...base, "--precision", "0.0001%", "--max-runs", "7", "-o", out], {
      env: { MALLOCBENCH_LOCK: path.join(dir, "lock") },
    });
    expect(r.exitCode, String(r.all)).toBe(0);
    expect(String(r.stderr)).toMatch(
      /warning: 2 cell\(s\) did not reach ±0\.0% .* within 7 runs: .*ok-tiny\/glibc\/t1/,
    );
    const results = await loadResults(out);
    expect([...measuredPerCell(results).values()]).toEqual([7, 7]);
    expect(results.warnings.some((w) => w.includes("did not reach"))).toBe(true);
    expect(results.complete).toBe(true);
  });

  it("refuses --max-runs without --precision", async () => {
    const r = await bench([...base, "--max-runs", "9"]);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr).trim()).toBe(
      "bench: --max-runs and --max-time bound adaptive sampling: give --precision too",
    );
  });
});
