/**
 * Synthetic results files for the report's tests and its rendering benchmark: every field a
 * real `bench run` writes, with seeded noise, validated by the real schema.
 */
import { parseResults } from "../src/results/io.js";
import type { ResultsFile, RunRecord } from "../src/results/schema.js";
import { mulberry32 } from "../src/util/prng.js";

export interface SyntheticOptions {
  workloads?: string[];
  allocators?: string[];
  threads?: number[];
  runs?: number;
  seed?: number;
  arch?: string;
  cpuModel?: string;
  /** Add latency percentiles and live bytes to every run (instrumented workloads). */
  latency?: boolean;
  /** Add an RSS timeline to every measured run. */
  timelines?: boolean;
  /** Add a hardening matrix. */
  hardening?: boolean;
  /**
   * Repeat each hardening probe this many times (the file format of repeated probes; without
   * it, the format of files written before: one trial, no classes). One cell is flaky.
   */
  hardeningTrials?: number;
  /** A workload whose live set is tiny (its memory overhead an outlier, about 1000x). */
  tinyLive?: string;
  /** Fail every run of this "workload/allocator/threads" cell. */
  failCell?: string;
}

export function syntheticResults(opts: SyntheticOptions = {}): ResultsFile {
  const workloads = opts.workloads ?? ["threadtest", "larson"];
  const allocators = opts.allocators ?? ["glibc", "musl", "jemalloc"];
  const threads = opts.threads ?? [1, 2];
  const runs = opts.runs ?? 8;
  const random = mulberry32(opts.seed ?? 1);
  const out: RunRecord[] = [];
  let seq = 0;
  for (let round = 0; round < runs; round++) {
    for (const [wi, workload] of workloads.entries()) {
      for (const t of threads) {
        for (const [ai, allocator] of allocators.entries()) {
          // Each allocator has its own speed and footprint: 1x, 2x, 0.5x, 1.5x, ...
          const speed = [1, 2, 0.5, 1.5, 0.8, 3][ai % 6] as number;
          const seconds = (0.1 + 0.05 * wi) * speed * (t === 1 ? 1 : 0.7) * (1 + 0.04 * random());
          const rss = Math.round(4_194_304 * (1 + 0.3 * ai) * (1 + 0.01 * random()));
          const base = {
            key: `${workload}/${allocator}/t${t}#r${round}`,
            workload,
            allocator,
            libc: allocator === "musl" ? ("musl" as const) : ("glibc" as const),
            threads: t,
            size: "quick" as const,
            round,
            warmup: false,
            seq: seq++,
            startedAt: "2026-11-25T00:00:01.000Z",
            identity: `/lib/${allocator}.so`,
          };
          if (opts.failCell === `${workload}/${allocator}/${t}`) {
            out.push({
              ...base,
              status: "failed",
              failure: { kind: "signal", message: "killed by SIGSEGV" },
              exitCode: null,
              signal: "SIGSEGV",
              stderrTail: "",
            });
            continue;
          }
          const ops = 1_000_000;
          const metrics: Record<string, number> = {
            wallSeconds: seconds + 0.01,
            userSeconds: seconds * t,
            sysSeconds: 0.001,
            maxRssBytes: rss,
            minorFaults: 100,
            majorFaults: 0,
            voluntaryContextSwitches: 1,
            involuntaryContextSwitches: 1,
            ops,
            seconds,
            opsPerSecond: ops / seconds,
          };
          if (opts.latency) {
            metrics.peakLiveBytes = Math.round(
              rss / (2 + ai) / (opts.tinyLive === workload ? 400 : 1),
            );
            for (const op of ["malloc", "free"]) {
              const p50 = (30 + 10 * ai) * (1 + 0.1 * random());
              metrics[`latency.${op}.mean`] = p50 * 1.5;
              metrics[`latency.${op}.p50`] = p50;
              metrics[`latency.${op}.p90`] = p50 * 2;
              metrics[`latency.${op}.p99`] = p50 * 6;
              metrics[`latency.${op}.p999`] = p50 * 60;
              metrics[`latency.${op}.max`] = p50 * 900;
            }
          }
          out.push({
            ...base,
            status: "ok",
            checksum: "0x1",
            metrics: metrics as Extract<RunRecord, { status: "ok" }>["metrics"],
            ...(opts.timelines
              ? {
                  timeline: {
                    intervalMs: 10,
                    samples: Array.from({ length: 20 }, (_, i): [number, number] => [
                      i * 10,
                      Math.round((rss * (i + 1)) / 20),
                    ]),
                    decimations: 0,
                    maxSampledBytes: rss,
                  },
                }
              : {}),
          });
        }
      }
    }
  }
  const libcs = [
    {
      libc: "glibc" as const,
      version: "2.36",
      toolchain: "gcc",
      compiler: ["gcc"],
      compilerVersion: "12.2.0",
      target: "x86_64-linux-gnu",
      cflags: ["-O2"],
      cflagsFromEnv: false,
      systemMalloc: null,
    },
  ];
  const value = {
    schemaVersion: 1,
    tool: { name: "mallocbench", version: "0.1.0" },
    createdAt: "2026-11-25T00:00:00.000Z",
    finishedAt: "2026-11-25T00:10:00.000Z",
    complete: true,
    warnings: [],
    environment: {
      hostname: "synthetic",
      arch: opts.arch ?? "x86_64",
      cpuModel: opts.cpuModel ?? "Synthetic CPU",
      cores: 2,
      onlineCpus: "0-1",
      memoryBytes: 8 * 2 ** 30,
      kernel: "Linux 6.1.0 #1 SMP",
      os: "Debian GNU/Linux 12 (bookworm)",
      libcs,
      governor: null,
      turbo: null,
      smt: null,
      loadAverage: [0, 0, 0],
      perfEventParanoid: 2,
      nodeVersion: "v20.0.0",
      launcher: "/x/launcher",
    },
    plan: {
      workloads,
      allocators,
      threads,
      size: "quick",
      preset: "quick",
      runs,
      warmup: 0,
      seed: opts.seed ?? 1,
      timeoutMs: 60_000,
      cpus: "0-1",
      rssIntervalMs: 10,
      workloadRoots: ["/w"],
    },
    allocators: allocators.map((name) => ({
      name,
      family: name,
      libc: name === "musl" ? "musl" : "glibc",
      env: {},
      source: name === "glibc" || name === "musl" ? "libc" : "discovered",
      ...(name === "glibc" || name === "musl" ? {} : { version: "1.0" }),
    })),
    builds: [],
    runs: out,
    ...(opts.hardening
      ? {
          hardening: {
            createdAt: "2026-11-25T00:10:00.000Z",
            timeoutMs: 10_000,
            probes: [
              { name: "double-free", description: "free the same block twice" },
              { name: "overflow", description: "write past the end" },
            ],
            allocators: allocators.map((name) => ({
              name,
              libc: name === "musl" ? "musl" : "glibc",
              lib: null,
            })),
            ...(opts.hardeningTrials ? { trials: opts.hardeningTrials } : {}),
            cells: allocators.flatMap((allocator, i) =>
              ["double-free", "overflow"].map((probe, j) => {
                const outcome = (i + j) % 2 === 0 ? "detected" : "not-detected";
                const cell = {
                  allocator,
                  probe,
                  outcome,
                  reason: "synthetic",
                  signal: null,
                  exitCode: 0,
                  stderr: "",
                  identity: null,
                };
                const n = opts.hardeningTrials;
                if (!n) return cell;
                // The first allocator's first probe is flaky: detected with a diagnostic in all
                // trials but the last, which ran past the misuse.
                const trial = (k: number): Record<string, unknown> =>
                  outcome === "detected" && !(i === 0 && j === 0 && k === n - 1)
                    ? {
                        outcome: "detected",
                        detection: "diagnostic",
                        reason: "killed by SIGABRT after the misuse",
                        signal: "SIGABRT",
                        exitCode: null,
                        stderr: `${allocator}: double free`,
                      }
                    : {
                        outcome: "not-detected",
                        reason: "ran past the misuse to its end",
                        signal: null,
                        exitCode: 0,
                        stderr: "",
                      };
                const trials = Array.from({ length: n }, (_, k) => trial(k));
                return {
                  ...cell,
                  ...(trials[0] as object),
                  identity: null,
                  trials,
                  flaky: i === 0 && j === 0 && n > 1,
                };
              }),
            ),
            warnings: [],
          },
        }
      : {}),
  };
  return parseResults(value, "synthetic");
}
