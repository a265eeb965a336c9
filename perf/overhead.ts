/**
 * npm run perf:overhead — what the launcher adds to each run.
 *
 * 1. Measurement floor: the wall time the launcher reports for an empty program, against
 *    (a) a minimal native reference that times fork+exec+wait of the same program directly, and
 *    (b) hyperfine -N timing the same program. The extra over (a) is what the launcher adds to
 *    every measurement; target: under 1 ms, and no more than hyperfine's. The three methods run
 *    interleaved in batches, so that the machine's drift hits them alike.
 * 2. Per-run cost seen from Node (tinybench): spawning the empty program directly vs through the
 *    launcher. This is outside the measured time but bounds how many runs a minute we can do.
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { median, quantile } from "simple-statistics";
import { Bench } from "tinybench";
import { buildLauncher } from "../src/platform/build.js";
import { detectToolchains } from "../src/platform/toolchain.js";
import { cacheDir } from "../src/paths.js";

const N = Number(process.env["OVERHEAD_RUNS"] ?? 1000);
const BATCH = 50;

const EMPTY_C = "int main(void) { return 0; }\n";

/**
 * The driver runs the empty program BATCH times in a tight loop, in one of two ways, and prints
 * one wall time per line:
 *   direct:   fork + execv + waitpid, the clock read right around them (the reference: what any
 *             outside timer, hyperfine's included, measures at best);
 *   launcher: fork + exec of the launcher on the empty program, printing the wallSeconds it
 *             reports (its own measurement; the driver's loop is outside it).
 * One loop drives both, so caches and scheduling treat them alike.
 */
const DRIVER_C = String.raw`
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
int main(int argc, char **argv) {
  if (argc < 4) return 2;
  int n = atoi(argv[1]);
  int launcher = strcmp(argv[2], "launcher") == 0;
  char **cmd = argv + 3;
  for (int i = 0; i < n; i++) {
    int status;
    if (!launcher) {
      struct timespec a, b;
      clock_gettime(CLOCK_MONOTONIC, &a);
      pid_t pid = fork();
      if (pid == 0) { execv(cmd[0], cmd); _exit(127); }
      waitpid(pid, &status, 0);
      clock_gettime(CLOCK_MONOTONIC, &b);
      printf("%.9f\n", (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
      continue;
    }
    int fds[2];
    if (pipe(fds) != 0) return 1;
    pid_t pid = fork();
    if (pid == 0) { dup2(fds[1], 1); close(fds[0]); close(fds[1]); execv(cmd[0], cmd); _exit(127); }
    close(fds[1]);
    char buf[8192];
    size_t len = 0;
    ssize_t r;
    while (len < sizeof buf - 1 && (r = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0) len += (size_t)r;
    close(fds[0]);
    buf[len] = 0;
    waitpid(pid, &status, 0);
    char *w = strstr(buf, "\"wallSeconds\":");
    if (!w) return 3;
    char *end = strchr(w + 14, ',');
    if (end) *end = 0;
    printf("%s\n", w + 14);
  }
  return 0;
}
`;

function us(seconds: number): string {
  return `${(seconds * 1e6).toFixed(1)} µs`;
}

function describe(label: string, values: number[]): string {
  return `${label.padEnd(40)} median ${us(median(values)).padStart(10)}  p10 ${us(quantile(values, 0.1)).padStart(10)}  p90 ${us(quantile(values, 0.9)).padStart(10)}  (n=${values.length})`;
}

async function main(): Promise<void> {
  const [host] = await detectToolchains();
  if (!host) throw new Error("no C compiler");
  const launcher = await buildLauncher(host, cacheDir());
  if (launcher.status !== "ok") throw new Error(launcher.reason);
  const dir = await mkdtemp(path.join(os.tmpdir(), "mallocbench-overhead-"));
  const empty = path.join(dir, "empty");
  const driver = path.join(dir, "driver");
  await writeFile(`${empty}.c`, EMPTY_C);
  await writeFile(`${driver}.c`, DRIVER_C);
  const cc = host.cc[0] as string;
  await execa(cc, ["-O2", "-o", empty, `${empty}.c`]);
  await execa(cc, ["-O2", "-o", driver, `${driver}.c`]);

  const rounds = Math.max(1, Math.round(N / BATCH));
  console.log(
    `machine: ${os.cpus()[0]?.model ?? "?"}, ${os.availableParallelism()} CPUs, ${os.release()}; ` +
      `${rounds * BATCH} runs each, interleaved in batches of ${BATCH}`,
  );
  const batch = async (args: string[]): Promise<number[]> =>
    String((await execa(driver, [String(BATCH), ...args])).stdout)
      .trim()
      .split("\n")
      .map((l) => Number.parseFloat(l));
  const direct: number[] = [];
  const withDefaults: number[] = [];
  const bare: number[] = [];
  const hyperfine: number[] = [];
  let haveHyperfine = true;
  for (let round = 0; round < rounds; round++) {
    direct.push(...(await batch(["direct", empty])));
    withDefaults.push(...(await batch(["launcher", launcher.binary, "--", empty])));
    bare.push(
      ...(await batch([
        "launcher",
        launcher.binary,
        "--no-perf",
        "--rss-interval-ms",
        "0",
        "--",
        empty,
      ])),
    );
    if (!haveHyperfine) continue;
    const json = path.join(dir, "hf.json");
    const hf = await execa(
      "hyperfine",
      ["-N", "--warmup", "5", "--runs", String(BATCH), "--export-json", json, empty],
      {
        reject: false,
      },
    );
    if (hf.exitCode !== 0) {
      haveHyperfine = false;
      console.log("hyperfine not installed: skipping that comparison");
      continue;
    }
    hyperfine.push(
      ...((JSON.parse(await readFile(json, "utf8")) as { results: { times: number[] }[] })
        .results[0]?.times ?? []),
    );
  }

  console.log(
    "\nMeasured wall time of an empty program (lower = less added to every measurement):",
  );
  console.log(describe("direct fork+exec+wait (reference)", direct));
  console.log(describe("launcher, as bench run uses it", withDefaults));
  console.log(describe("launcher --no-perf --rss-interval-ms 0", bare));
  if (haveHyperfine) console.log(describe("hyperfine -N", hyperfine));
  const extra = median(withDefaults) - median(direct);
  console.log(
    `\nlauncher extra per run vs direct: ${us(extra)} (target < 1000 µs): ${extra < 1e-3 ? "PASS" : "FAIL"}`,
  );
  if (haveHyperfine) {
    const vsHf = median(withDefaults) - median(hyperfine);
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
