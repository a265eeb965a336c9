import { z } from "zod";
import { HardeningReportSchema } from "./hardening-schema.js";

/** Version of the results file format. Bump on incompatible changes. */
export const SCHEMA_VERSION = 1;

// Domains use zod's built-in checks, never refine(): z.toJSONSchema keeps built-in checks (and
// drops refinements), and the run validator is compiled from that JSON Schema
// (results/run-validator.ts). z.number() itself refuses NaN and the infinities.
const count = z.number().int("must be an integer").nonnegative("must be >= 0");
/** A duration that covers real work: wall time, the measured region. */
const positiveTime = z.number().positive("must be > 0");
/** CPU time, rates, ratios, latencies and offsets: zero is possible, a negative value is not. */
const nonnegative = z.number().nonnegative("must be >= 0");

export const LibcSchema = z.enum(["glibc", "musl"]);
export const SizeSchema = z.enum(["quick", "default", "full"]);

export const EnvironmentSchema = z.object({
  hostname: z.string(),
  arch: z.string(),
  cpuModel: z.string(),
  cores: count,
  onlineCpus: z.string().nullable(),
  memoryBytes: count,
  kernel: z.string(),
  os: z.string(),
  libcs: z.array(
    z.object({
      libc: LibcSchema,
      version: z.string().nullable(),
      toolchain: z.string(),
      compiler: z.array(z.string()),
      compilerVersion: z.string(),
      target: z.string(),
      /** The machine the toolchain builds for (from `cc -dumpmachine`), e.g. x86_64, aarch64. */
      machine: z.string().optional(),
      cflags: z.array(z.string()),
      cflagsFromEnv: z.boolean(),
      systemMalloc: z.string().nullable(),
      /** What the libc's own malloc is (allocators/system.ts). */
      systemAllocator: z
        .object({
          allocator: z.string(),
          libcVersion: z.string().nullable(),
          object: z.string().nullable(),
          description: z.string(),
          evidence: z.array(z.string()),
        })
        .optional(),
    }),
  ),
  governor: z.string().nullable(),
  turbo: z.enum(["on", "off"]).nullable(),
  smt: z.enum(["on", "off", "unsupported"]).nullable(),
  loadAverage: z.tuple([nonnegative, nonnegative, nonnegative]),
  perfEventParanoid: z.number().int().nullable(),
  nodeVersion: z.string(),
  launcher: z.string(),
});

export const PlanSchema = z.object({
  workloads: z.array(z.string()).min(1),
  allocators: z.array(z.string()).min(1),
  threads: z.array(z.number().int().positive()).min(1),
  size: SizeSchema,
  preset: z.string(),
  runs: z.number().int().positive(),
  warmup: count,
  seed: z.number().int().nonnegative(),
  timeoutMs: count,
  cpus: z.string().nullable(),
  rssIntervalMs: count,
  workloadRoots: z.array(z.string()),
  /** Workload parameters scanned with --param: name -> values; cells are their cartesian product. */
  params: z.record(z.string(), z.array(z.string()).min(1)).optional(),
  /** When set, only these cells ("workload/allocator/tN") of the cross product run (bench check --confirm). */
  onlyCells: z.array(z.string()).optional(),
  /** Adaptive sampling (--precision): target median CI half-width as a fraction of the median. */
  precision: z.number().positive().optional(),
  maxRuns: z.number().int().positive().optional(),
  maxTimeMs: z.number().int().positive().optional(),
  /** "instructions": every run under callgrind (bench run --metric instructions); absent: timed runs. */
  measure: z.enum(["time", "instructions"]).optional(),
  /** Cells ("workload/allocator/tN") of the cross product that are not run, and why (docs/programs.md). */
  skipped: z.array(z.object({ cell: z.string(), reason: z.string() })).optional(),
});

export const AllocatorRecordSchema = z.object({
  name: z.string(),
  family: z.string(),
  lib: z.string().optional(),
  realLib: z.string().optional(),
  libc: LibcSchema,
  env: z.record(z.string(), z.string()),
  version: z.string().optional(),
  source: z.enum(["libc", "discovered", "user", "config"]),
  sha256: z.string().optional(),
  package: z
    .object({
      manager: z.enum(["dpkg", "rpm", "apk", "pacman"]),
      name: z.string(),
      version: z.string(),
    })
    .optional(),
  /** Allocators the harness builds (scudo-musl): the static archive it was built from. */
  builtFrom: z.string().optional(),
  /** Variants: the base allocator and the settings the variant adds to its environment. */
  variant: z.object({ base: z.string(), env: z.record(z.string(), z.string()) }).optional(),
});

/** Operation kinds the workload runtime samples latency for (mallocbench.h enum mb_op). */
export const LATENCY_OPS = ["malloc", "free", "realloc", "calloc", "aligned"] as const;
/** Statistics of each operation's sampled latency, in nanoseconds. */
export const LATENCY_STATS = ["mean", "p50", "p90", "p99", "p999", "max"] as const;
export type LatencyOp = (typeof LATENCY_OPS)[number];
export type LatencyStat = (typeof LATENCY_STATS)[number];
/** A latency metric: `latency.<op>.<stat>`, e.g. latency.malloc.p99 (nanoseconds). */
export type LatencyMetric = `latency.${LatencyOp}.${LatencyStat}`;
export const LATENCY_METRICS: readonly LatencyMetric[] = LATENCY_OPS.flatMap((op) =>
  LATENCY_STATS.map((stat): LatencyMetric => `latency.${op}.${stat}`),
);
const LatencyMetricsShape = Object.fromEntries(
  LATENCY_METRICS.map((name) => [name, nonnegative.optional()]),
) as Record<LatencyMetric, z.ZodOptional<typeof nonnegative>>;

export const MetricsSchema = z.object({
  wallSeconds: positiveTime,
  userSeconds: nonnegative,
  sysSeconds: nonnegative,
  maxRssBytes: count,
  minorFaults: count,
  majorFaults: count,
  voluntaryContextSwitches: count,
  involuntaryContextSwitches: count,
  /** Allocator operations in the measured region, as the workload reports them. */
  ops: count.optional(),
  /** Seconds of the workload's measured region (behind its start barrier). */
  seconds: positiveTime.optional(),
  opsPerSecond: nonnegative.optional(),
  /** Software perf counters when the kernel allows them. */
  taskClockSeconds: nonnegative.optional(),
  perfContextSwitches: count.optional(),
  cpuMigrations: count.optional(),
  perfPageFaults: count.optional(),
  instructions: count.optional(),
  cycles: count.optional(),
  cacheMisses: count.optional(),
  branchMisses: count.optional(),
  /** Bytes the workload had requested and not yet freed, at their peak (its own count). */
  peakLiveBytes: count.optional(),
  /** maxRssBytes / peakLiveBytes. */
  memoryOverhead: nonnegative.optional(),
  /** RSS resident in the workload's hold phase (else after its last @phase, or at the end); docs/metrics.md. */
  retainedRssBytes: count.optional(),
  /** --metric instructions (callgrind): instructions executed inside the allocator's code. */
  allocatorInstructions: count.optional(),
  ...LatencyMetricsShape,
});

export const TimelineSchema = z.object({
  intervalMs: nonnegative,
  /** [milliseconds since start, RSS bytes] */
  samples: z.array(z.tuple([nonnegative, count])),
  decimations: count,
  /** null when the run ended before the first sample. */
  maxSampledBytes: count.nullable(),
});

export const FailureKindSchema = z.enum([
  "build-failed",
  "spawn-failed",
  "exit",
  "signal",
  "timeout",
  "heap-corruption",
  "out-of-memory",
  "no-result",
  "not-interposed",
  /** The program wrote a file (its stdout or stderr too) past the size limit: SIGXFSZ. */
  "output-limit",
  /** More than one result record, or a malformed one, on the result channel. */
  "result-protocol",
  /** The result's checksum, ops or echoed arguments differ from the reference run's. */
  "result-mismatch",
  /** Measured seconds not > 0, not finite, or beyond the launcher's wall time of the process. */
  "result-implausible",
  /** No reference run to check the result against (it failed): see the message. */
  "result-unverified",
]);

const RunBase = z.object({
  /** Stable key: workload/allocator/threads + phase/index; used by --resume. */
  key: z.string(),
  workload: z.string(),
  allocator: z.string(),
  libc: LibcSchema,
  threads: z.number().int().positive(),
  /** Workload parameters this run set (--param); absent: the size's defaults. */
  params: z.record(z.string(), z.string()).optional(),
  size: SizeSchema,
  round: count,
  warmup: z.boolean(),
  /** Order in which the run was executed in its invocation. */
  seq: count,
  /**
   * The invocation (`bench run`) that measured it, in a baseline saved from several
   * (`bench baseline save --add`); absent: the file's own invocation (see results/invocations.ts).
   */
  invocation: z.string().optional(),
  startedAt: z.string(),
  identity: z.string().nullable(),
  perfUnavailable: z.string().optional(),
  timeline: TimelineSchema.optional(),
  /** Latency sampling of this run: period, clock overhead, samples per operation kind. */
  latencySampling: z
    .object({
      unit: z.literal("ns"),
      sampleEvery: count,
      clockOverheadNs: nonnegative,
      samples: z.record(z.string(), count),
    })
    .optional(),
  /** Bytes the workload still held when it reported (its own count). */
  finalLiveBytes: nonnegative.optional(),
  /** `@phase <name> <seconds since the workload started>` markers, in order. */
  phases: z.array(z.tuple([z.string(), nonnegative])).optional(),
  /** External programs (docs/programs.md): the command, how interposition was verified, its figures. */
  program: z
    .object({
      command: z.array(z.string()),
      interposition: z.object({
        method: z.string(),
        /** LD_PRELOAD as set: the allocator (or the libc), then the identity probe. */
        preload: z.string(),
        /** The object file malloc had to resolve to. */
        expected: z.string().nullable(),
        malloc: z.string().nullable(),
        free: z.string().nullable(),
        /** Each entry point the process uses -> the object defining it (all must be expected). */
        entryPoints: z.record(z.string(), z.string().nullable()).optional(),
        /** The expected object is in the process's /proc/self/maps at start. */
        mapped: z.boolean(),
        /** Servers: it is in /proc/<pid>/maps read while the load ran. */
        mappedDuringLoad: z.boolean().optional(),
        verified: z.boolean(),
      }),
      /** Figures the program's run reported beyond the metrics (servers: rate per test, CPU seconds). */
      figures: z.record(z.string(), nonnegative).optional(),
    })
    .optional(),
});

export const OkRunSchema = RunBase.extend({
  status: z.literal("ok"),
  metrics: MetricsSchema.extend({ ops: count, seconds: positiveTime }),
  checksum: z.string().nullable(),
});

export const FailedRunSchema = RunBase.extend({
  status: z.literal("failed"),
  failure: z.object({ kind: FailureKindSchema, message: z.string() }),
  metrics: MetricsSchema.partial().optional(),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  stderrTail: z.string(),
});

export const RunRecordSchema = z.discriminatedUnion("status", [OkRunSchema, FailedRunSchema]);

export const ResultsHeaderSchema = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  tool: z.object({ name: z.literal("mallocbench"), version: z.string() }),
  createdAt: z.string(),
  environment: EnvironmentSchema,
  plan: PlanSchema,
  allocators: z.array(AllocatorRecordSchema),
  builds: z.array(
    z.object({
      workload: z.string(),
      libc: LibcSchema,
      toolchain: z.string(),
      hash: z.string(),
      status: z.enum(["ok", "failed"]),
      reason: z.string().optional(),
    }),
  ),
});

export const ResultsFileSchema = ResultsHeaderSchema.extend({
  finishedAt: z.string().nullable(),
  /** False when the invocation was interrupted: `bench run --resume <file>` completes it. */
  complete: z.boolean(),
  warnings: z.array(z.string()),
  /** A baseline saved from several invocations: each one's id (its runs' `invocation`), oldest first. */
  invocations: z.array(z.object({ id: z.string(), createdAt: z.string() })).optional(),
  runs: z.array(RunRecordSchema),
  /** `bench run --hardening`: the heap-misuse probe matrix (docs/hardening.md). */
  hardening: HardeningReportSchema.optional(),
});

export type Environment = z.infer<typeof EnvironmentSchema>;
export type Plan = z.infer<typeof PlanSchema>;
export type AllocatorRecord = z.infer<typeof AllocatorRecordSchema>;
export type Metrics = z.infer<typeof MetricsSchema>;
export type Timeline = z.infer<typeof TimelineSchema>;
export type FailureKind = z.infer<typeof FailureKindSchema>;
export type OkRun = z.infer<typeof OkRunSchema>;
export type FailedRun = z.infer<typeof FailedRunSchema>;
export type RunRecord = z.infer<typeof RunRecordSchema>;
export type ProgramRun = NonNullable<RunRecord["program"]>;
export type ResultsHeader = z.infer<typeof ResultsHeaderSchema>;
export type ResultsFile = z.infer<typeof ResultsFileSchema>;
