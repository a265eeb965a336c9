/**
 * Time or peak RSS relative to the baseline as a heat map with a number in every cell: one row
 * of cells per allocator (or per workload, for one focused pair), one column per thread count,
 * one panel per workload. Every cell fits a 700 px column however many there are.
 */
import type { RatioRow } from "../model.js";
import { directed, directedInterval, wordsFor } from "../../analysis/direction.js";
import { panelLabel, threadsLabel, topLevel, type ChartContext, type VlSpec } from "./common.js";

export interface RatioChartOptions {
  metric: "time" | "peak RSS";
  /** The baseline allocator (one per testbed; they are named in the subtitle). */
  baselines: string[];
  testbeds: string[];
  /** Cells whose runs all failed, drawn grey with the failure's kind instead of left blank. */
  failed?: {
    testbed: string;
    workload: string;
    threads: number;
    allocator: string;
    kind: string;
  }[];
  /** One pair only: rows are workloads, no panels (the focus chart). */
  focus?: { candidate: string; title: string };
}

/** Width of the plotting area, so that the whole chart fits a 700 px column. */
export const COLUMN_PLOT_WIDTH = 480;

/** Colours saturate at this factor either way. */
const SATURATION = 4;

export function ratioChartSpec(
  rows: RatioRow[],
  opts: RatioChartOptions,
  ctx: ChartContext,
): VlSpec {
  const time = opts.metric === "time";
  const words = wordsFor(opts.metric);
  const base = [...new Set(opts.baselines)].join(" / ");
  const over = (r: RatioRow): boolean => r.oversubscribed;
  const threads = [...new Set(rows.map((r) => r.threads))].sort((a, b) => a - b);
  const column = (r: RatioRow): string =>
    `${opts.focus ? threadsLabel(r.threads) : panelLabel(ctx, r.testbed, r.threads)}${over(r) ? " †" : ""}`;
  const columns = ctx.multiTestbed
    ? opts.testbeds.flatMap((tb) =>
        threads
          .filter((n) => rows.some((r) => r.testbed === tb && r.threads === n))
          .map((n) => column(rows.find((r) => r.testbed === tb && r.threads === n) as RatioRow)),
      )
    : threads.map((n) => column(rows.find((r) => r.threads === n) as RatioRow));
  const anyCi = rows.some((r) => r.lower !== null);
  const runs = [...new Set(rows.map((r) => r.n))].sort((a, b) => a - b);
  const values = rows.map((r) => {
    const text = directed(r.ratio, words);
    const [number, ...rest] = text.split(" ");
    const ci =
      r.lower !== null && r.upper !== null
        ? directedInterval(r.lower, r.upper, words)
        : `no CI: ${r.n} runs`;
    return {
      testbed: r.testbed,
      workload: r.workload,
      allocator: r.allocator,
      column: column(r),
      panel: panelLabel(ctx, r.testbed, r.threads),
      threads: r.threads,
      ratio: r.ratio,
      lower: r.lower,
      upper: r.upper,
      log: Math.max(-Math.log2(SATURATION), Math.min(Math.log2(SATURATION), Math.log2(r.ratio))),
      // Two lines: the number, then its direction; the mark of a cell without CI under it.
      lines: [
        `${number ?? ""}${r.bimodal ? " ‡" : ""}`,
        rest.join(" ").replace(/^: /, ""),
        ...(anyCi && r.lower === null ? [`no CI: ${r.n} runs`] : []),
      ],
      label: text,
      ci,
      medians: `${directed(r.medianRatio, words)} (ratio of medians)`,
      verdict:
        r.lower === null
          ? "no test: too few runs"
          : r.verdict === "same"
            ? "no significant difference"
            : r.verdict === "improved"
              ? words.below
              : words.above,
      oversubscribed: over(r) ? "yes: more threads than CPUs" : "no",
      dim: over(r),
      failed: false,
    };
  });
  const failedCells = (opts.failed ?? []).filter(
    (f) =>
      rows.some((r) => r.testbed === f.testbed && r.threads === f.threads) &&
      !rows.some(
        (r) =>
          r.testbed === f.testbed &&
          r.workload === f.workload &&
          r.threads === f.threads &&
          r.allocator === f.allocator,
      ),
  );
  for (const f of failedCells) {
    const sample = rows.find((r) => r.testbed === f.testbed && r.threads === f.threads) as RatioRow;
    values.push({
      testbed: f.testbed,
      workload: f.workload,
      allocator: f.allocator,
      column: column(sample),
      panel: panelLabel(ctx, f.testbed, f.threads),
      threads: f.threads,
      ratio: Number.NaN,
      lower: null,
      upper: null,
      oversubscribed: sample.oversubscribed ? "yes: more threads than CPUs" : "no",
      dim: false,
      log: 0,
      lines: ["failed:", f.kind],
      label: `failed: ${f.kind}`,
      ci: "-",
      medians: "-",
      verdict: `every run failed (${f.kind})`,
      failed: true,
    });
  }
  const rowField = opts.focus ? "workload" : "allocator";
  const rowSort = opts.focus
    ? ctx.workloads
    : ctx.palette.domain.filter((a) => rows.some((r) => r.allocator === a));
  const step = Math.max(56, Math.min(120, Math.floor(COLUMN_PLOT_WIDTH / columns.length)));
  const lineCount = anyCi && rows.some((r) => r.lower === null) ? 3 : 2;
  const tooltip = [
    { field: "workload", title: "workload" },
    ...(ctx.multiTestbed ? [{ field: "testbed" }] : []),
    { field: "panel", title: ctx.multiTestbed ? "testbed · threads" : "threads" },
    { field: "allocator", title: "allocator" },
    { field: "label", title: `${opts.metric} against ${base}` },
    { field: "ci", title: "95% CI" },
    { field: "medians", title: "medians" },
    { field: "verdict", title: "verdict" },
    { field: "oversubscribed", title: "oversubscribed" },
  ];
  const lowWord = time ? "faster" : "leaner";
  const highWord = time ? "slower" : "more memory";
  const notes = [
    anyCi
      ? "Hodges-Lehmann estimate of each cell against the baseline; hover for its 95% CI."
      : `Too few runs for a test or a confidence interval (${runs.join(", ")} per cell): each number is a point estimate, median against median (no CI).`,
    `Blue: ${lowWord}; red: ${highWord}; colours saturate at ${SATURATION}x ${words.below} and ${SATURATION}x ${words.above}.`,
    ...(rows.some(over)
      ? ["† columns (faded): more threads than the machine's CPUs (oversubscribed)."]
      : []),
    ...(rows.some((r) => r.bimodal)
      ? ["‡ the ratio of medians points the other way (bimodal runs)."]
      : []),
  ];
  const title = opts.focus
    ? opts.focus.title
    : time
      ? `Time against ${base}, per workload and thread count`
      : `Peak RSS against ${base}, per workload and thread count`;
  const cell = {
    width: { step },
    height: { step: lineCount === 3 ? 44 : 32 },
    encoding: {
      x: {
        field: "column",
        type: "ordinal",
        sort: columns,
        title: null,
        axis: {
          orient: "top",
          labelAngle: 0,
          labelFontSize: 11,
          domain: false,
          ticks: false,
          grid: false,
        },
      },
      y: {
        field: rowField,
        type: "nominal",
        sort: rowSort,
        title: null,
        axis: { labelFontSize: 11, domain: false, ticks: false, labelLimit: 160, grid: false },
      },
    },
    layer: [
      {
        transform: [{ filter: "datum.failed" }],
        mark: { type: "rect", stroke: "white", strokeWidth: 1, color: "#c8c8c8" },
        encoding: { tooltip },
      },
      {
        transform: [{ filter: "!datum.failed" }],
        mark: { type: "rect", stroke: "white", strokeWidth: 1 },
        encoding: {
          color: {
            field: "log",
            type: "quantitative",
            scale: {
              scheme: "redblue",
              reverse: true,
              domain: [-Math.log2(SATURATION), Math.log2(SATURATION)],
              domainMid: 0,
            },
            legend: null,
          },
          opacity: { condition: { test: "datum.dim", value: 0.35 }, value: 1 },
          tooltip,
        },
      },
      {
        // Vega sets the first line at the anchor: lift the block by half its extra lines.
        mark: {
          type: "text",
          fontSize: 11,
          lineHeight: 13,
          baseline: "middle",
          dy: -((lineCount - 1) * 13) / 2,
        },
        encoding: {
          text: { field: "lines" },
          color: {
            condition: { test: "abs(datum.log) > 1.3 && !datum.dim", value: "white" },
            value: "#111",
          },
          tooltip,
        },
      },
    ],
  };
  const spec = topLevel(title, notes.join(" "), ctx);
  if (opts.focus) return { ...spec, data: { values }, ...cell };
  return {
    ...spec,
    data: { values },
    facet: {
      row: {
        field: "workload",
        type: "nominal",
        title: null,
        sort: ctx.workloads,
        header: { labelAngle: 0, labelAlign: "left", labelAnchor: "start", labelOrient: "top" },
      },
    },
    spacing: 8,
    resolve: { scale: { x: "shared", y: "shared" } },
    spec: cell,
  };
}
