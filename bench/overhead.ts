/**
 * npm run bench:overhead — what the launcher adds to each run.
 *
 * 1. Measurement floor: the wall time the launcher reports for an empty program, against
 *    (a) a minimal native reference that times fork+exec+wait of the same program directly, and
 *    (b) hyperfine -N timing the same program. The extra over (a) is what the launcher adds to
 *    every measurement; target: under 1 ms, and no more than hyperfine's.
 * 2. Per-run cost seen from Node (tinybench): spawning the empty program directly vs through the
 *    launcher. This is outside the measured time but bounds how many runs a minute we can do.
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { median, quantile } from "simple-statistics";
import { Bench } from "tinybench";
import { buildLauncher } from "../src/build/build.js";
import { detectToolchains } from "../src/build/toolchain.js";
import { cacheDir } from "../src/paths.js";

const N = Number(process.env["OVERHEAD_RUNS"] ?? 1000);

const EMPTY_C = "int main(void) { return 0; }\n";

/** The direct reference: fork + execv + waitpid, clock read right around them, nothing else. */
const DIRECT_C = `
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
int main(int argc, char **argv) {
  int n = atoi(argv[1]);
  for (int i = 0; i < n; i++) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    pid_t pid = fork();
    if (pid == 0) { execv(argv[2], argv + 2); _exit(127); }
    int status;
    waitpid(pid, &status, 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.9f\\n", (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
  }
  return 0;
}
`;

function us(seconds: number): string {
  return `${(seconds * 1e6).toFixed(1)} µs`;
}

function describe(label: string, values: number[]): string {
  return `${label.padEnd(44)} median ${us(median(values)).padStart(10)}  p10 ${us(quantile(values, 0.1)).padStart(10)}  p90 ${us(quantile(values, 0.9)).padStart(10)}  (n=${values.length})`;
}

async function main(): Promise<void> {
  const [host] = await detectToolchains();
  if (!host) throw new Error("no C compiler");
  const launcher = await buildLauncher(host, cacheDir());
  if (launcher.status !== "ok") throw new Error(launcher.reason);
  const dir = await mkdtemp(path.join(os.tmpdir(), "mallocbench-overhead-"));
  const empty = path.join(dir, "empty");
  const direct = path.join(dir, "direct");
  await writeFile(`${empty}.c`, EMPTY_C);
  await writeFile(`${direct}.c`, DIRECT_C);
  const cc = host.cc[0] as string;
  await execa(cc, ["-O2", "-o", empty, `${empty}.c`]);
  await execa(cc, ["-O2", "-o", direct, `${direct}.c`]);

  console.log(
    `machine: ${os.cpus()[0]?.model ?? "?"}, ${os.availableParallelism()} CPUs, ${os.release()}; ${N} runs each`,
  );

  // 1a. direct reference
  const directTimes = String((await execa(direct, [String(N), empty])).stdout)
    .trim()
    .split("\n")
    .map(Number);

  // 1b. launcher, as bench run uses it (perf counters and RSS sampling on), and bare
  const launcherTimes = async (extra: string[]): Promise<number[]> => {
    const times: number[] = [];
    for (let i = 0; i < N; i++) {
      const { stdout } = await execa(launcher.binary, [...extra, "--", empty]);
      times.push((JSON.parse(String(stdout)) as { wallSeconds: number }).wallSeconds);
    }
    return times;
  };
  const withDefaults = await launcherTimes([]);
  const bare = await launcherTimes(["--no-perf", "--rss-interval-ms", "0"]);

  // 1c. hyperfine -N
  let hyperfineTimes: number[] | undefined;
  const hf = await execa(
    "hyperfine",
    [
      "-N",
      "--warmup",
      "20",
      "--runs",
      String(N),
      "--export-json",
      path.join(dir, "hf.json"),
      empty,
    ],
    {
      reject: false,
    },
  );
  if (hf.exitCode === 0) {
    hyperfineTimes = (
      JSON.parse(await readFile(path.join(dir, "hf.json"), "utf8")) as {
        results: { times: number[] }[];
      }
    ).results[0]?.times;
  } else {
    console.log("hyperfine not installed: skipping that comparison");
  }

  console.log(
    "\nMeasured wall time of an empty program (lower = less added to every measurement):",
  );
  console.log(describe("direct fork+exec+wait (reference)", directTimes));
  console.log(describe("launcher, as bench run uses it", withDefaults));
  console.log(describe("launcher --no-perf --rss-interval-ms 0", bare));
  if (hyperfineTimes) console.log(describe("hyperfine -N", hyperfineTimes));
  const extra = median(withDefaults) - median(directTimes);
  console.log(
    `\nlauncher extra per run vs direct: ${us(extra)} (target < 1000 µs): ${extra < 1e-3 ? "PASS" : "FAIL"}`,
  );
  if (hyperfineTimes) {
    const vsHf = median(withDefaults) - median(hyperfineTimes);
    console.log(
      `launcher vs hyperfine -N: ${us(vsHf)} (target <= 0): ${vsHf <= 0 ? "PASS" : "FAIL"}`,
    );
  }

  // 2. Node's view (tinybench)
  const bench = new Bench({ iterations: 200, warmupIterations: 20 });
  bench
    .add("node spawns the empty program directly", async () => {
      await execa(empty);
    })
    .add("node spawns launcher -- empty program", async () => {
      await execa(launcher.binary, ["--", empty]);
    });
  await bench.run();
  console.log("\nPer-run cost seen from Node (outside the measured time):");
  for (const task of bench.tasks) {
    const r = task.result as { latency?: { p50?: number; mean?: number } } | undefined;
    const p50 = r?.latency?.p50 ?? r?.latency?.mean;
    console.log(
      `${task.name.padEnd(44)} median ${p50 === undefined ? "?" : `${(p50 * 1000).toFixed(1)} µs`.padStart(10)}`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
