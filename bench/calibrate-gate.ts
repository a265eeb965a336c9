/**
 * npm run bench:gate — how the CI gate behaves on this machine.
 *
 * For n = 5, 10, 20 runs per cell, repeat R times: measure a baseline invocation (the slowdown
 * shim with 0 spins), then one current invocation per injected slowdown of 0% (A/A), 2%, 5% and
 * 10% (the shim with the spins that inject it), and apply `bench check`'s decision (Mann-Whitney U, Benjamini-Hochberg, Hodges-Lehmann ratio CI beyond the threshold).
 * Reports the false-alarm rate (A/A flagged) and the detection rate per slowdown, and the
 * slowdown actually injected (median ratio over all its trials).
 *
 * Environment: GATE_REPS (default 20), GATE_WORKLOAD (threadtest), GATE_SIZE (quick),
 * GATE_THRESHOLD (0.01), GATE_ALPHA (0.05), GATE_CPUS (the last CPU; "" to leave runs unpinned).
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { median } from "simple-statistics";
import { compareAllocators, compareResults } from "../src/analysis/comparisons.js";
import { metricInfo } from "../src/analysis/metrics.js";
import { parseAllocatorArg } from "../src/allocators/index.js";
import type { Size } from "../src/config.js";
import { packageRoot } from "../src/paths.js";
import type { ResultsFile } from "../src/results/schema.js";
import { runBenchmark } from "../src/run/runner.js";

const REPS = Number(process.env["GATE_REPS"] ?? 20);
const WORKLOAD = process.env["GATE_WORKLOAD"] ?? "threadtest";
const SIZE = (process.env["GATE_SIZE"] ?? "quick") as Size;
const THRESHOLD = Number(process.env["GATE_THRESHOLD"] ?? 0.01);
const ALPHA = Number(process.env["GATE_ALPHA"] ?? 0.05);
/**
 * separate: baseline and current are separate invocations (bench check --baseline file);
 * interleaved: both in one invocation, runs interleaved (bench check --against allocator).
 */
const MODE = process.env["GATE_MODE"] === "interleaved" ? "interleaved" : "separate";
/** Pinned by default: unpinned single-thread runs on this 2-vCPU VM are bimodal (0.09 s or 0.15 s). */
const CPUS =
  process.env["GATE_CPUS"] === ""
    ? null
    : (process.env["GATE_CPUS"] ?? String(os.availableParallelism() - 1));
const RUNS = [5, 10, 20];
const SLOWDOWNS = [0, 0.02, 0.05, 0.1];

let dir = "";
let shim = "";
let counter = 0;

async function measure(
  allocators: Record<string, Record<string, string>>,
  runs: number,
): Promise<ResultsFile> {
  const outcome = await runBenchmark({
    workloads: [WORKLOAD],
    allocators: Object.keys(allocators),
    userAllocators: Object.entries(allocators).map(([name, env]) => ({
      ...parseAllocatorArg(`${name}=${shim}`),
      env,
    })),
    threads: [1],
    preset: SIZE,
    size: SIZE,
    runs,
    warmup: 1,
    seed: 1 + counter,
    timeoutMs: 120_000,
    cpus: CPUS,
    rssIntervalMs: 0,
    output: path.join(dir, `r${counter++}.json`),
    workloadDirs: [],
    lockFile: path.join(dir, "lock"),
  });
  return outcome.results;
}

const OPTIONS = () => ({
  metric: metricInfo("seconds"),
  alpha: ALPHA,
  level: 0.95,
  threshold: THRESHOLD,
});

/** One interleaved invocation of base (0 spins) and cand (the slowdown), compared in the file. */
async function interleaved(env: Record<string, string>, n: number) {
  const results = await measure(
    { base: { MB_SLOWDOWN_SPINS: "0", MB_SLOWDOWN_EVERY: "10" }, cand: env },
    n,
  );
  const row = compareAllocators(results, "base", OPTIONS()).rows[0];
  if (!row || row.result.kind !== "compared")
    throw new Error(`no comparison: ${JSON.stringify(row?.result)}`);
  return row.result;
}

function ratioOf(before: ResultsFile, after: ResultsFile) {
  const report = compareResults(before, after, OPTIONS());
  const row = report.rows[0];
  if (!row || row.result.kind !== "compared")
    throw new Error(`no comparison: ${JSON.stringify(row?.result)}`);
  return row.result;
}

async function main(): Promise<void> {
  dir = await mkdtemp(path.join(os.tmpdir(), "mallocbench-gate-"));
  shim = path.join(dir, "libslowdown.so");
  await execa("cc", [
    "-shared",
    "-fPIC",
    "-O2",
    "-o",
    shim,
    path.join(packageRoot(), "test/fixtures/libs/slowdown.c"),
    "-ldl",
  ]);

  // The spins (per 10 mallocs) that inject each target: one invocation runs 0 and several spin
  // levels interleaved, 20 runs each; a least-squares line through the origin of (ratio - 1)
  // against spins gives the cost of a spin, robust to the noise of any single level.
  const EVERY = "10";
  const LEVELS = [10, 20, 40, 80, 160];
  const probe = await measure(
    Object.fromEntries(
      [0, ...LEVELS].map((spins) => [
        `s${spins}`,
        { MB_SLOWDOWN_SPINS: String(spins), MB_SLOWDOWN_EVERY: EVERY },
      ]),
    ),
    20,
  );
  const medianOf = (name: string): number =>
    median(
      probe.runs.flatMap((r) =>
        r.allocator === name && !r.warmup && r.status === "ok" ? [r.metrics.seconds] : [],
      ),
    );
  const zero = medianOf("s0");
  let sxy = 0;
  let sxx = 0;
  for (const spins of LEVELS) {
    const excess = medianOf(`s${spins}`) / zero - 1;
    console.log(`${spins} spins every ${EVERY} mallocs: ${(excess * 100).toFixed(1)}%`);
    sxy += spins * excess;
    sxx += spins * spins;
  }
  const perSpin = sxy / sxx;
  console.log(`fit: one spin per ${EVERY} mallocs costs ${(perSpin * 100).toFixed(3)}% of the run`);
  const spinsFor = new Map<number, number>(
    SLOWDOWNS.map((x) => [x, Math.max(0, Math.round(x / perSpin))]),
  );
  const envFor = (slowdown: number): Record<string, string> => ({
    MB_SLOWDOWN_SPINS: String(spinsFor.get(slowdown) ?? 0),
    MB_SLOWDOWN_EVERY: EVERY,
  });

  // Per repetition: one baseline invocation, then the A/A and each slowdown in a shuffled order,
  // each its own invocation, as a CI job would measure them.
  const rows: string[] = [];
  for (const n of RUNS) {
    const flagged = new Map<number, number>(SLOWDOWNS.map((x) => [x, 0]));
    const confirmed = new Map<number, number>(SLOWDOWNS.map((x) => [x, 0]));
    const ratios = new Map<number, number[]>(SLOWDOWNS.map((x) => [x, []]));
    for (let rep = 0; rep < REPS; rep++) {
      const before = MODE === "separate" ? await measure({ subject: envFor(0) }, n) : undefined;
      const once = async (slowdown: number) =>
        before
          ? ratioOf(before, await measure({ subject: envFor(slowdown) }, n))
          : interleaved(envFor(slowdown), n);
      const order = [...SLOWDOWNS].sort(() => Math.random() - 0.5);
      for (const slowdown of order) {
        const result = await once(slowdown);
        ratios.get(slowdown)?.push(result.ratio);
        if (result.verdict !== "regressed") continue;
        flagged.set(slowdown, (flagged.get(slowdown) ?? 0) + 1);
        // What `bench check --confirm` does: measure the flagged cell again, fail only if it
        // regresses again (against the same baseline file, or interleaved with the baseline).
        const again = await once(slowdown);
        if (again.verdict === "regressed")
          confirmed.set(slowdown, (confirmed.get(slowdown) ?? 0) + 1);
      }
    }
    for (const slowdown of SLOWDOWNS) {
      const hits = flagged.get(slowdown) ?? 0;
      const kept = confirmed.get(slowdown) ?? 0;
      const label = slowdown === 0 ? "A/A (false alarms)" : `+${slowdown * 100}% (detection)`;
      const pct = (k: number): string => `${k}/${REPS} = ${((100 * k) / REPS).toFixed(0)}%`;
      const line = `| ${n} | ${label} | ${pct(hits)} | ${pct(kept)} | ${median(ratios.get(slowdown) ?? [1]).toFixed(3)} |`;
      console.log(line);
      rows.push(line);
    }
  }
  const doc = [
    `Machine: ${os.cpus()[0]?.model ?? "?"}, ${os.availableParallelism()} CPUs, Linux ${os.release()}; ${new Date().toISOString()}`,
    `Mode: ${MODE === "separate" ? "baseline and current measured in separate invocations (bench check --baseline file)" : "baseline and current interleaved in one invocation (bench check --against allocator)"}.`,
    `Workload ${WORKLOAD} --size ${SIZE}, 1 thread, ${CPUS === null ? "unpinned" : `pinned to CPU ${CPUS}`}; ${REPS} trials per row; alpha ${ALPHA}, threshold ${THRESHOLD * 100}%.`,
    `Injected with test/fixtures/libs/slowdown.c, spins every ${EVERY} mallocs: ${[...spinsFor].map(([x, s]) => `+${x * 100}% = ${s}`).join(", ")} (a least-squares fit over interleaved runs at 10 to 160 spins).`,
    "",
    "| runs per cell | injected | flagged | flagged with --confirm | median measured ratio |",
    "| ---: | --- | --- | --- | ---: |",
    ...rows,
  ].join("\n");
  await writeFile(path.join(dir, `gate-calibration-${MODE}.md`), `${doc}\n`);
  console.log(`\n${doc}\n\n(written to ${path.join(dir, `gate-calibration-${MODE}.md`)})`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
