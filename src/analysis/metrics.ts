import { UsageError } from "../errors.js";
import type { Metrics, RunRecord } from "../results/schema.js";

export type MetricName = keyof Metrics;

export interface MetricInfo {
  name: MetricName;
  description: string;
  unit: "s" | "B" | "op/s" | "count";
  /** Which direction is an improvement. */
  better: "lower" | "higher";
  /** Words for a significant change in the good and the bad direction. */
  words: { improved: string; regressed: string };
}

const TIME = { improved: "faster", regressed: "slower" };
const MEMORY = { improved: "leaner", regressed: "fatter" };
const COUNT = { improved: "fewer", regressed: "more" };

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
    description: "instructions retired",
    unit: "count",
    better: "lower",
    words: COUNT,
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
    if (run.warmup || run.status !== "ok") continue;
    const value = run.metrics[metric];
    if (typeof value === "number" && Number.isFinite(value)) out.push(value);
  }
  return out;
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
    case "count":
      return value >= 1e6
        ? `${(value / 1e6).toFixed(2)} M`
        : value >= 1e4
          ? `${(value / 1e3).toFixed(1)} k`
          : String(Math.round(value));
  }
}
