/**
 * The report's content as plain blocks (headings, paragraphs, tables, charts), written once from
 * the model and rendered to Markdown and to HTML. Text is plain: each renderer escapes it.
 */
import type { ComparisonReport, ComparisonRow } from "../analysis/comparisons.js";
import { verdictText } from "../analysis/format.js";
import { formatValue } from "../analysis/metrics.js";
import { workloadLabel } from "../plan/schedule.js";
import type { ChartDef } from "./charts/index.js";
import { threadsLabel } from "./charts/common.js";
import type { ReportModel, TestbedModel } from "./model.js";
import { median } from "simple-statistics";

export type Block =
  | { kind: "heading"; level: 1 | 2 | 3; text: string }
  | { kind: "paragraph"; text: string }
  | { kind: "list"; items: string[] }
  | { kind: "table"; head: string[]; rows: string[][]; numeric: number[] }
  | { kind: "chart"; chart: ChartDef };

function fmt(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** "1.80x faster than glibc (95% CI 1.62-2.01)": ratios below 1 are turned into "x faster". */
export function describeRatio(
  ratio: number,
  lower: number,
  upper: number,
  words: { improved: string; regressed: string },
  against: string,
): string {
  if (ratio < 1) {
    return `${fmt(1 / ratio)}x ${words.improved} than ${against} (95% CI ${fmt(1 / upper)}-${fmt(1 / lower)})`;
  }
  return `${fmt(ratio)}x ${words.regressed} than ${against} (95% CI ${fmt(lower)}-${fmt(upper)})`;
}

type Compared = ComparisonRow & { result: Extract<ComparisonRow["result"], { kind: "compared" }> };

function compared(report: ComparisonReport): Compared[] {
  return report.rows.filter((r): r is Compared => r.result.kind === "compared");
}

/** The summary paragraph of one testbed, written from its numbers. */
export function summaryText(t: TestbedModel): string {
  const sentences: string[] = [];
  const time = t.time;
  const rows = compared(time);
  const cells = t.workloads.length * t.threads.length;
  sentences.push(
    `On ${t.description}, ${t.allocators.length} allocators ran ${t.workloads.length} workload(s) at ${t.threads.map(threadsLabel).join(", ")} (${cells} cell(s), ${t.runsPerCell} measured runs each); every allocator is compared with ${t.baseline}.`,
  );
  const sum = time.summary.filter((s) => s.lower !== null && s.upper !== null);
  if (sum.length > 0) {
    const best = [...sum].sort((a, b) => a.geomean - b.geomean)[0] as (typeof sum)[number];
    const worst = [...sum].sort((a, b) => b.geomean - a.geomean)[0] as (typeof sum)[number];
    const overall = (s: (typeof sum)[number]): string =>
      `${s.allocator}: ${describeRatio(s.geomean, s.lower as number, s.upper as number, time.metric.words, t.baseline)} in geometric mean over ${s.cells} cells` +
      ((s.lower as number) <= 1 && (s.upper as number) >= 1
        ? ", a CI that includes 1 (no difference overall that these runs can resolve)"
        : "");
    sentences.push(
      best.geomean < 1
        ? `Overall the fastest is ${overall(best)}.`
        : `No allocator is faster than ${t.baseline} overall; the closest is ${overall(best)}.`,
    );
    if (worst !== best && worst.geomean > 1) sentences.push(`The slowest is ${overall(worst)}.`);
  }
  const significant = rows.filter((r) => r.result.verdict !== "same");
  const speedups = significant.filter((r) => r.result.verdict === "improved");
  const slowdowns = significant.filter((r) => r.result.verdict === "regressed");
  const cellText = (r: Compared): string =>
    `at ${threadsLabel(r.threads)}, ${r.allocator} is ${describeRatio(r.result.ratio, r.result.lower, r.result.upper, time.metric.words, r.against)} on ${workloadLabel(r.workload, r.params)}`;
  if (speedups.length > 0) {
    const top = speedups.reduce((a, b) => (b.result.ratio < a.result.ratio ? b : a));
    sentences.push(`The largest significant speed-up: ${cellText(top)}.`);
  }
  if (slowdowns.length > 0) {
    const top = slowdowns.reduce((a, b) => (b.result.ratio > a.result.ratio ? b : a));
    sentences.push(`The largest significant slowdown: ${cellText(top)}.`);
  }
  sentences.push(
    `${significant.length} of ${rows.length} comparisons are significant after Benjamini-Hochberg correction (alpha ${time.alpha}); the others show no difference these runs can resolve.`,
  );
  const tooFew = t.time.rows.filter((r) => r.result.kind === "too-few-runs").length;
  if (tooFew > 0) sentences.push(`${tooFew} comparison(s) have too few runs for a verdict.`);
  const rss = t.rss.summary.filter((s) => s.lower !== null && s.upper !== null);
  if (rss.length > 0) {
    const lean = [...rss].sort((a, b) => a.geomean - b.geomean)[0] as (typeof rss)[number];
    const fat = [...rss].sort((a, b) => b.geomean - a.geomean)[0] as (typeof rss)[number];
    sentences.push(
      `For peak RSS, ${lean.allocator} is ${describeRatio(lean.geomean, lean.lower as number, lean.upper as number, t.rss.metric.words, t.baseline)} in geometric mean` +
        (fat !== lean
          ? `, and ${fat.allocator} ${describeRatio(fat.geomean, fat.lower as number, fat.upper as number, t.rss.metric.words, t.baseline)}.`
          : "."),
    );
  }
  const failed = t.failures.reduce((n, f) => n + f.count, 0);
  if (failed > 0) sentences.push(`${failed} measured run(s) failed; see "Failures".`);
  return sentences.join(" ");
}

function comparisonTable(report: ComparisonReport): Block {
  return {
    kind: "table",
    head: [
      "workload",
      "threads",
      "allocator",
      `${report.rows[0]?.against ?? "baseline"} median`,
      "median",
      "ratio",
      "95% CI",
      "p (BH)",
      "verdict",
    ],
    numeric: [1, 3, 4, 5, 6, 7],
    rows: report.rows.map((row) => {
      const r = row.result;
      const c = r.kind === "compared" ? r : null;
      return [
        workloadLabel(row.workload, row.params),
        String(row.threads),
        row.allocator,
        row.baseline ? formatValue(row.baseline.median, report.metric) : "-",
        row.candidate ? formatValue(row.candidate.median, report.metric) : "-",
        c ? `${c.ratio.toFixed(3)}x` : "-",
        c ? `${c.lower.toFixed(3)}-${c.upper.toFixed(3)}` : "-",
        c ? (c.adjustedP < 0.001 ? "<0.001" : c.adjustedP.toFixed(3)) : "-",
        verdictText(row, report),
      ];
    }),
  };
}

function summaryTable(t: TestbedModel): Block {
  return {
    kind: "table",
    head: ["allocator", "metric", "cells", "geometric mean ratio", "95% CI"],
    numeric: [2, 3],
    rows: t.summary.map((s) => [
      s.allocator,
      s.metric,
      String(s.cells),
      `${s.geomean.toFixed(3)}x`,
      s.lower === null || s.upper === null ? "-" : `${s.lower.toFixed(3)}-${s.upper.toFixed(3)}`,
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
      `${l.version ?? "unknown"}; ${l.compiler.join(" ")} ${l.compilerVersion}; ${l.cflags.join(" ")}`,
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
          a.realLib ?? a.lib ?? "",
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
  const chart = (id: ChartDef["id"]): void => {
    const c = charts.find((x) => x.id === id);
    if (c) blocks.push({ kind: "chart", chart: c });
  };
  const multi = model.testbeds.length > 1;
  blocks.push({ kind: "heading", level: 1, text: "Malloc benchmark report" });
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
    blocks.push(comparisonTable(t.time));
  }
  blocks.push({ kind: "heading", level: 2, text: "Memory" });
  chart("rss-ratio");
  chart("rss-timeline");
  chart("memory-overhead");
  for (const t of model.testbeds) {
    blocks.push({
      kind: "heading",
      level: 3,
      text: multi ? `Peak RSS: ${t.label}` : "Peak RSS against the baseline",
    });
    blocks.push(comparisonTable(t.rss));
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
  if (charts.some((c) => c.id === "latency")) {
    blocks.push({ kind: "heading", level: 2, text: "Latency" });
    chart("latency");
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
        kind: "table",
        head: ["allocator", ...h.probes],
        numeric: [],
        rows: h.allocators.map((a) => [
          a,
          ...h.probes.map(
            (p) => h.cells.find((c) => c.allocator === a && c.probe === p)?.outcome ?? "-",
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
