import type { LauncherRecord } from "../src/measure/launcher.js";
import type { OkRun, ResultsFile, ResultsHeader, RunRecord } from "../src/results/schema.js";

/** Hand-made records for unit tests of code that reads them (the integration tests make real ones). */

export function launcherRecord(overrides: Partial<LauncherRecord> = {}): LauncherRecord {
  return {
    launcher: 1,
    status: "exited",
    exitCode: 0,
    signal: null,
    signalName: null,
    error: null,
    wallSeconds: 0.1,
    userSeconds: 0.1,
    sysSeconds: 0,
    maxRssBytes: 1,
    minorFaults: 1,
    majorFaults: 0,
    voluntaryContextSwitches: 0,
    involuntaryContextSwitches: 0,
    cpus: null,
    timeoutMs: 1000,
    perf: { available: false, reason: "n/a" },
    rssTimeline: { intervalMs: 10, samples: [], decimations: 0, maxSampledBytes: null },
    ...overrides,
  };
}

export function okRun(overrides: Partial<OkRun> = {}): OkRun {
  return {
    key: "larson/glibc/t1#r0",
    workload: "larson",
    allocator: "glibc",
    libc: "glibc",
    threads: 1,
    size: "quick",
    round: 0,
    warmup: false,
    seq: 0,
    startedAt: "2026-11-25T00:00:01.000Z",
    identity: "/lib/libc.so.6",
    status: "ok",
    checksum: "0x1",
    metrics: {
      wallSeconds: 0.1,
      userSeconds: 0.09,
      sysSeconds: 0.01,
      maxRssBytes: 4096,
      minorFaults: 10,
      majorFaults: 0,
      voluntaryContextSwitches: 1,
      involuntaryContextSwitches: 0,
      ops: 100,
      seconds: 0.05,
    },
    ...overrides,
  };
}

export const resultsHeader: ResultsHeader = {
  schemaVersion: 1,
  tool: { name: "mallocbench", version: "0.1.0" },
  createdAt: "2026-11-25T00:00:00.000Z",
  environment: {
    hostname: "h",
    arch: "x86_64",
    cpuModel: "cpu",
    cores: 2,
    onlineCpus: "0-1",
    memoryBytes: 1,
    kernel: "Linux",
    os: "Debian",
    libcs: [],
    governor: null,
    turbo: null,
    smt: null,
    loadAverage: [0, 0, 0],
    perfEventParanoid: 2,
    nodeVersion: "v20",
    launcher: "/x/launcher",
  },
  plan: {
    workloads: ["larson"],
    allocators: ["glibc"],
    threads: [1],
    size: "quick",
    preset: "quick",
    runs: 1,
    warmup: 0,
    seed: 1,
    timeoutMs: 1000,
    cpus: null,
    rssIntervalMs: 10,
    workloadRoots: ["/w"],
  },
  allocators: [{ name: "glibc", family: "glibc", libc: "glibc", env: {}, source: "libc" }],
  builds: [],
};

/**
 * A complete results file of larson t1 cells: per allocator, one ok run per round (round = the
 * index) with these metrics over okRun's; `plan` overrides the header's plan (allocators default
 * to the samples' keys).
 */
export function roundsFile(
  samples: Record<string, Partial<OkRun["metrics"]>[]>,
  plan: Partial<ResultsFile["plan"]> = {},
): ResultsFile {
  const runs: RunRecord[] = [];
  for (const [allocator, rounds] of Object.entries(samples))
    rounds.forEach((metrics, round) =>
      runs.push(
        okRun({
          key: `larson/${allocator}/t1#r${round}`,
          allocator,
          round,
          metrics: { ...okRun().metrics, ...metrics },
        }),
      ),
    );
  return {
    ...resultsHeader,
    plan: { ...resultsHeader.plan, allocators: Object.keys(samples), ...plan },
    finishedAt: null,
    complete: true,
    warnings: [],
    runs,
  };
}

/**
 * `file` saved as one invocation per entry of `scales` (as `bench baseline save --add` would
 * hold them): every ok run's `seconds` times that invocation's scale, keys prefixed and tagged.
 */
export function asInvocations(file: ResultsFile, scales: readonly number[]): ResultsFile {
  const ids = scales.map((_, i) => `2026-01-${String(i + 1).padStart(2, "0")}T00:00:00.000Z`);
  return {
    ...file,
    invocations: ids.map((id) => ({ id, createdAt: id })),
    runs: ids.flatMap((id, i) =>
      file.runs.map((run) =>
        run.status === "ok"
          ? {
              ...run,
              key: `${id}#${run.key}`,
              invocation: id,
              metrics: { ...run.metrics, seconds: run.metrics.seconds * (scales[i] as number) },
            }
          : run,
      ),
    ),
  };
}
