import { workloadLabel } from "../plan/schedule.js";
import { formatValue } from "./metrics.js";
import {
  GATE_POWER,
  inconclusiveRow,
  type CellStats,
  type ComparisonReport,
  type ComparisonRow,
} from "./comparisons.js";
import { csvCell, escapeMarkdown, showControls } from "../util/text.js";

export type ReportFormat = "text" | "markdown" | "json" | "csv";

function pct(x: number): string {
  return `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
}

function cell(stats: CellStats | null, report: ComparisonReport): string {
  if (!stats) return "-";
  const spread = Number.isFinite(stats.cv) ? ` ±${pct(stats.cv)}` : "";
  return `${formatValue(stats.median, report.metric)}${spread} (n=${stats.n})`;
}

function ratioText(row: ComparisonRow): string {
  const r = row.result;
  if (r.kind !== "compared") return "-";
  return `${r.ratio.toFixed(3)}x [${r.lower.toFixed(3)}, ${r.upper.toFixed(3)}]`;
}

function pText(row: ComparisonRow): string {
  const r = row.result;
  if (r.kind !== "compared" || !Number.isFinite(r.adjustedP)) return "-";
  return r.adjustedP < 0.001 ? "<0.001" : r.adjustedP.toFixed(3);
}

/** The minimum detectable effect, e.g. "±7.3%"; "-" when there is none (counted, no result). */
export function mdeText(row: ComparisonRow): string {
  const r = row.result;
  if (r.kind !== "compared" || r.mde === undefined) return "-";
  if (!Number.isFinite(r.mde)) return "any";
  return `±${(r.mde * 100).toFixed(1)}%`;
}

/**
 * "faster", "slower", "~" (no significant difference), "inconclusive" (with a threshold: the
 * cell could not show the change is within it), or why there is no verdict.
 */
export function verdictText(row: ComparisonRow, report: ComparisonReport): string {
  const r = row.result;
  switch (r.kind) {
    case "too-few-runs":
      return `too few runs (need ${r.runsNeeded})`;
    case "not-applicable":
      return `n/a: ${r.reason}`;
    case "compared": {
      if (r.verdict === "regressed") return report.metric.words.regressed;
      const unsure = report.threshold > 0 && inconclusiveRow(row, report) !== null;
      // "faster" that could not have seen a regression of the threshold's size is not a pass.
      if (r.verdict === "improved")
        return unsure
          ? `${report.metric.words.improved}, inconclusive`
          : report.metric.words.improved;
      return unsure ? "inconclusive" : "~";
    }
  }
}

/**
 * The comparisons the plan never ran, once per reason (not a row each): "program is linked
 * against glibc: z3, rocksdb (under musl, scudo-musl at t1)".
 */
export function notRunLines(report: Pick<ComparisonReport, "notRun">): string[] {
  const byReason = new Map<
    string,
    { workloads: Set<string>; allocators: Set<string>; threads: Set<number> }
  >();
  for (const row of report.notRun ?? []) {
    const g = byReason.get(row.reason) ?? {
      workloads: new Set<string>(),
      allocators: new Set<string>(),
      threads: new Set<number>(),
    };
    g.workloads.add(workloadLabel(row.workload, row.params));
    g.allocators.add(row.allocator);
    g.threads.add(row.threads);
    byReason.set(row.reason, g);
  }
  return [...byReason].map(
    ([reason, g]) =>
      `${reason}: ${[...g.workloads].join(", ")} (under ${[...g.allocators].join(", ")} at ${[...g.threads].map((t) => `t${t}`).join(", ")})`,
  );
}

export const NOT_RUN_TITLE = "not run, as planned (left out of the comparison):";

/** A benchstat-like mark: + improved, - regressed, ~ same, ? no verdict. */
export function verdictMark(row: ComparisonRow): string {
  const r = row.result;
  if (r.kind !== "compared") return "?";
  return r.verdict === "improved" ? "+" : r.verdict === "regressed" ? "-" : "~";
}

function header(report: ComparisonReport): string {
  const m = report.metric;
  const compared = report.rows.filter((r) => r.result.kind === "compared").length;
  if (report.tolerance !== undefined)
    return `metric: ${m.name} (${m.description}; ${m.better} is better); counted under callgrind: medians compared within ±${pct(report.tolerance)}, no test`;
  const tested = report.sequentialLooks
    ? `sequential: each CI at its look's share of alpha ${report.alpha} (Pocock-type spending over looks at ${report.sequentialLooks.join(", ")} rounds, Bonferroni over ${report.rows.length} cell(s))`
    : `${Math.round(report.level * 100)}% CIs; alpha ${report.alpha} after Benjamini-Hochberg over ${compared} comparison(s)`;
  return (
    `metric: ${m.name} (${m.description}; ${m.better} is better); ${tested}` +
    (report.threshold > 0 ? `; changes count beyond ±${pct(report.threshold)}` : "") +
    `; MDE: smallest change detectable at alpha ${report.alpha} with ${Math.round(GATE_POWER * 100)}% power`
  );
}

const COLUMNS = [
  "workload",
  "threads",
  "allocator",
  "vs",
  "baseline",
  "candidate",
  "ratio [CI]",
  "p (adj.)",
  "MDE",
  "verdict",
];

function rowCells(row: ComparisonRow, report: ComparisonReport): string[] {
  return [
    workloadLabel(row.workload, row.params),
    String(row.threads),
    row.allocator,
    row.against,
    cell(row.baseline, report),
    cell(row.candidate, report),
    ratioText(row),
    pText(row),
    mdeText(row),
    verdictText(row, report),
  ];
}

function summaryLines(report: ComparisonReport): string[][] {
  return report.summary.map((s) => [
    s.allocator,
    s.against,
    String(s.cells),
    `${s.geomean.toFixed(3)}x`,
    s.lower === null || s.upper === null ? "-" : `[${s.lower.toFixed(3)}, ${s.upper.toFixed(3)}]`,
  ]);
}

/** Cells on one line each, aligned; control characters in names are shown, not acted on. */
function table(cells: string[][], numeric: Set<number>): string[] {
  const rows = cells.map((r) => r.map(showControls));
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) =>
    r
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}

export function formatReport(report: ComparisonReport, format: ReportFormat): string {
  switch (format) {
    case "json":
      return JSON.stringify(report, null, 2);
    case "csv": {
      const head = [
        "workload",
        "threads",
        "allocator",
        "against",
        "metric",
        "baseline_n",
        "baseline_median",
        "candidate_n",
        "candidate_median",
        "ratio",
        "ratio_lower",
        "ratio_upper",
        "p",
        "p_adjusted",
        "mde",
        "verdict",
      ];
      const lines = report.rows.map((row) => {
        const r = row.result;
        const compared = r.kind === "compared" ? r : undefined;
        return [
          workloadLabel(row.workload, row.params),
          String(row.threads),
          row.allocator,
          row.against,
          report.metric.name,
          String(row.baseline?.n ?? 0),
          String(row.baseline?.median ?? ""),
          String(row.candidate?.n ?? 0),
          String(row.candidate?.median ?? ""),
          String(compared?.ratio ?? ""),
          String(compared?.lower ?? ""),
          String(compared?.upper ?? ""),
          String(compared?.p ?? ""),
          String(compared?.adjustedP ?? ""),
          String(compared?.mde ?? ""),
          compared ? compared.verdict : r.kind,
        ]
          .map(csvCell)
          .join(",");
      });
      return [head.join(","), ...lines].join("\n");
    }
    case "markdown": {
      const lines = [
        `_${escapeMarkdown(header(report))}_`,
        "",
        `| ${COLUMNS.join(" | ")} |`,
        `|${COLUMNS.map((_, i) => (i === 1 ? " ---: " : " --- ")).join("|")}|`,
      ];
      for (const row of report.rows)
        lines.push(`| ${rowCells(row, report).map(escapeMarkdown).join(" | ")} |`);
      if (report.summary.length > 0) {
        lines.push(
          "",
          "| allocator | vs | cells | geometric mean ratio | CI |",
          "| --- | --- | ---: | ---: | --- |",
        );
        for (const s of summaryLines(report))
          lines.push(`| ${s.map(escapeMarkdown).join(" | ")} |`);
      }
      const notRun = notRunLines(report);
      if (notRun.length > 0)
        lines.push(
          "",
          escapeMarkdown(NOT_RUN_TITLE),
          "",
          ...notRun.map((l) => `- ${escapeMarkdown(l)}`),
        );
      return lines.join("\n");
    }
    case "text": {
      const lines = [
        header(report),
        "",
        ...table([COLUMNS, ...report.rows.map((r) => rowCells(r, report))], new Set([1])),
      ];
      if (report.summary.length > 0) {
        lines.push("", "geometric mean of the ratios per allocator:");
        lines.push(
          ...table(
            [["allocator", "vs", "cells", "geomean", "CI"], ...summaryLines(report)],
            new Set([2, 3]),
          ),
        );
      }
      const notRun = notRunLines(report);
      if (notRun.length > 0)
        lines.push("", NOT_RUN_TITLE, ...notRun.map((l) => `  ${showControls(l)}`));
      return lines.join("\n");
    }
  }
}
