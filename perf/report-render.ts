/**
 * npm run perf:report — how long `bench report` takes on a results file of 100,000 runs.
 *
 * A synthetic results file (seeded, validated by the real schema) is written to a temporary
 * directory: 25 workloads × 8 allocators × 5 thread counts = 1,000 cells × 100 rounds = 100,000
 * measured runs, each with latency percentiles, live bytes and a 20-sample RSS timeline. (100
 * runs per cell is above what adaptive sampling adds by default, max(6 × runs, 30); the cost of
 * the Hodges-Lehmann intervals grows with the square of the runs per cell, see
 * docs/reports.md.) Then the real CLI
 * (`node bin/bench.js report <file>`, every file format: md, html, svg, png) runs on it
 * REPORT_REPEATS times (default 3) and the wall times are printed. Target: under 10 s.
 * An in-process run prints where the time goes; it runs from the TypeScript sources, which have
 * no compiled render worker, so its charts render on the main thread (the CLI renders them on
 * worker threads, see src/report/render-pool.ts).
 */
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { writeReport } from "../src/report/index.js";
import { loadResultSets } from "../src/results/sets.js";
import { syntheticResults } from "../testkit/synthetic.js";

const REPEATS = Number(process.env["REPORT_REPEATS"] ?? 3);
const TARGET_S = 10;

const dir = await mkdtemp(path.join(os.tmpdir(), "mallocbench-report-bench-"));
try {
  const results = syntheticResults({
    workloads: Array.from({ length: 25 }, (_, i) => `workload-${String(i + 1).padStart(2, "0")}`),
    allocators: [
      "glibc",
      "musl",
      "jemalloc",
      "tcmalloc",
      "mimalloc",
      "scudo",
      "snmalloc",
      "hardened",
    ],
    threads: [1, 2, 4, 8, 16],
    runs: Number(process.env["REPORT_RUNS_PER_CELL"] ?? 100),
    latency: true,
    timelines: true,
    seed: 7,
  });
  const file = path.join(dir, "results.json");
  await writeFile(file, JSON.stringify(results));
  const size = (await stat(file)).size;
  console.log(
    `results file: ${results.runs.length} runs, ${(size / 2 ** 20).toFixed(1)} MiB (${file})`,
  );

  const bin = path.resolve(import.meta.dirname, "..", "bin", "bench.js");
  const walls: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const out = path.join(dir, `report-${i}`);
    const start = performance.now();
    const r = await execa("node", [bin, "report", file, "-o", out], { reject: false, all: true });
    const seconds = (performance.now() - start) / 1000;
    if (r.exitCode !== 0) throw new Error(`bench report failed (exit ${r.exitCode}):\n${r.all}`);
    walls.push(seconds);
    console.log(`bench report (md, html, svg, png), run ${i + 1}: ${seconds.toFixed(2)} s wall`);
  }
  const sorted = [...walls].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  console.log(
    `median ${median.toFixed(2)} s, min ${sorted[0]?.toFixed(2)} s over ${REPEATS} run(s); target < ${TARGET_S} s: ${median < TARGET_S ? "met" : "MISSED"}`,
  );

  // Where the time goes (in process, after loading).
  const loadStart = performance.now();
  const loadCpu = process.cpuUsage();
  const [loaded] = await loadResultSets(file);
  if (!loaded) throw new Error("no result set");
  const loadMs = performance.now() - loadStart;
  // CPU time says more than wall time on a machine shared with other work.
  const { user, system } = process.cpuUsage(loadCpu);
  const { timings } = await writeReport([{ results: loaded, source: file, baseline: "glibc" }], {
    outDir: path.join(dir, "report-inprocess"),
    formats: ["md", "html", "svg", "png"],
  });
  const parts = Object.entries({ load: loadMs, ...timings })
    .map(([name, ms]) => `${name} ${(ms / 1000).toFixed(2)} s`)
    .join(", ");
  console.log(`in process (charts on the main thread): ${parts}`);
  console.log(`loading: ${((user + system) / 1e6).toFixed(2)} s of CPU time`);
  if (median >= TARGET_S) process.exitCode = 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
