/**
 * npm run perf:programs-hyperfine — do mallocbench's medians for real programs agree with
 * hyperfine's on the same binaries?
 *
 * For each of BATCHES batches: `bench run` measures the programs (glibc, t1, RUNS runs after one
 * warmup), and `hyperfine -N` times the exact argument vectors those runs recorded
 * (`program.command`), RUNS runs after one warmup, with the manifest's environment; which of
 * the two goes first alternates from batch to batch. Alternating batches lets the machine's
 * drift hit both tools alike. Prints each tool's median
 * wall time over all batches and their difference (exit 1 when one exceeds LIMIT), and the mean
 * CPU time (user + system) of the process, which waiting for a busy CPU does not inflate.
 *
 * The two do not measure exactly the same thing: mallocbench's run preloads its identity probe
 * (a constructor that reads /proc/self/maps and names where malloc binds), hyperfine's does not.
 *
 *   PROGRAMS=ghostscript,python3 BATCHES=10 RUNS=5 [RSS_INTERVAL=0] npm run perf:programs-hyperfine
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { median } from "simple-statistics";
import type { ResultsFile } from "../src/results/schema.js";

const PROGRAMS = (process.env["PROGRAMS"] ?? "ghostscript,python3").split(",");
const BATCHES = Number(process.env["BATCHES"] ?? 10);
const RUNS = Number(process.env["RUNS"] ?? 5);
const LIMIT = 0.03;
/** bench run's --rss-interval (ms; 0 disables the RSS timeline); default: bench's own default. */
const RSS_INTERVAL = process.env["RSS_INTERVAL"];
const ROOT = path.resolve(import.meta.dirname, "..");
const BENCH = path.join(ROOT, "bin", "bench.js");

/** Environment each program's manifest sets (PYTHONMALLOC for python3). */
async function manifestEnv(name: string): Promise<Record<string, string>> {
  const manifest = JSON.parse(
    await readFile(path.join(ROOT, "workloads", "external", name, "program.json"), "utf8"),
  ) as { env?: Record<string, string> };
  return manifest.env ?? {};
}

/**
 * The recorded argument vector with the run's temporary directory (gone after the run) swapped
 * for one of ours, as one hyperfine -N command (split on spaces: no argument may hold one).
 */
function hyperfineCommand(command: readonly string[], tmp: string): string {
  const args = command.map((a) => a.replace(/\/tmp\/mallocbench-[^/]+/, tmp));
  const spaced = args.find((a) => /\s/.test(a));
  if (spaced) throw new Error(`hyperfine -N cannot pass an argument with a space: "${spaced}"`);
  return args.join(" ");
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), "programs-hyperfine-"));
  const bench = new Map<string, number[]>(PROGRAMS.map((p) => [p, []]));
  const hyper = new Map<string, number[]>(PROGRAMS.map((p) => [p, []]));
  // CPU time (user + system) per run; hyperfine exports only its mean per batch.
  const benchCpu = new Map<string, number[]>(PROGRAMS.map((p) => [p, []]));
  const hyperCpu = new Map<string, number[]>(PROGRAMS.map((p) => [p, []]));
  /** The argument vector each program's bench runs recorded (the same in every batch). */
  const commands = new Map<string, readonly string[]>();
  const benchBatch = async (batch: number): Promise<void> => {
    const out = path.join(work, `batch-${batch}.json`);
    await execa(
      "node",
      [
        BENCH,
        "run",
        "-w",
        PROGRAMS.join(","),
        "-a",
        "glibc",
        "-t",
        "1",
        "--quick",
        "-n",
        String(RUNS),
        "--warmup",
        "1",
        "-q",
        ...(RSS_INTERVAL !== undefined ? ["--rss-interval", RSS_INTERVAL] : []),
        "-o",
        out,
        "--force",
      ],
      { env: { MALLOCBENCH_LOCK: path.join(work, "lock") }, stdio: "inherit" },
    );
    const results = JSON.parse(await readFile(out, "utf8")) as ResultsFile;
    for (const name of PROGRAMS) {
      const runs = results.runs.filter((r) => r.workload === name && !r.warmup);
      for (const r of runs)
        if (r.status === "ok") {
          bench.get(name)?.push(r.metrics.seconds);
          benchCpu.get(name)?.push(r.metrics.userSeconds + r.metrics.sysSeconds);
        } else throw new Error(`${name}: a bench run failed: ${r.failure.message}`);
      const command = runs[0]?.program?.command;
      if (!command) throw new Error(`${name}: no run recorded its command`);
      commands.set(name, command);
    }
  };
  const hyperfineBatch = async (batch: number): Promise<void> => {
    for (const name of PROGRAMS) {
      const tmp = await mkdtemp(path.join(work, "tmp-"));
      const json = path.join(work, `hyperfine-${name}-${batch}.json`);
      await execa(
        "hyperfine",
        [
          "-N",
          "--warmup",
          "1",
          "--runs",
          String(RUNS),
          "--style",
          "none",
          "--export-json",
          json,
          hyperfineCommand(commands.get(name) ?? [], tmp),
        ],
        { env: await manifestEnv(name), stdio: "inherit" },
      );
      const exported = (
        JSON.parse(await readFile(json, "utf8")) as {
          results: { times: number[]; user: number; system: number }[];
        }
      ).results[0];
      hyper.get(name)?.push(...(exported?.times ?? []));
      // The batch's mean, once per run it stands for, so that batches weigh alike.
      if (exported)
        for (let i = 0; i < exported.times.length; i++)
          hyperCpu.get(name)?.push(exported.user + exported.system);
    }
  };
  try {
    // Which tool goes first alternates: a run right after another one is slower or faster on
    // a busy machine, and a fixed order would hand that to one tool.
    for (let batch = 0; batch < BATCHES; batch++) {
      if (batch % 2 === 0) {
        await benchBatch(batch);
        await hyperfineBatch(batch);
      } else {
        await hyperfineBatch(batch);
        await benchBatch(batch);
      }
      process.stderr.write(`batch ${batch + 1}/${BATCHES} done\n`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  let worst = 0;
  const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(
    "program       runs  mallocbench median  hyperfine -N median  difference  |  CPU mean: mallocbench  hyperfine  difference",
  );
  for (const name of PROGRAMS) {
    const b = median(bench.get(name) ?? []);
    const h = median(hyper.get(name) ?? []);
    const diff = b / h - 1;
    worst = Math.max(worst, Math.abs(diff));
    const bc = mean(benchCpu.get(name) ?? []);
    const hc = mean(hyperCpu.get(name) ?? []);
    console.log(
      `${name.padEnd(12)}  ${String(bench.get(name)?.length).padStart(4)}  ${b.toFixed(4).padStart(16)} s  ${h.toFixed(4).padStart(17)} s  ${(diff * 100).toFixed(2).padStart(9)}%  |  ${bc.toFixed(4).padStart(20)} s  ${hc.toFixed(4).padStart(7)} s  ${((bc / hc - 1) * 100).toFixed(2).padStart(9)}%`,
    );
  }
  console.log(
    worst <= LIMIT
      ? `agree within ${(LIMIT * 100).toFixed(0)}% (largest difference ${(worst * 100).toFixed(2)}%)`
      : `DISAGREE: largest difference ${(worst * 100).toFixed(2)}% exceeds ${(LIMIT * 100).toFixed(0)}%`,
  );
  if (worst > LIMIT) process.exitCode = 1;
}

await main();
