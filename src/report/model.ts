/**
 * The numbers a report shows, computed once from the results with the project's statistics
 * (comparisons, median CIs, geometric means) and shared by every chart, table and text.
 */
import { compareAllocatorsByMetric, type ComparisonReport } from "../analysis/comparisons.js";
import { metricInfo } from "../analysis/metrics.js";
import { describeTestbed, testbedOf } from "../analysis/testbed.js";
import { paramVariants, workloadLabel } from "../plan/schedule.js";
import type { OkRun, ResultsFile, RunRecord } from "../results/schema.js";
import { quantileSorted } from "simple-statistics";
import { describeCentre, geometricMeanRatio } from "../stats/index.js";
import { disagrees } from "../analysis/direction.js";
import { allocatorOrder } from "./palette.js";
import {
  LATENCY_OPS,
  LATENCY_PERCENTILES,
  hardeningOf,
  latencyOf,
  latencySamples,
  liveBytesOf,
  type Hardening,
  type LatencyOp,
} from "./extras.js";

export interface CellKey {
  testbed: string;
  workload: string;
  threads: number;
  allocator: string;
}

/** Median of a metric in one cell with its distribution-free 95% CI (null when n is too small). */
export interface CellEstimate extends CellKey {
  n: number;
  median: number;
  lower: number | null;
  upper: number | null;
}

/**
 * A ratio against the baseline (candidate / baseline) with its 95% CI and verdict (from
 * compareAllocators). Cells with too few runs for a test keep a point estimate, the ratio of
 * the medians, with no CI (lower and upper null) and the verdict "same".
 */
export interface RatioRow extends CellKey {
  against: string;
  ratio: number;
  lower: number | null;
  upper: number | null;
  adjustedP: number | null;
  verdict: "improved" | "regressed" | "same";
  /** Fewest measured runs of the two cells. */
  n: number;
  /** Median of the candidate / median of the baseline. */
  medianRatio: number;
  /** The ratio of medians and the HL estimate point in opposite directions. */
  bimodal: boolean;
  /** More threads than the testbed's CPUs (see {@link TestbedModel.cpus}). */
  oversubscribed: boolean;
}

/**
 * How a cell's runs are drawn in the distribution chart:
 * - "runs": whiskers from min to max, and the runs as points (every run, or at most
 *   pointsPerCell of them evenly spread over the sorted runs);
 * - "outliers" (cells too many for a useful number of points each): whiskers reach the furthest
 *   run within 1.5 × IQR of the quartiles (Tukey), and only the runs beyond them are points.
 */
export type DistributionStyle = "runs" | "outliers";

/** Box statistics of one cell, plus at most pointsPerCell runs to draw as points. */
export interface Distribution extends CellKey {
  n: number;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
  style: DistributionStyle;
  /** Ends of the whisker: min and max ("runs"), or Tukey's fences clipped to runs ("outliers"). */
  whiskerLow: number;
  whiskerHigh: number;
  /** Runs beyond the whiskers in style "outliers" (before thinning). */
  outliers: number;
  points: { seconds: number; jitter: number }[];
}

export interface TimelineRow extends CellKey {
  ms: number;
  mib: number;
}

/**
 * An estimate over a cell's runs with its interval: the median of the per-run values and the
 * distribution-free 95% CI of that median from order statistics ({@link describeCentre}); null
 * bounds when the runs are too few for one (fewer than 6), `n` saying how many there were.
 */
export interface RunInterval {
  n: number;
  lower: number | null;
  upper: number | null;
}

export interface LatencyRow extends CellKey, RunInterval {
  op: LatencyOp;
  percentile: string;
  /** Position of the percentile on the x axis (p50 = 0 ...). */
  order: number;
  /** Median over the runs of each run's percentile. */
  ns: number;
}

export interface OverheadRow extends CellKey, RunInterval {
  /** Median over the runs of each run's peak RSS / peak live bytes (bounds: its 95% CI). */
  overhead: number;
  /** Medians over the runs. */
  peakRssBytes: number;
  peakLiveBytes: number;
}

export interface SummaryRow {
  testbed: string;
  metric: "time" | "peak RSS";
  allocator: string;
  against: string;
  cells: number;
  /** Cells left out because they ran more threads than the testbed has CPUs. */
  oversubscribedCells: number;
  geomean: number;
  lower: number | null;
  upper: number | null;
}

export interface TestbedModel {
  /** Short unique label used in charts ("x86_64 · AMD EPYC ..."). */
  label: string;
  /** describeTestbed: arch, CPU, cores, libcs. */
  description: string;
  source: string;
  results: ResultsFile;
  baseline: string;
  workloads: string[];
  allocators: string[];
  threads: number[];
  /** CPUs the runs could use (the pinned set, else the online CPUs); null when unknown. */
  cpus: number | null;
  /** Thread counts above {@link cpus}: flagged everywhere and left out of the summaries. */
  oversubscribed: number[];
  /** Successful measured runs per cell: "5", or a range such as "5-30". */
  runsPerCell: string;
  time: ComparisonReport;
  rss: ComparisonReport;
  timeRatios: RatioRow[];
  rssRatios: RatioRow[];
  throughput: CellEstimate[];
  distributions: Distribution[];
  timelines: TimelineRow[];
  /** At most this many runs per cell are drawn as points in the distribution chart. */
  pointsPerCell: number;
  /** Thread count the per-workload timelines, latencies and overheads are shown at. */
  detailThreads: number;
  latency: LatencyRow[];
  overhead: OverheadRow[];
  hardening: Hardening | null;
  summary: SummaryRow[];
  failures: { workload: string; threads: number; allocator: string; kind: string; count: number }[];
  caption: string;
}

/** The comparisons against the baseline: the costly part of a model, computed last. */
type ComparisonParts = "time" | "rss" | "timeRatios" | "rssRatios" | "summary";
/** A testbed before its comparisons (see {@link buildDescriptiveModel}). */
export type DescriptiveTestbed = Omit<TestbedModel, ComparisonParts>;

/** A model before its comparisons: enough for the charts that show the runs themselves. */
export interface DescriptiveModel {
  testbeds: DescriptiveTestbed[];
  allocators: string[];
  generatedAt: string;
}

export interface ReportModel {
  testbeds: TestbedModel[];
  /** The comparison the report opens with (`--focus A:B`). */
  focus?: { candidate: string; baseline: string };
  /** Every allocator of the report in display order: the domain of the shared colours. */
  allocators: string[];
  generatedAt: string;
}

/** Points drawn per cell in the distribution chart; the box covers every run. */
export const MAX_POINTS = 60;
/** Points drawn in the whole distribution chart of a testbed: fewer per cell when cells are many. */
export const MAX_TOTAL_POINTS = 12_000;
const MIN_POINTS = 10;
/**
 * Fewer points per cell than this (many cells, and some with more runs than that) and the
 * evenly spread points would only repeat the box: such a chart draws Tukey outliers instead.
 */
export const MIN_SPREAD_POINTS = 30;
/** Tukey's fence: runs further than this many IQRs outside the quartiles are outliers. */
export const TUKEY_FENCE = 1.5;

const LEVEL = 0.95;

function groupRuns(runs: readonly RunRecord[]): Map<string, OkRun[]> {
  const groups = new Map<string, OkRun[]>();
  for (const run of runs) {
    if (run.warmup || run.status !== "ok") continue;
    const key = `${workloadLabel(run.workload, run.params)}\0${run.threads}\0${run.allocator}`;
    const list = groups.get(key);
    if (list) list.push(run);
    else groups.set(key, [run]);
  }
  return groups;
}

/** Every comparison with a ratio: tested ones with their CI, too-few-runs ones as a point. */
function ratioRows(
  report: ComparisonReport,
  testbed: string,
  oversubscribed: readonly number[],
): RatioRow[] {
  const rows: RatioRow[] = [];
  for (const row of report.rows) {
    const r = row.result;
    const c = row.candidate;
    const b = row.baseline;
    if (!c || !b || !(c.median > 0) || !(b.median > 0)) continue;
    if (r.kind === "not-applicable") continue;
    const medianRatio = c.median / b.median;
    const tested = r.kind === "compared";
    const ratio = tested ? r.ratio : medianRatio;
    rows.push({
      testbed,
      workload: workloadLabel(row.workload, row.params),
      threads: row.threads,
      allocator: row.allocator,
      against: row.against,
      ratio,
      lower: tested ? r.lower : null,
      upper: tested ? r.upper : null,
      adjustedP: tested ? r.adjustedP : null,
      verdict: tested ? r.verdict : "same",
      n: Math.min(c.n, b.n),
      medianRatio,
      bimodal: tested && disagrees(ratio, medianRatio),
      oversubscribed: oversubscribed.includes(row.threads),
    });
  }
  return rows;
}

/**
 * Geometric mean of each allocator's per-cell ratios (point estimates included), leaving out
 * oversubscribed cells unless every cell of the allocator is one.
 */
export function summaryRows(
  rows: readonly RatioRow[],
  metric: SummaryRow["metric"],
  level = LEVEL,
): SummaryRow[] {
  const groups = new Map<string, RatioRow[]>();
  for (const r of rows) {
    const key = `${r.testbed}\0${r.allocator}\0${r.against}`;
    const list = groups.get(key);
    if (list) list.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.values()].map((all) => {
    const fitting = all.filter((r) => !r.oversubscribed);
    const used = fitting.length > 0 ? fitting : all;
    const gm = geometricMeanRatio(
      used.map((r) => r.ratio),
      level,
    );
    const first = all[0] as RatioRow;
    return {
      testbed: first.testbed,
      metric,
      allocator: first.allocator,
      against: first.against,
      cells: used.length,
      oversubscribedCells: all.length - used.length,
      geomean: gm.geomean,
      lower: gm.lower,
      upper: gm.upper,
    };
  });
}

/** The hardening matrix of the selected allocators only. */
function selectedHardening(h: Hardening | null, allocators: readonly string[]): Hardening | null {
  if (!h) return null;
  const kept = h.allocators.filter((a) => allocators.includes(a));
  if (kept.length === 0) return null;
  return { ...h, allocators: kept, cells: h.cells.filter((c) => kept.includes(c.allocator)) };
}

/** Number of CPUs in a Linux CPU list ("0-15", "0,2,4-7"); null when it does not parse. */
export function cpuListCount(list: string | null | undefined): number | null {
  if (!list) return null;
  let count = 0;
  for (const part of list.trim().split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return null;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) return null;
    count += hi - lo + 1;
  }
  return count > 0 ? count : null;
}

/** CPUs the runs of a results file could use: the pinned set, else the online CPUs. */
export function usableCpus(results: ResultsFile): number | null {
  return (
    cpuListCount(results.plan.cpus ?? null) ??
    cpuListCount(results.environment.onlineCpus) ??
    (results.environment.cores > 0 ? results.environment.cores : null)
  );
}

/** Up to `max` values spread evenly over the sorted sample (keeps its shape), with a jitter. */
function thin(values: number[], max: number): { seconds: number; jitter: number }[] {
  const sorted = [...values].sort((a, b) => a - b);
  const picked =
    sorted.length <= max
      ? sorted
      : Array.from(
          { length: max },
          (_, i) => sorted[Math.round((i * (sorted.length - 1)) / (max - 1))] as number,
        );
  // Deterministic jitter (golden-ratio sequence) so the charts are reproducible.
  return picked.map((seconds, i) => ({ seconds, jitter: ((i * 0.618033988749895) % 1) - 0.5 }));
}

/**
 * Tukey's box of a sorted sample: whiskers at the furthest values within
 * {@link TUKEY_FENCE} × IQR of the quartiles, and the values beyond them.
 */
export function tukeyWhiskers(
  sorted: readonly number[],
  q1: number,
  q3: number,
): { low: number; high: number; outliers: number[] } {
  const iqr = q3 - q1;
  const lowFence = q1 - TUKEY_FENCE * iqr;
  const highFence = q3 + TUKEY_FENCE * iqr;
  let low = q1;
  let high = q3;
  const outliers: number[] = [];
  for (const v of sorted) {
    if (v < lowFence || v > highFence) outliers.push(v);
    else {
      if (v < low) low = v;
      if (v > high) high = v;
    }
  }
  return { low, high, outliers };
}

/**
 * Quartiles, median, min and max of a non-empty sample: the same numbers {@link describe} gives
 * (type 7 quantiles by simple-statistics' `quantileSorted`), without its other statistics.
 */
function boxOf(
  values: readonly number[],
): Pick<Distribution, "n" | "min" | "q1" | "median" | "q3" | "max"> & { sorted: number[] } {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    sorted,
    n: sorted.length,
    min: sorted[0] as number,
    q1: quantileSorted(sorted, 0.25),
    median: quantileSorted(sorted, 0.5),
    q3: quantileSorted(sorted, 0.75),
    max: sorted[sorted.length - 1] as number,
  };
}

/** Median of per-run values with its distribution-free 95% CI (module {@link RunInterval}). */
export function runInterval(values: readonly number[]): (RunInterval & { median: number }) | null {
  if (values.length === 0) return null;
  const d = describeCentre(values, { level: LEVEL });
  return {
    n: d.n,
    median: d.median,
    lower: d.medianCi?.lower ?? null,
    upper: d.medianCi?.upper ?? null,
  };
}

/** The median as {@link describe} computes it (null for no values). */
function medianOf(values: number[]): number | null {
  if (values.length === 0) return null;
  // A typed array sorts numbers without a comparator call per comparison.
  return quantileSorted(Float64Array.from(values).sort() as unknown as number[], 0.5);
}

/**
 * The run with RSS samples whose measured time is closest to its cell's median (the first of
 * equally close ones): the cell's typical run.
 */
function typicalRun(runs: OkRun[]): OkRun | undefined {
  const m = medianOf(runs.map((r) => r.metrics.seconds));
  if (m === null) return undefined;
  const ranked = runs
    .filter((r) => r.timeline !== undefined)
    .sort((a, b) => Math.abs(a.metrics.seconds - m) - Math.abs(b.metrics.seconds - m));
  return ranked.find((r) => r.timeline !== undefined && r.timeline.samples.length > 0);
}

function versionOf(results: ResultsFile, allocator: string): string {
  const rec = results.allocators.find((a) => a.name === allocator);
  if (!rec) return allocator;
  if (rec.source === "libc") {
    const libc = results.environment.libcs.find((l) => l.libc === rec.libc);
    return `${allocator} ${libc?.version ?? rec.version ?? "(version unknown)"}`;
  }
  return `${allocator} ${rec.package?.version ?? rec.version ?? "(version unknown)"}`;
}

/** "5" or "5-30" (adaptive sampling) from the measured runs of each cell. */
export function runsPerCellText(counts: number[]): string {
  if (counts.length === 0) return "0";
  const lo = Math.min(...counts);
  const hi = Math.max(...counts);
  return lo === hi ? String(lo) : `${lo}-${hi}`;
}

export function captionOf(results: ResultsFile, runsPerCell: string): string {
  const env = results.environment;
  const libcs = env.libcs.map((l) => `${l.libc} ${l.version ?? "?"}`).join(", ");
  const versions = results.plan.allocators
    .filter((a) => results.allocators.find((r) => r.name === a)?.source !== "libc")
    .map((a) => versionOf(results, a))
    .join(", ");
  // The release without the build stamp ("6.1.0-13-amd64 #1 SMP ..."); indexOf, not /\s+#.*$/,
  // which backtracks quadratically over a long run of spaces.
  const release = env.kernel.replace(/^Linux\s+/, "");
  const stamp = release.search(/\s#/);
  const kernel = (stamp < 0 ? release : release.slice(0, stamp)).trimEnd();
  const date = (results.finishedAt ?? results.createdAt).slice(0, 10);
  return (
    `${env.cpuModel} (${env.arch}, ${env.cores} CPUs), Linux ${kernel}, ${libcs}` +
    (versions ? `; ${versions}` : "") +
    `; ${date}; ${runsPerCell} runs per cell` +
    (results.plan.cpus ? `, pinned to CPUs ${results.plan.cpus}` : ", not pinned")
  );
}

function uniqueLabels(sets: ResultsFile[]): string[] {
  const base = sets.map((s) => {
    const t = testbedOf(s);
    return `${t.arch} · ${t.cpuModel}`;
  });
  return base.map((label, i) =>
    base.filter((b) => b === label).length > 1 ? `${label} #${i + 1}` : label,
  );
}

/** Build the model of one report. `baseline` must name an allocator of every set. */
export function buildModel(
  sets: { results: ResultsFile; source: string; baseline: string }[],
  now = new Date(),
): ReportModel {
  return addComparisons(buildDescriptiveModel(sets, now));
}

/**
 * The comparisons against the baseline (the costly statistics), added to a descriptive model:
 * `buildModel` in two steps, so charts of the runs can render while these are computed.
 */
export function addComparisons(model: DescriptiveModel): ReportModel {
  const timeMetric = metricInfo("seconds");
  const rssMetric = metricInfo("maxRssBytes");
  const opts = { alpha: 0.05, level: LEVEL, threshold: 0 };
  const testbeds = model.testbeds.map((t): TestbedModel => {
    const [time, rss] = compareAllocatorsByMetric(
      t.results,
      t.baseline,
      [timeMetric, rssMetric],
      opts,
    ) as [ComparisonReport, ComparisonReport];
    const timeRatios = ratioRows(time, t.label, t.oversubscribed);
    const rssRatios = ratioRows(rss, t.label, t.oversubscribed);
    const summary: SummaryRow[] = [
      ...summaryRows(timeRatios, "time"),
      ...summaryRows(rssRatios, "peak RSS"),
    ];
    return { ...t, time, rss, timeRatios, rssRatios, summary };
  });
  return { ...model, testbeds };
}

/** Every part of the model but the comparisons against the baseline ({@link addComparisons}). */
export function buildDescriptiveModel(
  sets: { results: ResultsFile; source: string; baseline: string }[],
  now = new Date(),
): DescriptiveModel {
  const labels = uniqueLabels(sets.map((s) => s.results));
  const testbeds = sets.map(({ results, source, baseline }, index): DescriptiveTestbed => {
    const label = labels[index] as string;
    const { allocators, threads } = results.plan;
    // Workloads with --param values are separate cells, labelled "larson[slots=500]".
    const workloads = results.plan.workloads.flatMap((w) =>
      paramVariants(results.plan.params).map((p) => workloadLabel(w, p)),
    );
    const groups = groupRuns(results.runs);
    const cpus = usableCpus(results);
    const oversubscribed = threads.filter((n) => cpus !== null && n > cpus);
    // Details at the most threads the CPUs can run at once, not at an oversubscribed count.
    const fitting = threads.filter((n) => !oversubscribed.includes(n));
    const detailThreads = Math.max(...(fitting.length > 0 ? fitting : threads));
    const cellCount = Math.max(1, workloads.length * threads.length * allocators.length);
    const pointsPerCell = Math.max(
      MIN_POINTS,
      Math.min(MAX_POINTS, Math.floor(MAX_TOTAL_POINTS / cellCount)),
    );
    // Many cells with more runs than fit: boxes with Tukey whiskers and outlier points.
    const style: DistributionStyle =
      pointsPerCell < MIN_SPREAD_POINTS &&
      [...groups.values()].some((runs) => runs.length > pointsPerCell)
        ? "outliers"
        : "runs";
    const throughput: CellEstimate[] = [];
    const distributions: Distribution[] = [];
    const timelines: TimelineRow[] = [];
    const latency: LatencyRow[] = [];
    const overhead: OverheadRow[] = [];
    for (const workload of workloads) {
      for (const t of threads) {
        for (const allocator of allocators) {
          const runs = groups.get(`${workload}\0${t}\0${allocator}`) ?? [];
          if (runs.length === 0) continue;
          const key = { testbed: label, workload, threads: t, allocator };
          const ops = runs
            .map((r) => r.metrics.opsPerSecond)
            .filter((v): v is number => typeof v === "number" && Number.isFinite(v));
          if (ops.length > 0) {
            const d = describeCentre(ops, { level: LEVEL });
            throughput.push({
              ...key,
              n: d.n,
              median: d.median,
              lower: d.medianCi?.lower ?? null,
              upper: d.medianCi?.upper ?? null,
            });
          }
          const seconds = runs.map((r) => r.metrics.seconds);
          const { sorted, ...box } = boxOf(seconds);
          if (style === "runs") {
            distributions.push({
              ...key,
              ...box,
              style,
              whiskerLow: box.min,
              whiskerHigh: box.max,
              outliers: 0,
              points: thin(seconds, pointsPerCell),
            });
          } else {
            const tukey = tukeyWhiskers(sorted, box.q1, box.q3);
            distributions.push({
              ...key,
              ...box,
              style,
              whiskerLow: tukey.low,
              whiskerHigh: tukey.high,
              outliers: tukey.outliers.length,
              points: thin(tukey.outliers, pointsPerCell),
            });
          }
          if (t !== detailThreads) continue;
          const typical = typicalRun(runs);
          if (typical?.timeline) {
            for (const [ms, bytes] of typical.timeline.samples)
              timelines.push({ ...key, ms, mib: bytes / 1048576 });
          }
          const lat = runs.map(latencyOf);
          for (const op of LATENCY_OPS) {
            // Percentiles need enough samples: an operation with fewer than 100 sampled calls
            // is left out, and p99.9 needs 1000.
            const counts = runs
              .map((r) => latencySamples(r, op))
              .filter((v): v is number => v !== null);
            const samples = medianOf(counts);
            if (samples !== null && samples < 100) continue;
            for (const [order, p] of LATENCY_PERCENTILES.entries()) {
              if (p === "p999" && samples !== null && samples < 1000) continue;
              const values = lat
                .map((l) => l[op]?.[p])
                .filter((v): v is number => typeof v === "number" && v > 0);
              const est = runInterval(values);
              if (est !== null) {
                const { median: ns, ...interval } = est;
                latency.push({
                  ...key,
                  ...interval,
                  op,
                  percentile: p === "p999" ? "p99.9" : p,
                  order,
                  ns,
                });
              }
            }
          }
          // Each run's own ratio, so the interval is over runs like every other one.
          const paired = runs.flatMap((r) => {
            const liveBytes = liveBytesOf(r);
            return liveBytes !== null && liveBytes > 0 && r.metrics.maxRssBytes > 0
              ? [{ live: liveBytes, peak: r.metrics.maxRssBytes }]
              : [];
          });
          const est = runInterval(paired.map((x) => x.peak / x.live));
          if (est !== null) {
            const { median, ...interval } = est;
            overhead.push({
              ...key,
              ...interval,
              overhead: median,
              peakRssBytes: medianOf(paired.map((x) => x.peak)) as number,
              peakLiveBytes: medianOf(paired.map((x) => x.live)) as number,
            });
          }
        }
      }
    }
    const failureCounts = new Map<
      string,
      { workload: string; threads: number; allocator: string; kind: string; count: number }
    >();
    for (const run of results.runs) {
      if (run.status !== "failed" || run.warmup) continue;
      const k = `${run.workload}\0${run.threads}\0${run.allocator}\0${run.failure.kind}`;
      const entry = failureCounts.get(k) ?? {
        workload: run.workload,
        threads: run.threads,
        allocator: run.allocator,
        kind: run.failure.kind,
        count: 0,
      };
      entry.count += 1;
      failureCounts.set(k, entry);
    }
    const runsPerCell = runsPerCellText(distributions.map((d) => d.n));
    return {
      label,
      description: describeTestbed(testbedOf(results)),
      source,
      results,
      baseline,
      workloads,
      allocators,
      threads,
      cpus,
      oversubscribed,
      runsPerCell,
      throughput,
      distributions,
      timelines,
      detailThreads,
      pointsPerCell,
      latency,
      overhead,
      hardening: selectedHardening(hardeningOf(results), allocators),
      failures: [...failureCounts.values()],
      caption: captionOf(results, runsPerCell),
    };
  });
  return {
    testbeds,
    allocators: allocatorOrder(testbeds.flatMap((t) => t.allocators)),
    generatedAt: now.toISOString(),
  };
}
