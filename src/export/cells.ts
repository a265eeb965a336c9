import { describe as describeValues } from "../stats/index.js";
import { METRICS, valuesOf, type MetricInfo } from "../analysis/metrics.js";
import { cellKey, paramVariants, sameParams } from "../plan/schedule.js";
import type { ResultsFile, RunRecord } from "../results/schema.js";

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
