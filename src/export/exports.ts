import { describe as describeValues } from "../stats/index.js";
import { METRICS, valuesOf, type MetricInfo } from "../analysis/metrics.js";
import { cellKey, paramVariants, sameParams } from "../plan/schedule.js";
import { csvCell } from "../util/text.js";
import type { ResultsFile, RunRecord } from "../results/schema.js";

const RUN_COLUMNS = [
  "key",
  "workload",
  "allocator",
  "libc",
  "threads",
  "size",
  "round",
  "warmup",
  "seq",
  "startedAt",
  "status",
  "failure",
  "identity",
] as const;

/** CSV, one row per run (warmups and failures included, flagged), every metric a column. */
export function runsCsv(results: ResultsFile): string {
  const metrics = METRICS.map((m) => m.name).filter((name) =>
    results.runs.some((r) => r.metrics?.[name] !== undefined),
  );
  const lines = [[...RUN_COLUMNS, ...metrics].join(",")];
  for (const run of results.runs) {
    const failure = run.status === "failed" ? `${run.failure.kind}: ${run.failure.message}` : "";
    const fixed = [
      run.key,
      run.workload,
      run.allocator,
      run.libc,
      run.threads,
      run.size,
      run.round,
      run.warmup,
      run.seq,
      run.startedAt,
      run.status,
      failure,
      run.identity,
    ];
    lines.push([...fixed, ...metrics.map((m) => run.metrics?.[m])].map(csvCell).join(","));
  }
  return `${lines.join("\n")}\n`;
}

export interface CellSummary {
  workload: string;
  allocator: string;
  threads: number;
  /** Workload parameters of the cell (--param scans). */
  params?: Record<string, string>;
  metric: string;
  n: number;
  median: number;
  lower: number | null;
  upper: number | null;
  mean: number;
  sd: number;
  cv: number;
  min: number;
  max: number;
  outliers: number;
}

interface CellRuns {
  workload: string;
  allocator: string;
  threads: number;
  params?: Record<string, string>;
  runs: RunRecord[];
}

function cells(results: ResultsFile): CellRuns[] {
  const out: CellRuns[] = [];
  for (const workload of results.plan.workloads)
    for (const allocator of results.plan.allocators)
      for (const threads of results.plan.threads)
        for (const params of paramVariants(results.plan.params)) {
          const runs = results.runs.filter(
            (r) =>
              r.workload === workload &&
              r.allocator === allocator &&
              r.threads === threads &&
              sameParams(r.params, params),
          );
          const set = Object.keys(params).length > 0 ? { params } : {};
          if (runs.length > 0) out.push({ workload, allocator, threads, ...set, runs });
        }
  return out;
}

/** Per cell and metric: n, median with its distribution-free CI, mean, sd, CV, range, outliers. */
export function cellSummaries(
  results: ResultsFile,
  metrics: readonly MetricInfo[] = METRICS,
): CellSummary[] {
  const out: CellSummary[] = [];
  for (const c of cells(results)) {
    for (const metric of metrics) {
      const values = valuesOf(c.runs, metric.name);
      if (values.length === 0) continue;
      const d = describeValues(values);
      out.push({
        workload: c.workload,
        allocator: c.allocator,
        threads: c.threads,
        ...(c.params ? { params: c.params } : {}),
        metric: metric.name,
        n: d.n,
        median: d.median,
        lower: d.medianCi?.lower ?? null,
        upper: d.medianCi?.upper ?? null,
        mean: d.mean,
        sd: d.sd,
        cv: d.cv,
        min: d.min,
        max: d.max,
        outliers: d.outliers.length,
      });
    }
  }
  return out;
}

/** Benchmark names shared by the continuous-benchmarking exports. */
export function benchmarkName(
  s: Pick<CellSummary, "workload" | "allocator" | "threads" | "params">,
): string {
  return cellKey(s);
}

const BMF_MEASURES: Record<string, string> = {
  seconds: "latency",
  maxRssBytes: "max-rss",
  opsPerSecond: "throughput",
};

/**
 * Bencher Metric Format: { benchmark: { measure: { value, lower_value, upper_value } } }.
 * latency = median seconds of the measured region (in nanoseconds, Bencher's unit for its
 * built-in latency measure), max-rss in bytes, throughput in operations per second; bounds are
 * the median's 95% CI when there are enough runs.
 */
export function bencherMetricFormat(
  results: ResultsFile,
): Record<string, Record<string, { value: number; lower_value?: number; upper_value?: number }>> {
  const out: Record<
    string,
    Record<string, { value: number; lower_value?: number; upper_value?: number }>
  > = {};
  const wanted = METRICS.filter((m) => m.name in BMF_MEASURES);
  for (const s of cellSummaries(results, wanted)) {
    const scale = s.metric === "seconds" ? 1e9 : 1;
    const entry: { value: number; lower_value?: number; upper_value?: number } = {
      value: s.median * scale,
    };
    if (s.lower !== null && s.upper !== null) {
      entry.lower_value = s.lower * scale;
      entry.upper_value = s.upper * scale;
    }
    const name = benchmarkName(s);
    out[name] = { ...out[name], [BMF_MEASURES[s.metric] as string]: entry };
  }
  return out;
}

/**
 * github-action-benchmark's custom format ("customSmallerIsBetter"): one entry per cell with the
 * median seconds, the CI as `range`, and the run count in `extra`. Only smaller-is-better
 * metrics belong in one file; peak RSS goes to a second file with --metric maxRssBytes.
 */
export function githubActionBenchmark(
  results: ResultsFile,
  metric: MetricInfo,
): { name: string; unit: string; value: number; range?: string; extra: string }[] {
  return cellSummaries(results, [metric]).map((s) => ({
    name: benchmarkName(s),
    unit: metric.unit === "B" ? "bytes" : metric.unit,
    value: s.median,
    ...(s.lower !== null && s.upper !== null ? { range: `${s.lower}..${s.upper}` } : {}),
    extra: `n=${s.n} cv=${(s.cv * 100).toFixed(1)}% testbed=${results.environment.arch} ${results.environment.cpuModel}`,
  }));
}
