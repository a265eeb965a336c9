import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import { expect } from "vitest";
import { loadResults } from "../../src/results/io.js";
import type { ResultsFile } from "../../src/results/schema.js";

export const ROOT = path.resolve(import.meta.dirname, "..", "..");
export const BIN = path.join(ROOT, "bin", "bench.js");
export const FIXTURE_WORKLOADS = path.join(ROOT, "test", "fixtures", "workloads");
export const FIXTURE_LIBS = path.join(ROOT, "test", "fixtures", "libs");

export async function tempDir(prefix = "mallocbench-test-"): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/** Run the real CLI in a child process. Each caller passes its own lock file unless it tests the lock. */
export function bench(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): ResultPromise<{ reject: false; all: true }> {
  return execa("node", [BIN, ...args], {
    reject: false,
    all: true,
    cwd: options.cwd ?? ROOT,
    env: { ...options.env },
    stdin: "ignore",
  }) as unknown as ResultPromise<{ reject: false; all: true }>;
}

/** stderr lines, for asserting "one clear line and no stack trace". */
export function errorLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.trim() !== "");
}

export interface BenchRun {
  exitCode: number | undefined;
  stdout: string;
  /** stdout and stderr interleaved, for failure messages. */
  all: string;
  /** The results file the run wrote. */
  results: ResultsFile;
  /** The run's temporary directory (its results file and lock live there). */
  dir: string;
  out: string;
}

/**
 * `bench run ARGS -o <new temp dir>/results.json`, with a lock file of its own, and the results
 * file it wrote (loading it throws, with the run's output, when there is none).
 */
export async function benchRun(
  args: string[],
  options: { env?: Record<string, string>; dir?: string } = {},
): Promise<BenchRun> {
  const dir = options.dir ?? (await tempDir());
  const out = path.join(dir, "results.json");
  const run = await bench(["run", ...args, "-o", out], {
    env: { MALLOCBENCH_LOCK: path.join(dir, "lock"), ...options.env },
  });
  const all = String(run.all);
  const results = await loadResults(out).catch((error: unknown) => {
    throw new Error(`bench run wrote no results (exit ${run.exitCode}): ${String(error)}\n${all}`);
  });
  return { exitCode: run.exitCode, stdout: String(run.stdout), all, results, dir, out };
}

export { buildFixtureLib } from "../../testkit/fixture-lib.js";

/**
 * `bench run` of threadtest (--quick, 1 thread, pinned to the last CPU) as allocator "subject":
 * the slowdown shim that buildFixtureLib("slowdown", dir) built, with `spins` spins per malloc.
 * Writes `<dir>/<name>.json` and returns its path; a run that does not exit 0 fails the test.
 */
export async function runUnderSlowdown(
  dir: string,
  env: Record<string, string>,
  name: string,
  opts: { spins: number; runs: number; warmup: number; seed: number },
): Promise<string> {
  const config = path.join(dir, `${name}.config.json`);
  await writeFile(
    config,
    JSON.stringify({
      allocators: {
        subject: {
          lib: path.join(dir, "libslowdown.so"),
          env: { MB_SLOWDOWN_SPINS: String(opts.spins) },
        },
      },
    }),
  );
  const out = path.join(dir, `${name}.json`);
  const r = await bench(
    [
      "run",
      "-w",
      "threadtest",
      "-a",
      "subject",
      "-t",
      "1",
      "-n",
      String(opts.runs),
      "--warmup",
      String(opts.warmup),
      "--quick",
      "--cpus",
      String(os.availableParallelism() - 1),
      "--seed",
      String(opts.seed),
      "--config",
      config,
      "-o",
      out,
    ],
    { env },
  );
  expect(r.exitCode, String(r.all)).toBe(0);
  return out;
}
