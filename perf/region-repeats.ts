/**
 * npm run perf:region-repeats — does repeating the measured region inside one process, and
 * taking its median, narrow the spread enough to pay for the time it costs?
 *
 * Builds threadtest twice: as bench run does (one region per process) and with
 * -DMB_REGION_REPEATS=K (K regions per process, their median reported). Both run A/A pairs under
 * the slowdown shim (0 spins on both sides, as the gate calibration's baseline) in interleaved
 * rounds pinned to one CPU, the two builds alternating round by round so that the machine's drift
 * hits both. Per build it reports the robust SD (1.4826·MAD) of the within-round log ratio (what
 * the paired gate's MDE scales with), of log seconds across runs (the independent test's), the
 * median region and process times, and the spread at equal wall time: SD × √(wall time per
 * round). A build that narrows the spread by less than the square root of what it costs loses to
 * spending the same time on more runs.
 *
 * Environment: REPEATS_K (5), REPEATS_ROUNDS (100 per build), REPEATS_CPU (the last CPU),
 * REPEATS_SIZE (quick).
 */
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { median } from "simple-statistics";
import { DEFAULT_CFLAGS, REQUIRED_CFLAGS } from "../src/platform/toolchain.js";
import { MAD_SCALE } from "../src/stats/descriptive.js";
import { buildFixtureLib } from "../testkit/fixture-lib.js";

const K = Number(process.env["REPEATS_K"] ?? 5);
const ROUNDS = Number(process.env["REPEATS_ROUNDS"] ?? 100);
const CPU = process.env["REPEATS_CPU"] ?? String(os.availableParallelism() - 1);
const SIZE = process.env["REPEATS_SIZE"] ?? "quick";
const ROOT = path.resolve(import.meta.dirname, "..");

interface Sample {
  /** The region time the workload reported (the median of its regions when repeated). */
  seconds: number;
  /** The process's wall time seen from here: what a run costs. */
  wall: number;
}

interface Build {
  name: string;
  bin: string;
  pairs: [Sample, Sample][];
}

async function build(dir: string, repeats: number): Promise<string> {
  const bin = path.join(dir, `threadtest-${repeats}`);
  await execa("cc", [
    ...DEFAULT_CFLAGS,
    ...REQUIRED_CFLAGS,
    `-DMB_REGION_REPEATS=${repeats}`,
    "-I",
    path.join(ROOT, "workloads", "common"),
    path.join(ROOT, "workloads", "threadtest", "threadtest.c"),
    path.join(ROOT, "workloads", "common", "mallocbench.c"),
    "-o",
    bin,
    "-ldl",
  ]);
  return bin;
}

async function once(bin: string, shim: string, seed: number): Promise<Sample> {
  const start = process.hrtime.bigint();
  const { stdout } = await execa(
    "taskset",
    ["-c", CPU, bin, "--size", SIZE, "--seed", String(seed)],
    {
      env: { LD_PRELOAD: shim, MB_SLOWDOWN_SPINS: "0" },
    },
  );
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const line = stdout.split("\n").find((l) => l.startsWith("@result "));
  if (!line) throw new Error(`${bin}: no @result line`);
  const seconds = (JSON.parse(line.slice("@result ".length)) as { seconds: number }).seconds;
  return { seconds, wall };
}

/** 1.4826 · median absolute deviation: σ for normal data, robust to the odd slow run. */
function robustSd(xs: readonly number[]): number {
  const m = median([...xs]);
  return MAD_SCALE * median(xs.map((x) => Math.abs(x - m)));
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mallocbench-repeats-"));
  const shim = await buildFixtureLib("slowdown", dir);
  const builds: Build[] = [
    { name: "1 region per process (bench run)", bin: await build(dir, 1), pairs: [] },
    { name: `${K} regions per process, median`, bin: await build(dir, K), pairs: [] },
  ];
  const started = Date.now();
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which build goes first, and which side of a pair, so neither is favoured.
    const order = round % 2 === 0 ? builds : [...builds].reverse();
    for (const b of order) {
      const seed = 1 + Math.floor(Math.random() * 1e9);
      const first = await once(b.bin, shim, seed);
      const second = await once(b.bin, shim, seed);
      b.pairs.push(round % 4 < 2 ? [first, second] : [second, first]);
    }
  }
  const rows = builds.map((b) => {
    const ratios = b.pairs.map(([x, y]) => Math.log(x.seconds / y.seconds));
    const logs = b.pairs.flatMap(([x, y]) => [Math.log(x.seconds), Math.log(y.seconds)]);
    const perRound = median(b.pairs.map(([x, y]) => x.wall + y.wall));
    const paired = robustSd(ratios);
    const single = robustSd(logs);
    return { b, paired, single, perRound, region: median(b.pairs.map(([x]) => x.seconds)) };
  });
  const [base] = rows;
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  const lines = rows.map((r) => {
    const rel = (sd: number, ref: number): string =>
      ((sd * Math.sqrt(r.perRound)) / (ref * Math.sqrt(base?.perRound ?? 1))).toFixed(2);
    return `| ${r.b.name} | ${r.b.pairs.length} | ${(r.region * 1e3).toFixed(1)} | ${(r.perRound * 1e3).toFixed(0)} | ${pct(r.paired)} | ${pct(r.single)} | ${rel(r.paired, base?.paired ?? 1)} | ${rel(r.single, base?.single ?? 1)} |`;
  });
  console.log(
    [
      `Machine: ${os.cpus()[0]?.model ?? "?"}, ${os.availableParallelism()} CPUs, Linux ${os.release()}; ${new Date().toISOString()}`,
      `threadtest --size ${SIZE}, 1 thread, pinned to CPU ${CPU}, under the slowdown shim with 0 spins; A/A pairs, ${ROUNDS} rounds per build, builds alternating; ${((Date.now() - started) / 1000).toFixed(0)} s.`,
      "",
      "| build | pairs | median region (ms) | median wall per round (ms) | robust SD, within-round log ratio | robust SD, log seconds | paired spread at equal time (vs 1 region) | run spread at equal time (vs 1 region) |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
      ...lines,
    ].join("\n"),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
