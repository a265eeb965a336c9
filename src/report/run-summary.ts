import { median } from "simple-statistics";
import { compareAllocators, DEFAULT_TOLERANCE } from "../analysis/comparisons.js";
import { directed, directedInterval, TIME_WORDS } from "../analysis/direction.js";
import { verdictMark } from "../analysis/format.js";
import { metricInfo } from "../analysis/metrics.js";
import { paramVariants, paramsKey, sameParams, workloadLabel } from "../plan/schedule.js";
import type { OkRun, ResultsFile, RunRecord } from "../results/schema.js";
import { showControls } from "../util/text.js";

export interface SummaryRow {
  workload: string;
  threads: number;
  /** Workload parameters of the cell (--param scans). */
  params?: Record<string, string>;
  allocator: string;
  ok: number;
  failed: number;
  /** Median seconds of the workload's measured region. */
  medianSeconds: number | null;
  /** Median instructions counted under callgrind (runs with --metric instructions), else null. */
  medianInstructions: number | null;
  /**
   * The ranked metric's median / the baseline's for the same workload and threads: seconds, or
   * instructions when the runs were counted under callgrind (their times are valgrind's).
   */
  ratio: number | null;
  medianOpsPerSecond: number | null;
  medianMaxRssBytes: number | null;
  failures: string[];
  /** 95% CI of the time ratio (Hodges-Lehmann on logs, from compareAllocators); null without one. */
  ratioLower: number | null;
  ratioUpper: number | null;
  /** Verdict against the baseline: + faster, - slower, ~ no significant difference, ? no verdict, "" the baseline. */
  mark: string;
}

export interface Summary {
  baseline: string | null;
  /** What the ratio and the verdicts compare. */
  metric: "seconds" | "instructions";
  rows: SummaryRow[];
  okRuns: number;
  failedRuns: number;
}

/** Per-cell medians over measured runs (warmups excluded). The statistics module goes further. */
export function summarize(results: ResultsFile, baseline?: string): Summary {
  const measured = results.runs.filter((r) => !r.warmup);
  const allocators = results.plan.allocators;
  const base =
    baseline && allocators.includes(baseline)
      ? baseline
      : (["glibc", "musl"].find((a) => allocators.includes(a)) ?? allocators[0] ?? null);
  const groups = new Map<string, RunRecord[]>();
  for (const run of measured) {
    const key = `${run.workload}\0${run.threads}\0${paramsKey(run.params)}\0${run.allocator}`;
    const list = groups.get(key) ?? [];
    list.push(run);
    groups.set(key, list);
  }
  const counted = results.plan.measure === "instructions";
  const metric = counted ? "instructions" : "seconds";
  const comparison = base
    ? compareAllocators(results, base, {
        metric: metricInfo(metric),
        alpha: 0.05,
        level: 0.95,
        threshold: 0,
        ...(counted ? { tolerance: DEFAULT_TOLERANCE } : {}),
      })
    : null;
  const rows: SummaryRow[] = [];
  for (const workload of results.plan.workloads) {
    for (const threads of results.plan.threads) {
      for (const params of paramVariants(results.plan.params)) {
        const cell = `${workload}\0${threads}\0${paramsKey(params)}`;
        const medianOf = (name: string, pick: (r: OkRun) => number | undefined): number | null => {
          const ok = (groups.get(`${cell}\0${name}`) ?? []).filter(
            (r): r is OkRun => r.status === "ok",
          );
          const values = ok.map(pick).filter((v): v is number => typeof v === "number");
          return values.length ? median(values) : null;
        };
        const ranked = (r: OkRun): number | undefined =>
          counted ? r.metrics.instructions : r.metrics.seconds;
        const baseValue = base ? medianOf(base, ranked) : null;
        for (const allocator of allocators) {
          const runs = groups.get(`${cell}\0${allocator}`) ?? [];
          // A cell with no runs at all (skipped by the plan, or never reached) has nothing to show.
          if (runs.length === 0) continue;
          const seconds = medianOf(allocator, (r) => r.metrics.seconds);
          const value = medianOf(allocator, ranked);
          const compared = comparison?.rows.find(
            (c) =>
              c.workload === workload &&
              c.threads === threads &&
              sameParams(c.params, params) &&
              c.allocator === allocator,
          );
          const ci = compared?.result.kind === "compared" ? compared.result : null;
          rows.push({
            ratioLower: ci?.lower ?? null,
            ratioUpper: ci?.upper ?? null,
            mark: compared ? verdictMark(compared) : "",
            workload,
            threads,
            ...(Object.keys(params).length > 0 ? { params } : {}),
            allocator,
            ok: runs.filter((r) => r.status === "ok").length,
            failed: runs.filter((r) => r.status === "failed").length,
            medianSeconds: seconds,
            medianInstructions: counted ? medianOf(allocator, (r) => r.metrics.instructions) : null,
            // The report's estimator (Hodges-Lehmann on logs) when there is one, so the two agree;
            // the ratio of medians when there are too few runs for it.
            ratio: ci ? ci.ratio : value !== null && baseValue ? value / baseValue : null,
            medianOpsPerSecond: medianOf(allocator, (r) => r.metrics.opsPerSecond),
            medianMaxRssBytes: medianOf(allocator, (r) => r.metrics.maxRssBytes),
            failures: [
              ...new Set(
                runs.flatMap((r) =>
                  r.status === "failed" ? [`${r.failure.kind}: ${r.failure.message}`] : [],
                ),
              ),
            ],
          });
        }
      }
    }
  }
  return {
    baseline: base,
    metric,
    rows,
    okRuns: measured.filter((r) => r.status === "ok").length,
    failedRuns: results.runs.filter((r) => r.status === "failed").length,
  };
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** A compact fixed-width table for the terminal. */
export function formatSummary(summary: Summary): string {
  const header = [
    "workload",
    "threads",
    "allocator",
    "ok/n",
    summary.metric === "instructions" ? "M instr" : "median s",
    `vs ${summary.baseline ?? "-"}`,
    "95% CI",
    "",
    "Mops/s",
    "peak RSS",
  ].map(showControls);
  const words =
    summary.metric === "instructions"
      ? { below: "fewer instructions", above: "more instructions" }
      : TIME_WORDS;
  // Names from the results stay on one line, their control characters shown.
  const body = summary.rows.map((r) =>
    [
      workloadLabel(r.workload, r.params),
      String(r.threads),
      r.allocator,
      `${r.ok}/${r.ok + r.failed}`,
      summary.metric === "instructions"
        ? r.medianInstructions === null
          ? "-"
          : (r.medianInstructions / 1e6).toFixed(2)
        : r.medianSeconds === null
          ? "-"
          : // A program scored by its throughput has seconds = 1/value: keep its digits.
            r.medianSeconds < 0.001
            ? r.medianSeconds.toPrecision(3)
            : r.medianSeconds.toFixed(4),
      r.ratio === null ? "-" : directed(r.ratio, words),
      r.ratioLower === null || r.ratioUpper === null
        ? ""
        : directedInterval(r.ratioLower, r.ratioUpper, words),
      r.mark,
      r.medianOpsPerSecond === null ? "-" : (r.medianOpsPerSecond / 1e6).toFixed(2),
      r.medianMaxRssBytes === null ? "-" : `${(r.medianMaxRssBytes / 1048576).toFixed(1)} MiB`,
    ].map(showControls),
  );
  const widths = header.map((h, i) =>
    Math.max(h.length, ...body.map((row) => (row[i] ?? "").length)),
  );
  const numeric = new Set([1, 3, 4, 5, 6, 8, 9]);
  const line = (cells: string[]): string =>
    cells.map((c, i) => pad(c, widths[i] ?? 0, numeric.has(i))).join("  ");
  const lines = [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)];
  const failures = summary.rows.filter((r) => r.failures.length > 0);
  if (failures.length > 0) {
    lines.push("", "failures:");
    for (const r of failures)
      for (const f of r.failures)
        lines.push(
          showControls(
            `  ${workloadLabel(r.workload, r.params)} t${r.threads} ${r.allocator}: ${f}`,
          ),
        );
  }
  lines.push(
    "",
    ...(summary.metric === "instructions"
      ? [
          `ratio = median instructions counted under callgrind against ${summary.baseline ?? "baseline"}'s, folded to >= 1 with its direction; times under valgrind are not ranked.`,
          `range: the ratios any two runs give; + fewer, - more instructions beyond ±${(DEFAULT_TOLERANCE * 100).toFixed(1)}% (counted runs are deterministic: no test), ~ within it, ? no verdict.`,
        ]
      : [
          `ratio = time of the measured region against ${summary.baseline ?? "baseline"}'s, folded to >= 1 with its direction (faster, slower): the Hodges-Lehmann estimate as in bench report, or the ratio of medians where too few runs give none; warmups excluded.`,
          `95% CI: Hodges-Lehmann ratio interval; + faster, - slower, ~ no significant difference (Mann-Whitney U, or the paired signed-rank test from 10 rounds on; Benjamini-Hochberg, alpha 0.05), ? too few runs for a verdict.`,
        ]),
  );
  return lines.join("\n");
}
