/**
 * The report's content as plain blocks (headings, paragraphs, tables, charts), written once from
 * the model and rendered to Markdown and to HTML. Text is plain: each renderer escapes it.
 */
import path from "node:path";
import type { ComparisonReport, ComparisonRow } from "../analysis/comparisons.js";
import { NOT_RUN_TITLE, notRunLines, verdictText } from "../analysis/format.js";
import { formatValue } from "../analysis/metrics.js";
import { workloadLabel } from "../plan/schedule.js";
import type { ChartDef } from "./charts/index.js";
import { ratioFormat, threadsLabel } from "./charts/common.js";
import { PERCENTILES } from "./charts/latency.js";
import { CLASS_MEANING } from "../hardening/matrix.js";
import type {
  LatencyRow,
  RatioRow,
  ReportModel,
  RunInterval,
  SummaryRow,
  TestbedModel,
} from "./model.js";
import { median } from "simple-statistics";
import {
  BIMODAL_MARK,
  bimodalNote,
  directed,
  directedInterval,
  MEMORY_WORDS,
  NO_DIFFERENCE,
  TIME_WORDS,
  wordsFor,
  type DirectionWords,
} from "../analysis/direction.js";

export type Block =
  | { kind: "heading"; level: 1 | 2 | 3; text: string }
  | { kind: "paragraph"; text: string }
  | { kind: "list"; items: string[] }
  | { kind: "table"; head: string[]; rows: string[][]; numeric: number[] }
  | { kind: "chart"; chart: ChartDef }
  /** Links to the parts of a split chart (ChartDef.id of each). */
  | { kind: "index"; text: string; items: { text: string; chart: string }[] };

/**
 * "1.80x faster than glibc (95% CI 1.62-2.01x faster)", or with no CI "1.80x faster than glibc
 * (no CI: 3 runs)": the report's one convention (see direction.ts).
 */
export function describeRatio(
  ratio: number,
  lower: number | null,
  upper: number | null,
  words: DirectionWords,
  against: string,
  runs?: number,
): string {
  const folded = directed(ratio, words);
  const than = folded.includes(NO_DIFFERENCE)
    ? `${folded} from ${against}`
    : `${folded} than ${against}`;
  if (lower === null || upper === null)
    return `${than} (${runs === undefined ? "no CI" : noCi(runs)})`;
  return `${than} (95% CI ${directedInterval(lower, upper, words)})`;
}

/** The mark of a point estimate without an interval. */
export function noCi(runs: number): string {
  return `no CI: ${runs} run${runs === 1 ? "" : "s"}`;
}

function cellKey(workload: string, threads: number, allocator: string): string {
  return `${workload}\0${threads}\0${allocator}`;
}

/** "8 †" for thread counts above the testbed's CPUs. */
export function threadsCell(t: TestbedModel, threads: number): string {
  return t.oversubscribed.includes(threads) ? `${threads} ${OVERSUBSCRIBED_MARK}` : String(threads);
}

export const OVERSUBSCRIBED_MARK = "†";

function oversubscriptionText(t: TestbedModel): string | null {
  if (t.oversubscribed.length === 0) return null;
  return `The runs could use ${t.cpus} CPU(s): at ${t.oversubscribed.map(threadsLabel).join(", ")} the threads outnumber the CPUs (oversubscribed), which measures time-sharing rather than scaling; those cells are marked ${OVERSUBSCRIBED_MARK} in the tables, shaded on the charts and left out of the geometric means.`;
}

function ratiosOf(t: TestbedModel, metric: "time" | "peak RSS"): RatioRow[] {
  return metric === "time" ? t.timeRatios : t.rssRatios;
}

/** The cell with the largest ratio in one direction among significant (or, failing that, all) cells. */
function extreme(rows: RatioRow[], below: boolean): RatioRow | undefined {
  const pick = rows.filter((r) => (below ? r.ratio < 1 : r.ratio > 1));
  if (pick.length === 0) return undefined;
  return pick.reduce((a, b) => ((below ? b.ratio < a.ratio : b.ratio > a.ratio) ? b : a));
}

/**
 * The headline of a focused report: one sentence with the number, its direction and its CI
 * ("On <machine>, scudo-musl is 1.20x faster than musl (95% CI ...) in geometric mean over ...").
 */
export function focusText(
  t: TestbedModel,
  focus: { candidate: string; baseline: string },
): string | null {
  const s = t.summary.find(
    (x) => x.metric === "time" && x.allocator === focus.candidate && x.against === focus.baseline,
  );
  if (!s) return null;
  const rows = t.timeRatios.filter(
    (r) => r.allocator === focus.candidate && r.against === focus.baseline && !r.oversubscribed,
  );
  const threads = [...new Set(rows.map((r) => r.threads))].sort((a, b) => a - b);
  const workloads = new Set(rows.map((r) => r.workload)).size;
  return (
    `On ${t.description}, ${focus.candidate} is ${describeRatio(s.geomean, s.lower, s.upper, TIME_WORDS, focus.baseline, s.cells).replace(/\(no CI: (\d+) runs?\)/, "(no CI: $1 cells)")}` +
    ` in geometric mean over ${s.cells} cell(s): ${workloads} workload(s) at ${threads.map(String).join(", ")} thread(s)` +
    (s.oversubscribedCells > 0
      ? `, leaving out ${s.oversubscribedCells} oversubscribed cell(s) (more threads than the ${t.cpus} CPUs)`
      : "") +
    (rows.some((r) => r.lower === null)
      ? `; the cells themselves have ${t.runsPerCell} run(s) each, too few for a per-cell CI`
      : "") +
    "."
  );
}

/** The summary paragraph of one testbed, written from its numbers. */
export function summaryText(t: TestbedModel): string {
  const sentences: string[] = [];
  const rows = compared(t.time);
  const cells = t.workloads.length * t.threads.length;
  // An allocator whose every cell the plan skipped (a program built for the other libc) did not run.
  const withRuns = new Set(t.results.runs.map((r) => r.allocator));
  const ran = t.allocators.filter((a) => withRuns.has(a));
  const idle = t.allocators.filter((a) => !ran.includes(a));
  sentences.push(
    `On ${t.description}, ${ran.length} allocators ran ${t.workloads.length} workload(s) at ${t.threads.map(threadsLabel).join(", ")} (${cells} cell(s), ${t.runsPerCell} measured runs each); every allocator is compared with ${t.baseline}` +
      (idle.length > 0
        ? `; ${idle.join(", ")} ran no cell: the plan skipped each of theirs (listed below, under "not run, as planned").`
        : "."),
  );
  const over = oversubscriptionText(t);
  if (over) sentences.push(over);
  const points = t.timeRatios.filter((r) => r.lower === null);
  if (points.length > 0)
    sentences.push(
      `${points.length} of ${t.timeRatios.length} time comparisons have too few runs for a test or a confidence interval: their ratios are point estimates (median against median), marked "no CI: N runs".`,
    );
  const sum = t.summary.filter((s) => s.metric === "time");
  const scope = (s: SummaryRow): string =>
    `in geometric mean over ${s.cells} cell(s)` +
    (s.oversubscribedCells > 0 ? ` (${s.oversubscribedCells} oversubscribed left out)` : "");
  const overall = (s: SummaryRow): string =>
    `${s.allocator}: ${describeRatio(s.geomean, s.lower, s.upper, TIME_WORDS, t.baseline, s.cells)} ${scope(s)}` +
    (s.lower !== null && s.upper !== null && s.lower <= 1 && s.upper >= 1
      ? ", a CI that includes 1 (no difference overall that these runs can resolve)"
      : "");
  if (sum.length > 0) {
    const best = [...sum].sort((a, b) => a.geomean - b.geomean)[0] as SummaryRow;
    const worst = [...sum].sort((a, b) => b.geomean - a.geomean)[0] as SummaryRow;
    sentences.push(
      best.geomean < 1
        ? `Overall the fastest is ${overall(best)}.`
        : `No allocator is faster than ${t.baseline} overall; the closest is ${overall(best)}.`,
    );
    if (worst !== best && worst.geomean > 1) sentences.push(`The slowest is ${overall(worst)}.`);
  }
  const fitting = t.timeRatios.filter((r) => !r.oversubscribed);
  const significant = fitting.filter((r) => r.verdict !== "same");
  const cellText = (r: RatioRow): string =>
    `at ${threadsLabel(r.threads)}, ${r.allocator} is ${describeRatio(r.ratio, r.lower, r.upper, TIME_WORDS, r.against, r.n)} on ${r.workload}`;
  const up = extreme(
    significant.length > 0 ? significant.filter((r) => r.verdict === "improved") : [],
    true,
  );
  const down = extreme(
    significant.length > 0 ? significant.filter((r) => r.verdict === "regressed") : [],
    false,
  );
  if (up) sentences.push(`The largest significant speed-up: ${cellText(up)}.`);
  if (down) sentences.push(`The largest significant slowdown: ${cellText(down)}.`);
  if (rows.length > 0)
    sentences.push(
      `${rows.filter((r) => r.result.verdict !== "same").length} of ${rows.length} tested comparisons are significant after Benjamini-Hochberg correction (alpha ${t.time.alpha}); the others show no difference these runs can resolve.`,
    );
  const rss = t.summary.filter((s) => s.metric === "peak RSS");
  if (rss.length > 0) {
    const lean = [...rss].sort((a, b) => a.geomean - b.geomean)[0] as SummaryRow;
    const fat = [...rss].sort((a, b) => b.geomean - a.geomean)[0] as SummaryRow;
    sentences.push(
      `For peak RSS, ${lean.allocator} uses ${describeRatio(lean.geomean, lean.lower, lean.upper, MEMORY_WORDS, t.baseline, lean.cells)} in geometric mean` +
        (fat !== lean
          ? `, and ${fat.allocator} ${describeRatio(fat.geomean, fat.lower, fat.upper, MEMORY_WORDS, t.baseline, fat.cells)}.`
          : "."),
    );
  }
  if (t.timeRatios.some((r) => r.bimodal))
    sentences.push(
      `${t.timeRatios.filter((r) => r.bimodal).length} cell(s) are marked ${BIMODAL_MARK}: their runs fall into separate clusters, and the ratio of medians points the other way from the estimate.`,
    );
  const failed = t.failures.reduce((n, f) => n + f.count, 0);
  if (failed > 0) sentences.push(`${failed} measured run(s) failed; see "Failures".`);
  return sentences.join(" ");
}

type Compared = ComparisonRow & { result: Extract<ComparisonRow["result"], { kind: "compared" }> };

function compared(report: ComparisonReport): Compared[] {
  return report.rows.filter((r): r is Compared => r.result.kind === "compared");
}

/** Why a cell has no ratio: "failed: signal" when every run of one side failed, else "-". */
function failedText(t: TestbedModel, row: ComparisonRow): string {
  const side = row.candidate === null ? row.allocator : row.baseline === null ? row.against : null;
  if (side === null) return "-";
  const kinds = t.failures
    .filter((f) => f.workload === row.workload && f.threads === row.threads && f.allocator === side)
    .map((f) => f.kind);
  return kinds.length > 0 ? `${side} failed: ${[...new Set(kinds)].join(", ")}` : "-";
}

function comparisonTable(t: TestbedModel, metric: "time" | "peak RSS"): Block[] {
  const report = metric === "time" ? t.time : t.rss;
  const words = wordsFor(metric);
  const ratios = new Map(
    ratiosOf(t, metric).map((r) => [cellKey(r.workload, r.threads, r.allocator), r]),
  );
  let bimodal = false;
  const table: Block = {
    kind: "table",
    head: [
      "workload",
      "threads",
      "allocator",
      `${report.rows[0]?.against ?? "baseline"} median`,
      "median",
      `ratio to ${t.baseline}`,
      "95% CI",
      "p (BH)",
      "verdict",
    ],
    numeric: [1, 3, 4, 5, 6, 7],
    rows: report.rows.map((row) => {
      const workload = workloadLabel(row.workload, row.params);
      const r = ratios.get(cellKey(workload, row.threads, row.allocator));
      if (r?.bimodal) bimodal = true;
      return [
        workload,
        threadsCell(t, row.threads),
        row.allocator,
        row.baseline ? formatValue(row.baseline.median, report.metric) : "-",
        row.candidate ? formatValue(row.candidate.median, report.metric) : "-",
        r
          ? `${directed(r.ratio, words)}${r.bimodal ? ` ${BIMODAL_MARK}` : ""}`
          : failedText(t, row),
        r
          ? r.lower !== null && r.upper !== null
            ? directedInterval(r.lower, r.upper, words)
            : noCi(r.n)
          : "-",
        r?.adjustedP != null && Number.isFinite(r.adjustedP)
          ? r.adjustedP < 0.001
            ? "<0.001"
            : r.adjustedP.toFixed(3)
          : "-",
        verdictText(row, report),
      ];
    }),
  };
  const notes: string[] = [];
  const notRun = notRunLines(report);
  if (notRun.length > 0)
    notes.push(
      `${NOT_RUN_TITLE.charAt(0).toUpperCase()}${NOT_RUN_TITLE.slice(1)} ${notRun.join("; ")}.`,
    );
  if (bimodal) notes.push(bimodalNote(words));
  if (t.oversubscribed.length > 0)
    notes.push(
      `${OVERSUBSCRIBED_MARK} More threads than the ${t.cpus} CPU(s) the runs could use (oversubscribed).`,
    );
  return [table, ...notes.map((text): Block => ({ kind: "paragraph", text }))];
}

function summaryTable(t: TestbedModel): Block {
  return {
    kind: "table",
    head: ["allocator", "metric", "cells", "geometric mean ratio", "95% CI"],
    numeric: [2, 3],
    rows: t.summary.map((s) => [
      s.allocator,
      s.metric,
      String(s.cells) +
        (s.oversubscribedCells > 0
          ? ` (+${s.oversubscribedCells} ${OVERSUBSCRIBED_MARK} left out)`
          : ""),
      `${directed(s.geomean, wordsFor(s.metric))} than ${s.against}`,
      s.lower === null || s.upper === null
        ? noCi(s.cells).replace("run", "cell")
        : directedInterval(s.lower, s.upper, wordsFor(s.metric)),
    ]),
  };
}

function methodology(t: TestbedModel): string[] {
  const p = t.results.plan;
  return [
    `Cells: every workload × allocator × thread count; ${p.runs} measured run(s) per cell${p.precision ? `, adaptively extended up to ${p.maxRuns ?? "the limit"} runs until the median's CI half-width was within ${(p.precision * 100).toFixed(1)}%` : ""}, ${p.warmup} warmup run(s) per cell recorded and excluded.`,
    `Rounds: each round runs every cell once, in an order shuffled with seed ${p.seed}, so slow drifts of the machine spread over all allocators instead of biasing one.`,
    `Workload size preset "${p.size}"; per-run timeout ${(p.timeoutMs / 1000).toFixed(0)} s; RSS timeline sampled every ${p.rssIntervalMs} ms.`,
    p.cpus
      ? `Pinning: every run pinned to CPUs ${p.cpus}.`
      : "Pinning: none (runs were free to migrate between CPUs; expect more noise).",
    "Times are those of each workload's measured region (behind its start barrier), reported by the workload itself; peak RSS is the kernel's maxrss of the process.",
    "Statistics: per-cell medians with distribution-free 95% CIs; allocator against baseline by the Mann-Whitney U test, ratios as Hodges-Lehmann estimates on log values with their 95% CIs (cells measured in the same 10 or more rounds are compared round by round: Wilcoxon signed-rank test on the within-round log ratios, Walsh-average Hodges-Lehmann CI); p-values adjusted by Benjamini-Hochberg over all comparisons of a metric; a verdict needs adjusted p < 0.05 and the whole CI beyond 1. Summaries are geometric means of the per-cell ratios with a 95% t interval on the logs.",
  ];
}

/**
 * A file's name without the directory it had on the measuring machine: local absolute paths
 * (build trees, home directories) say nothing to a reader and may say too much about the host.
 */
export function localName(file: string): string {
  return file.startsWith("/") ? path.posix.basename(file) : file;
}

function environmentTable(t: TestbedModel): Block {
  const e = t.results.environment;
  const rows: string[][] = [
    ["CPU", `${e.cpuModel} (${e.cores} CPUs${e.onlineCpus ? `, online ${e.onlineCpus}` : ""})`],
    ["architecture", e.arch],
    ["kernel", e.kernel],
    ["OS", e.os],
    ["memory", `${(e.memoryBytes / 2 ** 30).toFixed(1)} GiB`],
    ...e.libcs.map((l) => [
      `libc ${l.libc}`,
      `${l.version ?? "unknown"}; ${l.compiler.map(localName).join(" ")} ${l.compilerVersion}; ${l.cflags.join(" ")}`,
    ]),
    ["CPU governor", e.governor ?? "unknown"],
    ["turbo", e.turbo ?? "unknown"],
    ["SMT", e.smt ?? "unknown"],
    ["load average", e.loadAverage.map((x) => x.toFixed(2)).join(", ")],
    ...t.results.allocators
      .filter((a) => t.allocators.includes(a.name))
      .map((a) => [
        `allocator ${a.name}`,
        [
          a.package
            ? `${a.package.name} ${a.package.version}`
            : (a.version ?? (a.source === "libc" ? `${a.libc}'s own malloc` : "version unknown")),
          localName(a.realLib ?? a.lib ?? ""),
        ]
          .filter(Boolean)
          .join("; "),
      ]),
    ["tool", `${t.results.tool.name} ${t.results.tool.version}, Node ${e.nodeVersion}`],
    [
      "run",
      `${t.results.createdAt} to ${t.results.finishedAt ?? "(unfinished)"}${t.results.complete ? "" : " (incomplete)"}`,
    ],
  ];
  return { kind: "table", head: ["", ""], rows, numeric: [] };
}

/** "3: no CI" / "1: single run" / "10": a run count that says when there is no interval. */
function runsCell(r: RunInterval): string {
  if (r.lower !== null && r.upper !== null) return String(r.n);
  return r.n === 1 ? "1: single run" : `${r.n}: no CI`;
}

/** A value with its interval, "812 (790-840)", or the value alone when there is none. */
function withInterval(r: RunInterval, value: number, format: (x: number) => string): string {
  return r.lower === null || r.upper === null
    ? format(value)
    : `${format(value)} (${format(r.lower)}-${format(r.upper)})`;
}

const INTERVAL_NOTE =
  "In brackets: the 95% confidence interval of the median over the runs (distribution-free, from order statistics: the k-th smallest and largest runs with binomial coverage of at least 95%, which needs 6 runs); cells with fewer runs show the median alone and say so in the runs column.";

/** Memory overhead per workload and allocator with its interval over runs. */
export function overheadTable(t: TestbedModel): Block[] {
  if (t.overhead.length === 0) return [];
  const x = (v: number): string => ratioFormat(v);
  return [
    { kind: "paragraph", text: INTERVAL_NOTE },
    {
      kind: "table",
      head: ["workload", "allocator", "runs", "peak RSS / peak live bytes (95% CI)"],
      numeric: [2],
      rows: t.overhead.map((r) => [
        r.workload,
        r.allocator,
        runsCell(r),
        `${withInterval(r, r.overhead, x)}x the live bytes`,
      ]),
    },
  ];
}

/** Latency percentiles per workload, operation and allocator, each with its interval. */
export function latencyTable(t: TestbedModel): Block[] {
  if (t.latency.length === 0) return [];
  const ns = (v: number): string => Math.round(v).toLocaleString("en-US");
  const cells = new Map<string, LatencyRow[]>();
  for (const r of t.latency) {
    const key = `${r.workload}\0${r.op}\0${r.allocator}`;
    const list = cells.get(key);
    if (list) list.push(r);
    else cells.set(key, [r]);
  }
  const percentiles = PERCENTILES.filter((p) => t.latency.some((r) => r.percentile === p));
  return [
    { kind: "paragraph", text: INTERVAL_NOTE },
    {
      kind: "table",
      head: ["workload", "call", "allocator", "runs", ...percentiles.map((p) => `${p} (ns)`)],
      numeric: [3, ...percentiles.map((_, i) => 4 + i)],
      rows: [...cells.values()].map((rows) => {
        const first = rows[0] as LatencyRow;
        return [
          first.workload,
          first.op,
          first.allocator,
          runsCell(first),
          ...percentiles.map((p) => {
            const r = rows.find((x) => x.percentile === p);
            return r ? withInterval(r, r.ns, ns) : "-";
          }),
        ];
      }),
    },
  ];
}

/** The whole report as blocks; `charts` are placed in their sections. */
/**
 * Memory held after frees: for workloads that free everything and then hold (a `hold` phase:
 * fragmentation, retention, malloc-large), the median RSS still resident during the hold
 * (retainedRssBytes) beside the median peak RSS, per allocator, at the detail thread count.
 */
export function retainedTable(t: TestbedModel): Block | null {
  const cells = new Map<string, { retained: number[]; peak: number[] }>();
  for (const r of t.results.runs) {
    if (r.status !== "ok" || r.warmup || r.threads !== t.detailThreads) continue;
    if (!r.phases?.some(([name]) => name === "hold")) continue;
    const retained = r.metrics.retainedRssBytes;
    if (retained === undefined) continue;
    const key = `${workloadLabel(r.workload, r.params)}\u0000${r.allocator}`;
    const cell = cells.get(key) ?? { retained: [], peak: [] };
    cell.retained.push(retained);
    cell.peak.push(r.metrics.maxRssBytes);
    cells.set(key, cell);
  }
  if (cells.size === 0) return null;
  const mib = (b: number): string => (b / 1048576).toFixed(1);
  const rows = [...cells.entries()]
    .map(([key, c]) => {
      const [workload = "", allocator = ""] = key.split("\u0000");
      const retained = median(c.retained);
      const peak = median(c.peak);
      return {
        workload,
        allocator,
        row: [
          workload,
          allocator,
          String(c.retained.length),
          mib(peak),
          mib(retained),
          peak > 0 ? `${Math.round((100 * retained) / peak)}%` : "-",
        ],
      };
    })
    .sort(
      (a, b) =>
        t.workloads.indexOf(a.workload.replace(/\[.*$/, "")) -
          t.workloads.indexOf(b.workload.replace(/\[.*$/, "")) ||
        a.workload.localeCompare(b.workload) ||
        t.allocators.indexOf(a.allocator) - t.allocators.indexOf(b.allocator),
    );
  return {
    kind: "table",
    head: [
      "workload",
      "allocator",
      "runs",
      "peak RSS (MiB)",
      "held after frees (MiB)",
      "held / peak",
    ],
    rows: rows.map((r) => r.row),
    numeric: [2, 3, 4, 5],
  };
}

export function buildDocument(model: ReportModel, charts: ChartDef[]): Block[] {
  const blocks: Block[] = [];
  // A chart split by workload (ChartDef.part) gets an index of its parts, then each part.
  const chart = (kind: ChartDef["kind"]): void => {
    const parts = charts.filter((x) => x.kind === kind);
    if (parts.length > 1)
      blocks.push({
        kind: "index",
        text: `${parts.length} charts, split by workload so that each fits the column:`,
        items: parts.map((p) => ({
          text: (p.part?.workloads ?? []).join(", "),
          chart: p.id,
        })),
      });
    for (const c of parts) blocks.push({ kind: "chart", chart: c });
  };
  const multi = model.testbeds.length > 1;
  const focus = model.focus;
  blocks.push({
    kind: "heading",
    level: 1,
    text: focus
      ? `${focus.candidate} against ${focus.baseline}: malloc benchmark report`
      : "Malloc benchmark report",
  });
  if (focus) {
    for (const t of model.testbeds) {
      const text = focusText(t, focus);
      if (text) blocks.push({ kind: "paragraph", text: multi ? `${t.label}: ${text}` : text });
    }
    chart("focus");
  }
  for (const t of model.testbeds) {
    if (multi) blocks.push({ kind: "heading", level: 3, text: t.label });
    blocks.push({ kind: "paragraph", text: summaryText(t) });
  }
  if (multi)
    blocks.push({
      kind: "paragraph",
      text: "Results from different testbeds are shown side by side and never pooled: every ratio compares allocators measured on the same machine.",
    });
  chart("summary");
  chart("architectures");
  blocks.push({ kind: "heading", level: 2, text: "Time" });
  chart("time-ratio");
  chart("scaling");
  chart("distribution");
  for (const t of model.testbeds) {
    blocks.push({
      kind: "heading",
      level: 3,
      text: multi ? `Time: ${t.label}` : "Time against the baseline",
    });
    blocks.push(...comparisonTable(t, "time"));
  }
  blocks.push({ kind: "heading", level: 2, text: "Memory" });
  chart("rss-ratio");
  chart("rss-timeline");
  chart("memory-overhead");
  for (const t of model.testbeds) {
    const table = overheadTable(t);
    if (table.length > 0)
      blocks.push(
        {
          kind: "heading",
          level: 3,
          text: `Memory overhead, at ${threadsLabel(t.detailThreads)}${multi ? `: ${t.label}` : ""}`,
        },
        ...table,
      );
  }
  for (const t of model.testbeds) {
    blocks.push({
      kind: "heading",
      level: 3,
      text: multi ? `Peak RSS: ${t.label}` : "Peak RSS against the baseline",
    });
    blocks.push(...comparisonTable(t, "peak RSS"));
    const retained = retainedTable(t);
    if (retained) {
      blocks.push({
        kind: "heading",
        level: 3,
        text: `Memory held after frees, at ${threadsLabel(t.detailThreads)}${multi ? `: ${t.label}` : ""}`,
      });
      blocks.push({
        kind: "paragraph",
        text: "Workloads that free everything and then hold still for a moment: the resident set size during the hold (the last RSS sample of the hold phase, median over the runs) against the run's peak. Memory an allocator keeps cached instead of returning it to the system shows here.",
      });
      blocks.push(retained);
    }
  }
  if (charts.some((c) => c.kind === "latency")) {
    blocks.push({ kind: "heading", level: 2, text: "Latency" });
    chart("latency");
    for (const t of model.testbeds) {
      const table = latencyTable(t);
      if (table.length === 0) continue;
      blocks.push({
        kind: "heading",
        level: 3,
        text: `Latency percentiles, at ${threadsLabel(t.detailThreads)}${multi ? `: ${t.label}` : ""}`,
      });
      blocks.push(...table);
    }
  }
  blocks.push({ kind: "heading", level: 2, text: "Geometric means" });
  for (const t of model.testbeds) {
    if (multi) blocks.push({ kind: "heading", level: 3, text: t.label });
    blocks.push(summaryTable(t));
  }
  const hardening = model.testbeds.filter((t) => t.hardening);
  if (hardening.length > 0) {
    blocks.push({ kind: "heading", level: 2, text: "Hardening" });
    chart("hardening");
    for (const t of hardening) {
      const h = t.hardening as NonNullable<TestbedModel["hardening"]>;
      if (multi) blocks.push({ kind: "heading", level: 3, text: t.label });
      blocks.push({
        kind: "paragraph",
        text:
          (h.trials === 1
            ? "One trial per probe (a file written before probes were repeated): flakiness was not measured. "
            : `Each probe ran ${h.trials} times per allocator; "flaky" cells ended differently across the trials, with how many ended each way. `) +
          `detected: ${CLASS_MEANING.diagnostic}; died: ${CLASS_MEANING.incidental}.`,
      });
      blocks.push({
        kind: "table",
        head: ["allocator", ...h.probes],
        numeric: [],
        rows: h.allocators.map((a) => [
          a,
          ...h.probes.map(
            (p) => h.cells.find((c) => c.allocator === a && c.probe === p)?.label ?? "-",
          ),
        ]),
      });
    }
  }
  const failures = model.testbeds.flatMap((t) =>
    t.failures.map((f) => ({ ...f, testbed: t.label })),
  );
  if (failures.length > 0) {
    blocks.push({ kind: "heading", level: 2, text: "Failures" });
    blocks.push({
      kind: "table",
      head: [...(multi ? ["testbed"] : []), "workload", "threads", "allocator", "failure", "runs"],
      numeric: multi ? [2, 5] : [1, 4],
      rows: failures.map((f) => [
        ...(multi ? [f.testbed] : []),
        f.workload,
        String(f.threads),
        f.allocator,
        f.kind,
        String(f.count),
      ]),
    });
  }
  blocks.push({ kind: "heading", level: 2, text: "Methodology" });
  for (const t of model.testbeds) {
    if (multi) blocks.push({ kind: "heading", level: 3, text: t.label });
    blocks.push({ kind: "list", items: methodology(t) });
  }
  blocks.push({ kind: "heading", level: 2, text: "Environment" });
  for (const t of model.testbeds) {
    blocks.push({ kind: "heading", level: 3, text: `${t.label} (${t.source})` });
    blocks.push(environmentTable(t));
    if (t.results.warnings.length > 0)
      blocks.push({ kind: "list", items: t.results.warnings.map((w) => `warning: ${w}`) });
  }
  return blocks;
}
