import {
  benjaminiHochberg,
  pairedRatioFromLogs,
  pairsNeeded,
  describe,
  describeCentre,
  geometricMeanRatio,
  mannWhitney,
  minimumDetectableLogRatio,
  lookAlphas,
  medianSamplingVariance,
  pooledTTest,
  tDetectableStandardErrors,
  plannedLooks,
  minimumPossibleP,
  ratioFromLogs,
  runsNeeded,
} from "../stats/index.js";
import { UsageError } from "../errors.js";
import { invocationOf } from "../results/invocations.js";
import type { ResultsFile, RunRecord } from "../results/schema.js";
import { cellKey, paramVariants, paramsKey } from "../plan/schedule.js";
import { measuredValue, valuesOf, type MetricInfo } from "./metrics.js";

/** One side of a comparison: a cell's values of the metric. */
export interface CellStats {
  n: number;
  median: number;
  /** Distribution-free CI of the median; null when n is too small for it. */
  medianLower: number | null;
  medianUpper: number | null;
  cv: number;
}

export type ComparisonResult =
  | { kind: "too-few-runs"; runsNeeded: number; reason: string }
  | { kind: "not-applicable"; reason: string }
  | {
      kind: "compared";
      /** candidate / baseline, Hodges-Lehmann on log values. */
      ratio: number;
      lower: number;
      upper: number;
      p: number;
      /** Benjamini-Hochberg across every comparison of the report. */
      adjustedP: number;
      method: string;
      verdict: "improved" | "regressed" | "same";
      /**
       * Minimum detectable effect: the smallest change (0.07 = 7%, on the threshold's
       * log-symmetric scale) this cell's noise and run counts detect at alpha with
       * {@link GATE_POWER} power (stats/power.ts). Absent for counted metrics, which are exact.
       */
      mde?: number;
      /**
       * Two files (--baseline): the invocations each side holds, and the spread between them
       * (pooled SD of the invocations' median log values) when it could be estimated: from three
       * invocations in all. Null spread: one invocation per side, so the drift between
       * invocations is not in the CI, and the cell cannot be cleared. `floored`: the spread is
       * the runs' own noise in each invocation's median (larger than the medians' spread), which
       * more runs per invocation do narrow.
       */
      between?: { baseline: number; current: number; spread: number | null; floored?: boolean };
    };

export interface NotRunRow {
  workload: string;
  threads: number;
  params?: Record<string, string>;
  allocator: string;
  against: string;
  /** plan.skipped's reason for the candidate's cell, else for the baseline's. */
  reason: string;
}

export interface ComparisonRow {
  workload: string;
  threads: number;
  /** Workload parameters of the cell (--param scans); only cells with equal parameters are compared. */
  params?: Record<string, string>;
  /** The candidate's allocator. */
  allocator: string;
  /** What it is compared with: an allocator of the same file, or the same cell of a baseline file. */
  against: string;
  candidate: CellStats | null;
  baseline: CellStats | null;
  result: ComparisonResult;
}

export interface ComparisonOptions {
  metric: MetricInfo;
  alpha: number;
  /** Confidence level of the CIs. */
  level: number;
  /** A change counts only when the whole CI lies beyond 1 ± threshold (0 = beyond 1). */
  threshold: number;
  /**
   * Counted metrics of deterministic runs (callgrind): no test, the ratio of the medians is
   * compared with 1 ± tolerance (see deterministicTolerance).
   */
  tolerance?: number;
  /**
   * Inside one results file, runs of the two cells measured in the same round can be compared
   * as pairs (Wilcoxon signed-rank on the within-round log ratios, Walsh Hodges-Lehmann CI),
   * which cancels the noise the two runs of a round share. "auto" (the default) pairs when at
   * least {@link PAIRED_MIN_PAIRS} rounds hold an ok run of both cells; "independent" never pairs;
   * "paired" always pairs (too few rounds is then "too few runs"). Across two files runs never pair.
   */
  pairing?: Pairing;
}

export type Pairing = "auto" | "paired" | "independent";

/** The power every stated minimum detectable effect is computed at. */
export const GATE_POWER = 0.8;

/**
 * Fewest complete rounds for which "auto" pairs. Below it the exact signed-rank interval is
 * too coarse (at 5 pairs no two-sided p reaches 0.05 at all), and the independent test on the
 * same runs is the more sensitive one.
 */
export const PAIRED_MIN_PAIRS = 10;

export interface ComparisonReport {
  metric: MetricInfo;
  alpha: number;
  level: number;
  threshold: number;
  /** Set when counted metrics were compared within this tolerance instead of tested. */
  tolerance?: number;
  /** Set by the sequential gate: its planned looks (rounds); CIs are at each look's alpha. */
  sequentialLooks?: number[];
  rows: ComparisonRow[];
  /**
   * Comparisons left out because the plan skipped one of their cells (a program not built for
   * the allocator's libc, absent, or single-threaded at t>1), each with the plan's reason: not
   * a failure, and not a row.
   */
  notRun?: NotRunRow[];
  /** Geometric mean of the ratios per candidate allocator, across its compared cells. */
  summary: {
    allocator: string;
    against: string;
    cells: number;
    geomean: number;
    lower: number | null;
    upper: number | null;
  }[];
}

function cellStats(values: number[]): CellStats | null {
  if (values.length === 0) return null;
  const d = describeCentre(values);
  return {
    n: d.n,
    median: d.median,
    medianLower: d.medianCi?.lower ?? null,
    medianUpper: d.medianCi?.upper ?? null,
    cv: d.cv,
  };
}

/** Everything but the BH adjustment and the verdict, which need every comparison of the report. */
type Pending =
  | { kind: "final"; result: ComparisonResult }
  | {
      kind: "pending";
      ratio: number;
      lower: number;
      upper: number;
      p: number;
      method: string;
      /** The MDE on the log scale when the test's own power formula gives it (t tests). */
      mdeLog?: number;
      between?: { baseline: number; current: number; spread: number | null; floored?: boolean };
    };

/** A cell's values of one metric, read once and shared by every row the cell is in. */
interface CellValues {
  /** valuesOf the cell's runs: the measured ok finite values, in run order. */
  readonly values: number[];
  /** The round of each of `values`. */
  readonly rounds: number[];
  /** cellStats(values), once asked for. */
  stats?: CellStats | null;
  /** The value of each round, rounds ascending, rounds with two values left out; once asked for. */
  byRound?: { readonly rounds: number[]; readonly values: number[] };
}

/** Invocations seen in files of several (bench baseline save --add), numbered in order of sight. */
const invocationNumbers = new Map<string, number>();

/**
 * A round number unique across invocations: rounds pair only within one invocation, so a round
 * of a saved baseline's second invocation must not pair with the first's.
 */
function roundOfInvocation(run: RunRecord): number {
  const id = run.invocation as string;
  let k = invocationNumbers.get(id);
  if (k === undefined) {
    k = invocationNumbers.size + 1;
    invocationNumbers.set(id, k);
  }
  return k * 1e7 + run.round;
}

/** One pass over a cell's runs: what valuesOf returns, with each value's round. */
function cellValues(runs: readonly RunRecord[], metric: MetricInfo): CellValues {
  const values: number[] = [];
  const rounds: number[] = [];
  for (const run of runs) {
    const value = measuredValue(run, metric.name);
    if (value === null) continue;
    values.push(value);
    rounds.push(run.invocation === undefined ? run.round : roundOfInvocation(run));
  }
  return { values, rounds };
}

/** The cell's CellStats (computed once; each row gets its own copy). */
function statsOf(cell: CellValues): CellStats | null {
  if (cell.stats === undefined) cell.stats = cellStats(cell.values);
  return cell.stats === null ? null : { ...cell.stats };
}

/**
 * The measured ok value of each round of a cell, rounds ascending; rounds with two such runs are
 * left out.
 */
function valuesByRound(cell: CellValues): { readonly rounds: number[]; readonly values: number[] } {
  if (cell.byRound) return cell.byRound;
  const { rounds, values } = cell;
  let ascending = true;
  for (let i = 1; i < rounds.length && ascending; i++)
    ascending = (rounds[i] as number) > (rounds[i - 1] as number);
  if (ascending) {
    // The usual order of a results file: every round once, already sorted.
    cell.byRound = { rounds, values };
    return cell.byRound;
  }
  const out = new Map<number, number>();
  const doubled = new Set<number>();
  for (let i = 0; i < rounds.length; i++) {
    const round = rounds[i] as number;
    if (out.has(round)) doubled.add(round);
    out.set(round, values[i] as number);
  }
  for (const round of doubled) out.delete(round);
  const sorted = [...out.keys()].sort((x, y) => x - y);
  cell.byRound = { rounds: sorted, values: sorted.map((r) => out.get(r) as number) };
  return cell.byRound;
}

/**
 * The within-file comparison of two cells: paired by round when `opts.pairing` allows and the
 * rounds are there, independent otherwise.
 */
function compareCells(
  candidate: CellValues,
  baseline: CellValues,
  opts: ComparisonOptions,
): Pending {
  const cand = candidate.values;
  const base = baseline.values;
  const pairing = opts.pairing ?? "auto";
  if (pairing === "independent" || opts.tolerance !== undefined)
    return compareValues(cand, base, opts);
  const { x, y } = pairsByRound(candidate, baseline);
  const rounds = x.length;
  if (pairing === "auto" && rounds < PAIRED_MIN_PAIRS) return compareValues(cand, base, opts);
  const unusable = noRatio(x, y);
  if (unusable) return unusable;
  const need = pairsNeeded(opts.alpha);
  if (rounds < need)
    return tooFew(
      need,
      `${rounds} rounds with both cells can never reach alpha ${opts.alpha} paired: need at least ${need}`,
    );
  const paired = pairedRatioFromLogs(x, y, { level: opts.level });
  return measured(
    paired,
    paired.p,
    `paired signed-rank, ${paired.pairs} rounds (${paired.method})`,
  );
}

/** A comparison waiting for the report's BH adjustment and its verdict. */
function measured(
  r: { ratio: number; lower: number; upper: number },
  p: number,
  method: string,
): Pending {
  return { kind: "pending", ratio: r.ratio, lower: r.lower, upper: r.upper, p, method };
}

/** Why two samples have no ratio at all (an empty side, a value of 0), or undefined. */
function noRatio(candidate: readonly number[], baseline: readonly number[]): Pending | undefined {
  const reason =
    candidate.length === 0 || baseline.length === 0
      ? "no successful runs on one side"
      : candidate.some((v) => v <= 0) || baseline.some((v) => v <= 0)
        ? "values of 0 have no ratio"
        : undefined;
  return reason === undefined
    ? undefined
    : { kind: "final", result: { kind: "not-applicable", reason } };
}

function tooFew(runsNeeded: number, reason: string): Pending {
  return { kind: "final", result: { kind: "too-few-runs", runsNeeded, reason } };
}

function compareValues(candidate: number[], baseline: number[], opts: ComparisonOptions): Pending {
  if (opts.tolerance !== undefined)
    return compareCounted(candidate, baseline, opts, opts.tolerance);
  const unusable = noRatio(candidate, baseline);
  if (unusable) return unusable;
  if (minimumPossibleP(candidate.length, baseline.length) >= opts.alpha) {
    const need = runsNeeded(opts.alpha);
    return tooFew(
      need,
      `${candidate.length} vs ${baseline.length} runs can never reach alpha ${opts.alpha}: need at least ${need} per side`,
    );
  }
  const test = mannWhitney(candidate, baseline);
  return measured(ratioFromLogs(candidate, baseline, { level: opts.level }), test.p, test.method);
}

/**
 * Deterministic values (instruction counts under callgrind): the ratio of the medians against
 * 1 ± tolerance. One run per side suffices; the "CI" is the range of ratios any pair of runs
 * gives (one point when every run counted the same), and there is no p-value.
 */
function compareCounted(
  candidate: number[],
  baseline: number[],
  opts: ComparisonOptions,
  tolerance: number,
): Pending {
  const unusable = noRatio(candidate, baseline);
  if (unusable) return unusable;
  const c = describe(candidate);
  const b = describe(baseline);
  const ratio = c.median / b.median;
  return {
    kind: "final",
    result: {
      kind: "compared",
      ratio,
      lower: Math.min(...candidate) / Math.max(...baseline),
      upper: Math.max(...candidate) / Math.min(...baseline),
      p: Number.NaN,
      adjustedP: Number.NaN,
      method: `counted: median ratio against 1 ± ${tolerance}`,
      verdict: decideCountedVerdict(ratio, tolerance, opts.metric),
    },
  };
}

/** A deterministic metric changed when the ratio of medians lies beyond 1 ± tolerance. */
export function decideCountedVerdict(
  ratio: number,
  tolerance: number,
  metric: MetricInfo,
): "improved" | "regressed" | "same" {
  const higherIsWorse = metric.better === "lower";
  if (ratio > 1 + tolerance) return higherIsWorse ? "regressed" : "improved";
  if (ratio < 1 / (1 + tolerance)) return higherIsWorse ? "improved" : "regressed";
  return "same";
}

/** Default tolerance of a deterministic metric in bench check (0.5%). */
export const DEFAULT_TOLERANCE = 0.005;

/**
 * The tolerance to compare `metric` with, or undefined for a statistical test: a metric is
 * compared by tolerance when it is deterministic (instructions, allocatorInstructions) and every
 * file was measured under callgrind (`plan.measure` "instructions"). Files mixing the two modes
 * cannot be compared on such a metric (perf counters against callgrind counts).
 */
export function deterministicTolerance(
  metric: MetricInfo,
  files: readonly ResultsFile[],
  requested: number | undefined,
): number | undefined {
  const counted = files.map((f) => f.plan.measure === "instructions");
  if (!metric.deterministic || !counted.some(Boolean)) {
    if (requested !== undefined)
      throw new UsageError(
        `--tolerance applies to counted metrics of runs under callgrind (bench run --metric instructions), not to ${metric.name}${metric.deterministic ? " measured by perf counters" : ""}: use --threshold`,
      );
    return undefined;
  }
  if (!counted.every(Boolean))
    throw new UsageError(
      `${metric.name}: one file counted instructions under callgrind (bench run --metric instructions) and the other with perf counters: their counts cannot be compared`,
    );
  return requested ?? DEFAULT_TOLERANCE;
}

/**
 * Significant after correction AND the whole CI beyond the threshold, in the metric's bad
 * direction: regressed; in its good direction: improved; otherwise the same.
 */
export function decideVerdict(
  c: { lower: number; upper: number },
  adjustedP: number,
  opts: Pick<ComparisonOptions, "alpha" | "threshold" | "metric">,
): "improved" | "regressed" | "same" {
  if (!(adjustedP < opts.alpha)) return "same";
  const up = 1 + opts.threshold;
  const down = 1 / (1 + opts.threshold);
  const higherIsWorse = opts.metric.better === "lower";
  if (c.lower > up) return higherIsWorse ? "regressed" : "improved";
  if (c.upper < down) return higherIsWorse ? "improved" : "regressed";
  return "same";
}

function finish(
  pending: { row: Omit<ComparisonRow, "result">; pending: Pending }[],
  opts: ComparisonOptions,
  notRun: NotRunRow[] = [],
): ComparisonReport {
  const open = pending.filter((p) => p.pending.kind === "pending");
  const adjusted = benjaminiHochberg(open.map((p) => (p.pending as { p: number }).p));
  // Index of each open comparison (a Map: a findIndex per row is quadratic in the cells).
  const openIndex = new Map<Pending, number>(open.map((o, i) => [o.pending, i]));
  const rows: ComparisonRow[] = pending.map(({ row, pending: p }) => {
    if (p.kind === "final") return { ...row, result: p.result };
    const adjustedP = adjusted[openIndex.get(p) ?? -1] ?? 1;
    return {
      ...row,
      result: {
        kind: "compared",
        ratio: p.ratio,
        lower: p.lower,
        upper: p.upper,
        p: p.p,
        adjustedP,
        method: p.method,
        verdict: decideVerdict(p, adjustedP, opts),
        mde: Math.expm1(
          p.mdeLog ??
            minimumDetectableLogRatio(p.lower, p.upper, opts.level, opts.alpha, GATE_POWER),
        ),
        ...(p.between ? { between: p.between } : {}),
      },
    };
  });
  const groups = new Map<string, { allocator: string; against: string; ratios: number[] }>();
  for (const row of rows) {
    if (row.result.kind !== "compared") continue;
    const key = `${row.allocator}\0${row.against}`;
    const g = groups.get(key) ?? { allocator: row.allocator, against: row.against, ratios: [] };
    g.ratios.push(row.result.ratio);
    groups.set(key, g);
  }
  const summary = [...groups.values()].map((g) => {
    const gm = geometricMeanRatio(g.ratios, opts.level);
    return {
      allocator: g.allocator,
      against: g.against,
      cells: g.ratios.length,
      geomean: gm.geomean,
      lower: gm.lower,
      upper: gm.upper,
    };
  });
  return {
    metric: opts.metric,
    alpha: opts.alpha,
    level: opts.level,
    threshold: opts.threshold,
    ...(opts.tolerance !== undefined ? { tolerance: opts.tolerance } : {}),
    rows,
    ...(notRun.length > 0 ? { notRun } : {}),
    summary,
  };
}

function groupKey(
  workload: string,
  threads: number,
  params: Record<string, string> | undefined,
  allocator: string,
): string {
  return `${workload}\0${threads}\0${paramsKey(params)}\0${allocator}`;
}

/** The cell's parameters as a row field: absent when none were set. */
/** A comparison row's cell, the allocator it is compared with and both cells' statistics. */
function cellRow(
  cell: {
    workload: string;
    threads: number;
    params: Record<string, string>;
    allocator: string;
    against: string;
  },
  candidate: ComparisonRow["candidate"],
  baseline: ComparisonRow["baseline"],
): Omit<ComparisonRow, "result"> {
  const { workload, threads, params, allocator, against } = cell;
  return {
    workload,
    threads,
    ...(Object.keys(params).length > 0 ? { params } : {}),
    allocator,
    against,
    candidate,
    baseline,
  };
}

function groupRuns(runs: readonly RunRecord[]): Map<string, RunRecord[]> {
  const groups = new Map<string, RunRecord[]>();
  for (const run of runs) {
    const key = groupKey(run.workload, run.threads, run.params, run.allocator);
    const list = groups.get(key) ?? [];
    list.push(run);
    groups.set(key, list);
  }
  return groups;
}

/** Inside one results file: every allocator against `baseline`, per workload and thread count. */
export function compareAllocators(
  results: ResultsFile,
  baseline: string,
  opts: ComparisonOptions,
): ComparisonReport {
  const { metric, ...rest } = opts;
  return compareAllocatorsByMetric(results, baseline, [metric], rest)[0] as ComparisonReport;
}

/**
 * {@link compareAllocators} for several metrics at once (one report per metric, in order): the
 * runs are grouped into cells once for all of them.
 */
export function compareAllocatorsByMetric(
  results: ResultsFile,
  baseline: string,
  metrics: readonly MetricInfo[],
  opts: Omit<ComparisonOptions, "metric">,
): ComparisonReport[] {
  const groups = groupRuns(results.runs);
  const skipped = new Map((results.plan.skipped ?? []).map((s) => [s.cell, s.reason]));
  return metrics.map((metric) => {
    const metricOpts: ComparisonOptions = { ...opts, metric };
    const pending: { row: Omit<ComparisonRow, "result">; pending: Pending }[] = [];
    const notRun: NotRunRow[] = [];
    for (const workload of results.plan.workloads) {
      for (const threads of results.plan.threads) {
        for (const params of paramVariants(results.plan.params)) {
          const cellOf = (allocator: string) =>
            cellValues(groups.get(groupKey(workload, threads, params, allocator)) ?? [], metric);
          // plan.skipped names a cell without its parameters: the skip holds for every value.
          const skipReason = (allocator: string) =>
            skipped.get(cellKey({ workload, allocator, threads }));
          const base = cellOf(baseline);
          for (const allocator of results.plan.allocators) {
            if (allocator === baseline) continue;
            // A planned skip is not a comparison without runs: list it, do not tabulate it.
            const reason = skipReason(allocator) ?? skipReason(baseline);
            if (reason !== undefined) {
              notRun.push({
                workload,
                threads,
                ...(Object.keys(params).length > 0 ? { params } : {}),
                allocator,
                against: baseline,
                reason,
              });
              continue;
            }
            const cand = cellOf(allocator);
            pending.push({
              row: cellRow(
                { workload, threads, params, allocator, against: baseline },
                statsOf(cand),
                statsOf(base),
              ),
              pending: compareCells(cand, base, metricOpts),
            });
          }
        }
      }
    }
    return finish(pending, metricOpts, notRun);
  });
}

/**
 * Two results files: each cell of `current` against the same cell of `previous`. They are
 * separate invocations: from three invocations in all (a baseline saved from several with
 * `bench baseline save --add`), each invocation's median is one observation and the sides are
 * compared by {@link compareInvocations}; with one invocation per side, run by run, and the
 * result says the drift between invocations was not estimated.
 */
export function compareResults(
  previous: ResultsFile,
  current: ResultsFile,
  opts: ComparisonOptions,
): ComparisonReport {
  const before = groupRuns(previous.runs);
  const after = groupRuns(current.runs);
  const pending: { row: Omit<ComparisonRow, "result">; pending: Pending }[] = [];
  for (const workload of current.plan.workloads) {
    for (const threads of current.plan.threads) {
      for (const params of paramVariants(current.plan.params)) {
        for (const allocator of current.plan.allocators) {
          const key = groupKey(workload, threads, params, allocator);
          if (!before.has(key)) continue;
          const candRuns = after.get(key) ?? [];
          const baseRuns = before.get(key) ?? [];
          const cand = valuesOf(candRuns, opts.metric.name);
          const base = valuesOf(baseRuns, opts.metric.name);
          const xi = invocationMedians(candRuns, current, opts.metric);
          const yi = invocationMedians(baseRuns, previous, opts.metric);
          const x = xi.map((i) => i.median);
          const y = yi.map((i) => i.median);
          pending.push({
            row: cellRow(
              { workload, threads, params, allocator, against: `${allocator} (baseline)` },
              cellStats(cand),
              cellStats(base),
            ),
            pending:
              opts.tolerance === undefined && x.length + y.length >= 3
                ? compareInvocations(xi, yi, opts)
                : withBetween(compareValues(cand, base, opts), {
                    baseline: y.length,
                    current: x.length,
                    spread: null,
                  }),
          });
        }
      }
    }
  }
  return finish(pending, opts);
}

/** One invocation of a cell: the median of its runs, and that median's sampling variance (log). */
interface InvocationSummary {
  median: number;
  /** null when its runs cannot tell (one run, or a value ≤ 0 that has no log). */
  withinVariance: number | null;
}

/** Each invocation's median of the metric among `runs` (invocations without a value left out). */
function invocationMedians(
  runs: readonly RunRecord[],
  file: ResultsFile,
  metric: MetricInfo,
): InvocationSummary[] {
  const by = new Map<string, RunRecord[]>();
  for (const run of runs) {
    const id = invocationOf(run, file);
    const list = by.get(id) ?? [];
    list.push(run);
    by.set(id, list);
  }
  return [...by.values()].flatMap((list) => {
    const values = valuesOf(list, metric.name);
    if (values.length === 0) return [];
    // Non-positive values leave the ratio undefined; compareInvocations reports them.
    const withinVariance = values.every((v) => v > 0)
      ? medianSamplingVariance(values.map((v) => Math.log(v)))
      : null;
    return [{ median: describe(values).median, withinVariance }];
  });
}

/** A run-by-run comparison of two invocations, marked as such (counted and final ones stay). */
function withBetween(
  p: Pending,
  between: { baseline: number; current: number; spread: number | null },
): Pending {
  return p.kind === "pending" ? { ...p, between } : p;
}

/**
 * Separate invocations, invocation by invocation: Student's pooled two-sample t test on the
 * invocations' median log values (stats/invocations.ts), its CI as the ratio's, and its MDE from
 * the t quantiles at its degrees of freedom. The spread between invocations is in the test, so
 * more runs per invocation do not raise its false-alarm rate.
 */
function compareInvocations(
  xi: readonly InvocationSummary[],
  yi: readonly InvocationSummary[],
  opts: ComparisonOptions,
): Pending {
  const x = xi.map((i) => i.median);
  const y = yi.map((i) => i.median);
  const unusable = noRatio(x, y);
  if (unusable) return unusable;
  // The floor: an invocation's median varies at least by its runs' own sampling variance.
  const known = [...xi, ...yi].flatMap((i) =>
    i.withinVariance === null ? [] : [i.withinVariance],
  );
  const floor = known.length === 0 ? 0 : Math.sqrt(known.reduce((s, v) => s + v, 0) / known.length);
  const t = pooledTTest(
    x.map((v) => Math.log(v)),
    y.map((v) => Math.log(v)),
    opts.level,
    floor,
  );
  const spread = `±${(Math.expm1(t.spread) * 100).toFixed(1)}%`;
  return {
    kind: "pending",
    ratio: Math.exp(t.estimate),
    lower: Math.exp(t.lower),
    upper: Math.exp(t.upper),
    p: t.p,
    method: `invocation medians: pooled t test, ${x.length} vs ${y.length} invocation(s), ${t.df} df, spread between invocations ${
      t.floored
        ? `${spread} (the runs' own noise in each median; the medians alone spread ±${(Math.expm1(t.pooledSpread) * 100).toFixed(1)}%)`
        : spread
    }`,
    mdeLog: tDetectableStandardErrors(opts.alpha, t.df, GATE_POWER) * t.standardError,
    between: {
      baseline: y.length,
      current: x.length,
      spread: t.spread,
      ...(t.floored ? { floored: true } : {}),
    },
  };
}

/**
 * A cell the gate could neither flag nor clear. One notion, two causes: "power" when its minimum
 * detectable effect exceeds the threshold (it could not have seen a regression of that size),
 * "interval" when it could, but its CI still reaches beyond the threshold.
 */
export interface InconclusiveRow {
  row: ComparisonRow;
  /**
   * "invocations": two files of one invocation each, whose drift apart is unknown (a baseline
   * saved from several invocations, or --against, can clear it).
   */
  reason: "power" | "interval" | "invocations";
  /** The cell's minimum detectable effect (relative change); null when unknown. */
  mde: number | null;
  /**
   * Runs per cell that would clear the cell if its dispersion and estimate stayed where they are
   * (the MDE and the CI half-width shrink as 1/√n); null when the estimate itself lies beyond
   * the threshold (more runs will flag it or move it, not clear it).
   */
  runsToClear: number | null;
}

/**
 * Cells not flagged that do not show the change is within the threshold: their MDE exceeds it
 * (also when they measured a significant improvement smaller than that MDE), or their CI
 * reaches beyond 1 + threshold in the metric's bad direction. "No regression found" there does not mean "no regression of
 * that size", and the gate says so (exit 3). Counted metrics compared by tolerance are exact and
 * never inconclusive.
 */
export function inconclusiveRows(report: ComparisonReport): InconclusiveRow[] {
  const out: InconclusiveRow[] = [];
  for (const row of report.rows) {
    const u = inconclusiveRow(row, report);
    if (u) out.push(u);
  }
  return out;
}

/** {@link inconclusiveRows} for one row of `report`: its InconclusiveRow, or null. */
export function inconclusiveRow(
  row: ComparisonRow,
  report: Pick<ComparisonReport, "tolerance" | "threshold" | "metric">,
): InconclusiveRow | null {
  if (report.tolerance !== undefined) return null;
  const limit = Math.log1p(report.threshold);
  const r = row.result;
  // One invocation per side: whatever the runs say, the drift between invocations is unknown,
  // so neither "the same" nor "faster" may pass; only a regression is reported as one.
  if (r.kind === "compared" && r.between?.spread === null && r.verdict !== "regressed")
    return { row, reason: "invocations", mde: r.mde ?? null, runsToClear: null };
  if (r.kind !== "compared" || r.verdict === "regressed") return null;
  // On log scale, with the bad direction made positive.
  const sign = report.metric.better === "lower" ? 1 : -1;
  const estimate = sign * Math.log(r.ratio);
  const reach = Math.max(sign * Math.log(r.lower), sign * Math.log(r.upper));
  const mdeLog = r.mde === undefined ? null : Math.log1p(r.mde);
  const blind = mdeLog !== null && !(mdeLog <= limit);
  // A significant improvement smaller than the MDE, where the MDE exceeds the threshold, is within
  // what that noise produces by chance ("faster" on an A/A pair): not a pass. One at least the
  // size of the MDE is not noise, and its CI rules the regression out.
  if (
    r.verdict === "improved"
      ? !blind || -estimate >= (mdeLog as number)
      : !blind && !(reach > limit)
  )
    return null;
  const halfWidth = Math.abs(Math.log(r.upper) - Math.log(r.lower)) / 2;
  const n = Math.min(row.candidate?.n ?? 0, row.baseline?.n ?? 0);
  const room = limit - estimate;
  // Each condition needs n * (its width / its room)^2 runs; the larger count clears both.
  const forInterval = halfWidth > 0 ? n * (halfWidth / room) ** 2 : 0;
  const forPower = mdeLog !== null && limit > 0 ? n * (mdeLog / limit) ** 2 : 0;
  const need = Math.max(forInterval, forPower);
  return {
    row,
    reason: blind ? "power" : "interval",
    mde: r.mde ?? null,
    // Between invocations, more runs per invocation do not narrow the spread: no run count.
    runsToClear:
      !r.between && room > 0 && n > 0 && limit > 0 && Number.isFinite(need)
        ? Math.min(1e6, Math.ceil(need))
        : null,
  };
}

/** Where the sequential gate stands: its report so far, and the cells still to measure. */
export interface SequentialState {
  report: ComparisonReport;
  /** cellKey of every cell (candidates and the allocator they are compared with) still open. */
  open: string[];
}

/**
 * The sequential gate (`bench check --against A --until-decided`): paired by round, each open
 * row is looked at when its complete rounds reach a planned look (stats/sequential.ts). A look
 * takes the Walsh Hodges-Lehmann interval at level 1 - alpha_k / m (alpha_k: the look's share of
 * Pocock-type alpha spending; m: the rows, Bonferroni), so every interval of every look covers
 * the true ratio at once with probability >= 1 - alpha. A row is decided "regressed" when its
 * interval lies beyond 1 + threshold, and cleared when it would not be inconclusive (its MDE at
 * that look and its interval are within the threshold): the fixed gate's one notion. A decision
 * is final; rows still open after the last look are inconclusive.
 */
export class SequentialGate {
  readonly looks: number[];
  readonly alphas: number[];
  private readonly decided = new Map<string, ComparisonRow>();
  private readonly lastLook = new Map<string, { look: number; row: ComparisonRow }>();

  constructor(
    private readonly plan: Pick<
      ResultsFile["plan"],
      "workloads" | "threads" | "params" | "allocators"
    >,
    private readonly against: string,
    private readonly opts: ComparisonOptions,
    first: number,
    maxRuns: number,
  ) {
    this.looks = plannedLooks(first, maxRuns);
    this.alphas = lookAlphas(this.looks, opts.alpha);
  }

  /** The rows of the plan: every allocator but `against`, per workload, threads and params. */
  private rows(): {
    workload: string;
    threads: number;
    params: Record<string, string>;
    allocator: string;
  }[] {
    const out = [];
    for (const workload of this.plan.workloads)
      for (const threads of this.plan.threads)
        for (const params of paramVariants(this.plan.params))
          for (const allocator of this.plan.allocators)
            if (allocator !== this.against) out.push({ workload, threads, params, allocator });
    return out;
  }

  /** Look at every open row that reached a planned look in `runs`; the state after it. */
  update(runs: readonly RunRecord[]): SequentialState {
    const groups = groupRuns(runs);
    const cells = this.rows();
    const m = cells.length;
    const rows: ComparisonRow[] = [];
    const open: string[] = [];
    const last = this.looks[this.looks.length - 1] as number;
    for (const c of cells) {
      const key = groupKey(c.workload, c.threads, c.params, c.allocator);
      const cand = cellValues(groups.get(key) ?? [], this.opts.metric);
      const base = cellValues(
        groups.get(groupKey(c.workload, c.threads, c.params, this.against)) ?? [],
        this.opts.metric,
      );
      const shell = cellRow({ ...c, against: this.against }, statsOf(cand), statsOf(base));
      const done = this.decided.get(key);
      if (done) {
        rows.push({ ...done, candidate: shell.candidate, baseline: shell.baseline });
        continue;
      }
      const { x, y } = pairsByRound(cand, base);
      const unusable = noRatio(x, y);
      if (unusable && x.length > 0 && y.length > 0) {
        rows.push({ ...shell, result: (unusable as { result: ComparisonResult }).result });
        continue;
      }
      // The latest planned look these rounds reached, if not looked at yet.
      let k = -1;
      for (let i = 0; i < this.looks.length; i++) if ((this.looks[i] as number) <= x.length) k = i;
      const seen = this.lastLook.get(key);
      if (k >= 0 && (seen === undefined || seen.look < k)) {
        const level = 1 - (this.alphas[k] as number) / m;
        const r = pairedRatioFromLogs(x, y, { level });
        // A look whose exact interval cannot reach its level (too few rounds) spends nothing.
        const valid = r.achievedLevel >= level - 1e-12;
        const result: ComparisonResult = {
          kind: "compared",
          ratio: r.ratio,
          lower: valid ? r.lower : 0,
          upper: valid ? r.upper : Number.POSITIVE_INFINITY,
          p: r.p,
          adjustedP: Number.NaN,
          method: `sequential look ${k + 1} of ${this.looks.length}: paired signed-rank, ${x.length} rounds, ${(level * 100).toFixed(2)}% CI (Pocock-type alpha spending, Bonferroni over ${m} cell(s))`,
          verdict: "same",
          mde: Math.expm1(
            valid
              ? minimumDetectableLogRatio(r.lower, r.upper, level, 1 - level, GATE_POWER)
              : Number.POSITIVE_INFINITY,
          ),
        };
        const row: ComparisonRow = { ...shell, result };
        const verdict = valid
          ? decideVerdict(result, 0, { ...this.opts, alpha: 1 })
          : ("same" as const);
        result.verdict = verdict;
        this.lastLook.set(key, { look: k, row });
        if (verdict === "regressed" || (valid && inconclusiveRow(row, this.report([])) === null)) {
          this.decided.set(key, row);
          rows.push(row);
          continue;
        }
      }
      const latest = this.lastLook.get(key)?.row;
      rows.push(
        latest
          ? { ...latest, candidate: shell.candidate, baseline: shell.baseline }
          : {
              ...shell,
              result: {
                kind: "too-few-runs",
                runsNeeded: this.looks[0] as number,
                reason: `${x.length} complete rounds: the first look is at ${this.looks[0]}`,
              },
            },
      );
      // Failing runs leave a row short of pairs: it closes once its cell ran the last look's count.
      const tried = (groups.get(key) ?? []).filter((r) => !r.warmup).length;
      if (x.length < last && tried < last) {
        open.push(cellKey({ ...c }), cellKey({ ...c, allocator: this.against }));
      }
    }
    return { report: this.report(rows), open: [...new Set(open)] };
  }

  private report(rows: ComparisonRow[]): ComparisonReport {
    return {
      metric: this.opts.metric,
      alpha: this.opts.alpha,
      level: this.opts.level,
      threshold: this.opts.threshold,
      sequentialLooks: this.looks,
      rows,
      summary: [],
    };
  }
}

/** The values of the rounds both cells measured, ascending by round (a merge of two ascending lists). */
function pairsByRound(candidate: CellValues, baseline: CellValues): { x: number[]; y: number[] } {
  const c = valuesByRound(candidate);
  const b = valuesByRound(baseline);
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0, j = 0; i < c.rounds.length && j < b.rounds.length;) {
    const ri = c.rounds[i] as number;
    const rj = b.rounds[j] as number;
    if (ri < rj) i++;
    else if (ri > rj) j++;
    else {
      x.push(c.values[i++] as number);
      y.push(b.values[j++] as number);
    }
  }
  return { x, y };
}
