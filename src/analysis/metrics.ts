import { UsageError } from "../errors.js";
import {
  LATENCY_OPS,
  LATENCY_STATS,
  type LatencyStat,
  type Metrics,
  type RunRecord,
  type Timeline,
} from "../results/schema.js";

export type MetricName = keyof Metrics;

export interface MetricInfo {
  name: MetricName;
  description: string;
  unit: "s" | "ns" | "B" | "op/s" | "count" | "ratio";
  /** Which direction is an improvement. */
  better: "lower" | "higher";
  /** Words for a significant change in the good and the bad direction. */
  words: { improved: string; regressed: string };
  /**
   * Counted, not timed: under `bench run --metric instructions` (callgrind) a run gives the same
   * value every time, so `bench check` compares medians within a tolerance instead of testing.
   */
  deterministic?: boolean;
}

const TIME = { improved: "faster", regressed: "slower" };
const MEMORY = { improved: "leaner", regressed: "fatter" };
const COUNT = { improved: "fewer", regressed: "more" };

const STAT_WORDS: Record<LatencyStat, string> = {
  mean: "mean",
  p50: "median",
  p90: "90th percentile",
  p99: "99th percentile",
  p999: "99.9th percentile",
  max: "largest sampled",
};

/** latency.<op>.<stat>: one sampled call in about 256 (docs/metrics.md), in nanoseconds. */
const LATENCY_INFO: MetricInfo[] = LATENCY_OPS.flatMap((op) =>
  LATENCY_STATS.map((stat): MetricInfo => ({
    name: `latency.${op}.${stat}`,
    description: `${STAT_WORDS[stat]} latency of one ${op} call (sampled)`,
    unit: "ns",
    better: "lower",
    words: TIME,
  })),
);

/** Every metric a results file can hold, in display order. */
export const METRICS: readonly MetricInfo[] = [
  {
    name: "seconds",
    description: "time of the workload's measured region",
    unit: "s",
    better: "lower",
    words: TIME,
  },
  {
    name: "wallSeconds",
    description: "wall time of the whole process",
    unit: "s",
    better: "lower",
    words: TIME,
  },
  { name: "userSeconds", description: "user CPU time", unit: "s", better: "lower", words: TIME },
  { name: "sysSeconds", description: "system CPU time", unit: "s", better: "lower", words: TIME },
  {
    name: "opsPerSecond",
    description: "allocator operations per second",
    unit: "op/s",
    better: "higher",
    words: TIME,
  },
  {
    name: "maxRssBytes",
    description: "peak resident set size",
    unit: "B",
    better: "lower",
    words: MEMORY,
  },
  {
    name: "minorFaults",
    description: "minor page faults",
    unit: "count",
    better: "lower",
    words: COUNT,
  },
  {
    name: "majorFaults",
    description: "major page faults",
    unit: "count",
    better: "lower",
    words: COUNT,
  },
  {
    name: "voluntaryContextSwitches",
    description: "voluntary context switches",
    unit: "count",
    better: "lower",
    words: COUNT,
  },
  {
    name: "involuntaryContextSwitches",
    description: "involuntary context switches",
    unit: "count",
    better: "lower",
    words: COUNT,
  },
  {
    name: "taskClockSeconds",
    description: "CPU time (perf task-clock)",
    unit: "s",
    better: "lower",
    words: TIME,
  },
  {
    name: "perfContextSwitches",
    description: "context switches (perf)",
    unit: "count",
    better: "lower",
    words: COUNT,
  },
  {
    name: "cpuMigrations",
    description: "CPU migrations (perf)",
    unit: "count",
    better: "lower",
    words: COUNT,
  },
  {
    name: "perfPageFaults",
    description: "page faults (perf)",
    unit: "count",
    better: "lower",
    words: COUNT,
  },
  {
    name: "instructions",
    description: "instructions retired (perf counter, or callgrind under --metric instructions)",
    unit: "count",
    better: "lower",
    words: COUNT,
    deterministic: true,
  },
  { name: "cycles", description: "CPU cycles", unit: "count", better: "lower", words: COUNT },
  {
    name: "cacheMisses",
    description: "cache misses",
    unit: "count",
    better: "lower",
    words: COUNT,
  },
  {
    name: "branchMisses",
    description: "branch misses",
    unit: "count",
    better: "lower",
    words: COUNT,
  },
  {
    name: "ops",
    description: "allocator operations in the measured region",
    unit: "count",
    better: "higher",
    words: COUNT,
  },
  {
    name: "allocatorInstructions",
    description: "instructions inside the allocator (callgrind, --metric instructions)",
    unit: "count",
    better: "lower",
    words: COUNT,
    deterministic: true,
  },
  {
    name: "peakLiveBytes",
    description: "peak bytes the workload requested and still held",
    unit: "B",
    better: "lower",
    words: MEMORY,
  },
  {
    name: "memoryOverhead",
    description: "peak RSS / peak live bytes",
    unit: "ratio",
    better: "lower",
    words: MEMORY,
  },
  {
    name: "retainedRssBytes",
    description: "RSS still resident after the workload freed its memory (hold phase)",
    unit: "B",
    better: "lower",
    words: MEMORY,
  },
  ...LATENCY_INFO,
];

const BY_NAME = new Map(METRICS.map((m) => [m.name as string, m]));

/** Look up a metric by name; unknown names are a usage error listing the valid ones. */
export function metricInfo(name: string, flag = "--metric"): MetricInfo {
  const info = BY_NAME.get(name);
  if (!info)
    throw new UsageError(
      `${flag}: unknown metric "${name}" (valid: ${METRICS.map((m) => m.name).join(", ")})`,
    );
  return info;
}

/** Values of one metric over the measured (non-warmup) successful runs. */
export function valuesOf(runs: readonly RunRecord[], metric: MetricName): number[] {
  const out: number[] = [];
  for (const run of runs) {
    const value = measuredValue(run, metric);
    if (value !== null) out.push(value);
  }
  return out;
}

/** The run's value of a metric if it counts: a measured (not warmup) ok run, a finite number. */
export function measuredValue(run: RunRecord, metric: MetricName): number | null {
  if (run.warmup || run.status !== "ok") return null;
  const value = run.metrics[metric];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** Human formatting of one value of a metric. */
export function formatValue(value: number, info: MetricInfo): string {
  switch (info.unit) {
    case "s":
      if (value < 1e-3) return `${(value * 1e6).toFixed(1)} µs`;
      if (value < 1) return `${(value * 1e3).toFixed(1)} ms`;
      return `${value.toFixed(3)} s`;
    case "B":
      if (value >= 1 << 30) return `${(value / (1 << 30)).toFixed(2)} GiB`;
      if (value >= 1 << 20) return `${(value / (1 << 20)).toFixed(1)} MiB`;
      return `${(value / 1024).toFixed(1)} KiB`;
    case "op/s":
      return value >= 1e6
        ? `${(value / 1e6).toFixed(2)} Mop/s`
        : `${(value / 1e3).toFixed(1)} kop/s`;
    case "ns":
      if (Math.abs(value) >= 1e6) return `${(value / 1e6).toFixed(2)} ms`;
      if (Math.abs(value) >= 1e3) return `${(value / 1e3).toFixed(2)} µs`;
      return `${Math.round(value)} ns`;
    case "ratio":
      return `${value.toFixed(2)}x`;
    case "count":
      return value >= 1e6
        ? `${(value / 1e6).toFixed(2)} M`
        : value >= 1e4
          ? `${(value / 1e3).toFixed(1)} k`
          : String(Math.round(value));
  }
}

/** The memory metrics derived from what a run recorded; each is absent when its inputs are. */
export function derivedMemoryMetrics(input: {
  maxRssBytes: number | undefined;
  peakLiveBytes: number | undefined;
  timeline: Timeline | undefined;
  phases: readonly (readonly [string, number])[];
}): Pick<Metrics, "memoryOverhead" | "retainedRssBytes"> {
  const out: Pick<Metrics, "memoryOverhead" | "retainedRssBytes"> = {};
  if (
    input.maxRssBytes !== undefined &&
    input.peakLiveBytes !== undefined &&
    input.peakLiveBytes > 0
  )
    out.memoryOverhead = input.maxRssBytes / input.peakLiveBytes;
  const retained = retainedRssBytes(input.timeline, input.phases);
  if (retained !== undefined) out.retainedRssBytes = retained;
  return out;
}

/**
 * RSS still resident after the workload freed its memory (docs/metrics.md): with a `hold` phase
 * (the memory workloads free everything, print `@phase hold`, sleep, then print the next phase),
 * the last timeline sample inside the hold; otherwise, with phases, the last sample after the
 * last phase; without phases, the last sample. "Inside"/"after" a phase starting at s seconds
 * means at least one sampling interval past s*1000 ms: the launcher's clock starts a little
 * before the workload's (exec and dynamic linking), and the interval covers that offset.
 * Absolute: it includes the process's own resident memory (program, libc, allocator metadata).
 * Samples of 0 bytes (taken while the process was exiting) are skipped.
 * Undefined when no sample qualifies (no timeline, or a hold shorter than the interval).
 */
export function retainedRssBytes(
  timeline: Timeline | undefined,
  phases: readonly (readonly [string, number])[],
): number | undefined {
  if (!timeline || timeline.samples.length === 0) return undefined;
  const hold = phases.findIndex(([name]) => name === "hold");
  const from = hold >= 0 ? phases[hold] : phases.at(-1);
  const until = hold >= 0 ? phases[hold + 1] : undefined;
  const inside = timeline.samples.filter(
    ([ms, bytes]) =>
      bytes > 0 && // a process that is exiting reads as 0
      (from === undefined || ms >= from[1] * 1000 + timeline.intervalMs) &&
      (until === undefined || ms <= until[1] * 1000),
  );
  return inside.at(-1)?.[1];
}
