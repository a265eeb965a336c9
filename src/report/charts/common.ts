/** Pieces every chart spec shares: the look, the allocator scales, the legend toggle, captions. */
import type { Palette } from "../palette.js";

/** Value axis of the scaling charts: linear from zero (default) or logarithmic. */
export const CHART_SCALES = ["linear", "log"] as const;
export type ChartScale = (typeof CHART_SCALES)[number];

/** A Vega-Lite specification as plain JSON. */
export type VlSpec = Record<string, unknown>;

export interface ChartContext {
  palette: Palette;
  /** Caption lines (testbed, versions, date, runs per cell), one per testbed. */
  caption: string[];
  /** More than one testbed: charts become small multiples, one row or column per testbed. */
  multiTestbed: boolean;
  /** Workloads in plan order (the order of the panels). */
  workloads: string[];
}

export const FONT = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif";

/**
 * Characters per subtitle line: Vega sizes a chart by estimating text at 0.8 em per character,
 * so 76 characters of 11 px text keep the chart within a 700 px column.
 */
export const WRAP = 76;

/** Wrap text into lines of at most `width` characters at spaces. */
export function wrap(text: string, width = WRAP): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** Top-level settings: white background, fonts, a title and a subtitle ending with the caption. */
/**
 * Facets one panel per workload. One testbed: the panels wrap four to a row (sixteen side by side
 * would be unreadable); several testbeds: a grid of testbed rows by workload columns, so the same
 * workload lines up across machines.
 */
export function workloadFacet(
  ctx: ChartContext,
  testbeds: string[],
  rowHeader: Record<string, unknown> = {},
): VlSpec {
  const workload = { field: "workload", type: "nominal", title: null, sort: ctx.workloads };
  if (ctx.multiTestbed)
    return {
      facet: {
        column: workload,
        row: { field: "testbed", type: "nominal", title: null, sort: testbeds, ...rowHeader },
      },
    };
  return { facet: workload, columns: 2 };
}

/** Facet row per workload (in report order), its label left-aligned beside the row. */
export function workloadRows(ctx: ChartContext): VlSpec {
  return {
    field: "workload",
    type: "nominal",
    title: null,
    sort: ctx.workloads,
    header: { labelAngle: 0, labelAlign: "left" },
  };
}

/**
 * The layers of a ratio-with-interval chart: the reference rule at 1 (the baseline), the 95% CI
 * as a rule from `lower` to `upper`, and the estimate as a point (colour and shape per allocator).
 */
export function intervalLayers(
  ctx: ChartContext,
  o: {
    x: Record<string, unknown>;
    y: Record<string, unknown>;
    tooltip: unknown;
    estimate: string;
    strokeWidth: number;
    size: number;
  },
): VlSpec[] {
  const { x, y, tooltip } = o;
  return [
    {
      mark: { type: "rule", color: "#333", strokeDash: [4, 3] },
      encoding: { x: { datum: 1, ...x } },
    },
    {
      mark: { type: "rule", strokeWidth: o.strokeWidth },
      encoding: {
        y,
        x: { field: "lower", ...x },
        x2: { field: "upper" },
        color: colorEncoding(ctx),
        opacity: pickOpacity(),
        tooltip,
      },
    },
    {
      params: [pickParam()],
      mark: { type: "point", filled: true, size: o.size },
      encoding: {
        y,
        x: { field: o.estimate, ...x },
        color: colorEncoding(ctx),
        shape: shapeEncoding(ctx),
        opacity: pickOpacity(),
        tooltip,
      },
    },
  ];
}

export function topLevel(title: string, subtitle: string, ctx: ChartContext): VlSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    background: "white",
    padding: 12,
    title: {
      text: title,
      subtitle: [...wrap(subtitle), ...ctx.caption.flatMap((c) => wrap(c))],
      anchor: "start",
      fontSize: 15,
      subtitleFontSize: 11,
      subtitleColor: "#444",
      offset: 12,
    },
    config: {
      font: FONT,
      axis: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: "normal", grid: true },
      header: { labelFontSize: 12, titleFontSize: 12, labelFontWeight: "bold" },
      legend: {
        labelFontSize: 11,
        titleFontSize: 11,
        orient: "bottom",
        direction: "horizontal",
        columns: 4,
        symbolOpacity: 1,
        symbolSize: 80,
      },
      view: { stroke: "#ccc" },
    },
  };
}

export function colorEncoding(ctx: ChartContext): VlSpec {
  return {
    field: "allocator",
    type: "nominal",
    title: "allocator",
    scale: { domain: ctx.palette.domain, range: ctx.palette.colors },
  };
}

export function shapeEncoding(ctx: ChartContext): VlSpec {
  return {
    field: "allocator",
    type: "nominal",
    title: "allocator",
    scale: { domain: ctx.palette.domain, range: ctx.palette.shapes },
  };
}

export function dashEncoding(ctx: ChartContext): VlSpec {
  return {
    field: "allocator",
    type: "nominal",
    title: "allocator",
    scale: { domain: ctx.palette.domain, range: ctx.palette.dashes },
  };
}

/** Name of the legend-bound selection that toggles allocators in the HTML report. */
export const PICK = "pick";

/** The selection parameter: click (shift-click for more) an allocator in the legend. */
export function pickParam(): VlSpec {
  return { name: PICK, select: { type: "point", fields: ["allocator"] }, bind: "legend" };
}

/** Marks of unselected allocators fade out. */
export function pickOpacity(on = 1, off = 0.12): VlSpec {
  return { condition: { param: PICK, value: on, empty: true }, value: off };
}

export function threadsLabel(threads: number): string {
  return threads === 1 ? "1 thread" : `${threads} threads`;
}

/** Label of a panel: the thread count, prefixed by the testbed when there are several. */
export function panelLabel(ctx: ChartContext, testbed: string, threads: number): string {
  return ctx.multiTestbed ? `${testbed} · ${threadsLabel(threads)}` : threadsLabel(threads);
}

/** Sort key for panel labels: testbed order first, then threads. */
export function panelSort(
  ctx: ChartContext,
  testbeds: readonly string[],
  threads: readonly number[],
): string[] {
  const sorted = [...new Set(threads)].sort((a, b) => a - b);
  return ctx.multiTestbed
    ? testbeds.flatMap((t) => sorted.map((n) => panelLabel(ctx, t, n)))
    : sorted.map((n) => panelLabel(ctx, "", n));
}

export function ratioFormat(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** Runs too few for a median's 95% CI: "single run" or "no CI: 3 runs". */
export function noIntervalText(n: number): string {
  return n === 1 ? "single run" : `no CI: ${n} runs`;
}

/**
 * What a chart's interval bars are, in words, for rows that may or may not have one: the method
 * where some do, the run counts where some do not, never a bar that was not computed.
 */
export function runIntervalText(
  rows: readonly { n: number; lower: number | null; upper: number | null }[],
): string {
  const without = rows.filter((r) => r.lower === null || r.upper === null);
  const counts = [...new Set(without.map((r) => r.n))].sort((a, b) => a - b);
  const few =
    counts.length === 1 && counts[0] === 1
      ? "a single run per cell"
      : `too few runs (${counts.join(", ")} per cell; an interval needs 6)`;
  const method =
    "the bar is the 95% confidence interval of the median over the runs (distribution-free, from order statistics)";
  if (without.length === 0) return `${capitalise(method)}.`;
  if (without.length === rows.length) return `No interval: ${few}.`;
  return `${capitalise(method)}; no bar where there are ${few}.`;
}

/** Tooltip text of a run interval. */
export function runIntervalTooltip(
  r: { n: number; lower: number | null; upper: number | null },
  format: (x: number) => string,
): string {
  return r.lower === null || r.upper === null
    ? noIntervalText(r.n)
    : `${format(r.lower)} to ${format(r.upper)}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
