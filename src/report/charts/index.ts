/** Every chart of a report, in reading order, from the model. Charts without data are left out. */
import type { DescriptiveModel, RatioRow, ReportModel } from "../model.js";
import { clipLabel, LABEL_MAX, showControls } from "../../util/text.js";
import { paletteFor } from "../palette.js";
import { architecturesChartSpec } from "./architectures.js";
import { wrap, type ChartContext, type ChartScale, type VlSpec } from "./common.js";
import { distributionChartSpec } from "./distribution.js";
import { hardeningChartSpec } from "./hardening.js";
import { latencyChartSpec } from "./latency.js";
import { overheadChartSpec, overheadClip } from "./overhead.js";
import { ratioChartSpec } from "./ratio.js";
import { scalingChartSpec } from "./scaling.js";
import { summaryChartSpec } from "./summary.js";
import { timelineChartSpec } from "./timeline.js";

export type ChartId =
  | "focus"
  | "summary"
  | "time-ratio"
  | "scaling"
  | "rss-ratio"
  | "rss-timeline"
  | "distribution"
  | "latency"
  | "memory-overhead"
  | "hardening"
  | "architectures";

export interface ChartDef {
  /** File name of the chart: its kind, with "-2" etc. when the kind is split into parts. */
  id: string;
  kind: ChartId;
  /** Part of a chart split by workload so that each fits a blog column (see {@link splitParts}). */
  part?: {
    index: number;
    count: number;
    workloads: string[];
    /** The part's share of the kind's estimated height: of its PNG pixel budget too. */
    share: number;
  };
  /** Heading in the reports. */
  title: string;
  /** One sentence for alt text and the Markdown. */
  alt: string;
  spec: VlSpec;
}

/** A testbed's caption is cut beyond this (a real one is about 200 characters). */
const CAPTION_MAX = 600;

export function chartContext(model: DescriptiveModel): ChartContext {
  const multi = model.testbeds.length > 1;
  return {
    palette: paletteFor(model.allocators),
    // Bounded: its parts come from the results file, and every wrapped line is drawn.
    caption: model.testbeds.map((t) =>
      clipLabel(showControls(multi ? `${t.label}: ${t.caption}` : t.caption), CAPTION_MAX),
    ),
    multiTestbed: multi,
    workloads: [...new Set(model.testbeds.flatMap((t) => t.workloads))],
  };
}

/**
 * What rendering each chart costs relative to the others (CPU seconds of Vega and resvg for the
 * 1,000-cell report of `npm run perf:report`, on one thread). Render workers take the costliest
 * waiting chart first, so that none of the long ones is left to render alone at the end; the
 * weights change the order of rendering only, never a chart.
 */
export const RENDER_COST: Readonly<Record<ChartId, number>> = {
  distribution: 2.6,
  // One heat map of workloads x thread counts.
  focus: 0.2,
  latency: 1.8,
  "time-ratio": 1.7,
  "rss-ratio": 1.7,
  "rss-timeline": 1.3,
  scaling: 1.1,
  // Faceted by workload like the ratio charts, per testbed (not in that report).
  architectures: 1.7,
  "memory-overhead": 0.5,
  // A heat map of workloads x allocators (not in that report).
  hardening: 0.3,
  summary: 0.2,
};

/** What rendering a chart costs: its kind's weight, shared among the kind's parts. */
export function renderCost(chart: Pick<ChartDef, "kind" | "part">): number {
  return RENDER_COST[chart.kind] * (chart.part?.share ?? 1);
}

/**
 * The share of a whole chart's PNG pixel budget (render.ts, PNG_MAX_PIXELS) a chart gets: the
 * parts of a split chart share one budget by their estimated heights, so splitting a very large
 * chart makes its pixels no more than drawing it whole (each part at 1x at least).
 */
export function pixelShareOf(chart: Pick<ChartDef, "part">): number {
  return chart.part?.share ?? 1;
}

/**
 * The spec with every string longer than a label can usefully be cut by {@link clipLabel}, and
 * every control or bidi character shown as an escape: the same name always becomes the same
 * label, so the data, the scales' domains and the palette still match. Rendering and
 * rasterising a label takes time well beyond its length (a 64 KB name took minutes as PNG).
 */
function clipLabels<T>(value: T, seen = new Map<string, string>()): T {
  if (typeof value === "string") {
    if (value.length <= LABEL_MAX) return showControls(value) as T;
    // A long name is in many rows of the data: cut it once.
    let label = seen.get(value);
    if (label === undefined) seen.set(value, (label = showControls(clipLabel(value))));
    return label as T;
  }
  if (Array.isArray(value)) return value.map((v) => clipLabels(v, seen)) as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = clipLabels(v, seen);
    return out as T;
  }
  return value;
}

/** The charts' reading order. */
const CHART_ORDER: readonly ChartId[] = [
  "focus",
  "summary",
  "time-ratio",
  "scaling",
  "rss-ratio",
  "rss-timeline",
  "distribution",
  "latency",
  "memory-overhead",
  "hardening",
  "architectures",
];

/** Every chart of the report, in reading order. */
export function buildCharts(model: ReportModel, options: ChartOptions = {}): ChartDef[] {
  return inReadingOrder([
    ...buildDescriptiveCharts(model, options),
    ...buildComparisonCharts(model),
  ]);
}

/** Reading order of the kinds; the parts of one kind stay in order (the sort is stable). */
export function inReadingOrder(charts: ChartDef[]): ChartDef[] {
  return [...charts].sort((a, b) => CHART_ORDER.indexOf(a.kind) - CHART_ORDER.indexOf(b.kind));
}

/** Options of the charts that are not in the results: how to draw them. */
export interface ChartOptions {
  /** Value axis of the scaling chart (default linear from zero). */
  scale?: ChartScale;
}

/**
 * Height (px at scale 1) a chart's panels may take before it is split by workload into parts,
 * so that each part reads in a blog column without endless scrolling (about two screens).
 */
export const MAX_PANELS_HEIGHT = 1400;

/**
 * Workloads in groups whose estimated panel heights add up to at most {@link MAX_PANELS_HEIGHT}
 * (one group when all fit; a workload taller than that alone is a group of its own).
 */
export function splitParts(
  workloads: readonly string[],
  heightOf: (workload: string) => number,
  max = MAX_PANELS_HEIGHT,
): string[][] {
  const parts: string[][] = [];
  let current: string[] = [];
  let used = 0;
  for (const w of workloads) {
    const h = heightOf(w);
    if (h <= 0) continue;
    if (current.length > 0 && used + h > max) {
      parts.push(current);
      current = [];
      used = 0;
    }
    current.push(w);
    used += h;
  }
  if (current.length > 0) parts.push(current);
  // Even parts rather than full ones and a small last one.
  if (parts.length > 1) {
    const kept = workloads.filter((w) => heightOf(w) > 0);
    const size = Math.ceil(kept.length / parts.length);
    const even: string[][] = [];
    for (let i = 0; i < kept.length; i += size) even.push(kept.slice(i, i + size));
    const fits = even.every((p) => p.length === 1 || p.reduce((a, w) => a + heightOf(w), 0) <= max);
    if (fits) return even;
  }
  return parts;
}

/** Estimated panel heights per workload of each splittable chart (px at scale 1). */
const PANEL_HEIGHT = {
  // Two panels to a row, one per thread count (and testbed); a 22 px row per allocator.
  distribution: (cells: number, allocators: number) =>
    Math.ceil(cells / 2) * (22 * allocators + 45),
  // Two panels to a row, one per operation (and testbed), 160 px high.
  latency: (panels: number) => Math.ceil(panels / 2) * 270,
  // One heat map per workload: a row per allocator, up to 44 px with its interval.
  ratio: (allocators: number) => 44 * allocators + 40,
  // One row per workload, a 20 px row per allocator.
  overhead: (allocators: number) => 20 * allocators + 40,
  // Two panels to a row, 170 px high.
  grid: () => 125,
} as const;

function collector(ctx: ChartContext): {
  charts: ChartDef[];
  add: (id: ChartId, title: string, alt: string, spec: VlSpec) => void;
  addParts: <R extends { workload: string }>(
    id: ChartId,
    title: string,
    alt: string,
    rows: R[],
    heightOf: (rows: R[]) => number,
    build: (rows: R[], ctx: ChartContext) => VlSpec,
    /** Workloads drawn even without rows (failed cells only). */
    also?: readonly string[],
  ) => void;
} {
  const charts: ChartDef[] = [];
  return {
    charts,
    add: (id, title, alt, spec) =>
      charts.push({ id, kind: id, title, alt, spec: clipLabels(spec) }),
    addParts: (id, title, alt, rows, heightOf, build, also = []) => {
      const byWorkload = new Map<string, typeof rows>();
      for (const r of rows) {
        const list = byWorkload.get(r.workload);
        if (list) list.push(r);
        else byWorkload.set(r.workload, [r]);
      }
      const order = [
        ...ctx.workloads.filter((w) => byWorkload.has(w) || also.includes(w)),
        ...[...byWorkload.keys()].filter((w) => !ctx.workloads.includes(w)),
      ];
      const parts = splitParts(order, (w) => heightOf(byWorkload.get(w) ?? []));
      if (parts.length <= 1) {
        charts.push({ id, kind: id, title, alt, spec: clipLabels(build(rows, ctx)) });
        return;
      }
      const heights = parts.map((p) =>
        p.reduce((sum, w) => sum + heightOf(byWorkload.get(w) ?? []), 0),
      );
      const total = heights.reduce((a, b) => a + b, 0);
      for (const [i, workloads] of parts.entries()) {
        const share = total > 0 ? (heights[i] as number) / total : 1 / parts.length;
        const part = { index: i + 1, count: parts.length, workloads, share };
        const spec = build(
          workloads.flatMap((w) => byWorkload.get(w) ?? []),
          { ...ctx, workloads },
        );
        const label = `${part.index} of ${part.count}: ${workloads.join(", ")}`;
        // Said first in the subtitle: a longer title would widen the chart past the column.
        const head = spec.title as { subtitle?: string[] } | undefined;
        if (head?.subtitle)
          head.subtitle = [
            ...wrap(`Part ${part.index} of ${part.count} (by workload): ${workloads.join(", ")}.`),
            ...head.subtitle,
          ];
        charts.push({
          id: `${id}-${part.index}`,
          kind: id,
          part,
          title: `${title}, ${label}`,
          alt: `${alt} Part ${label}.`,
          spec: clipLabels(spec),
        });
      }
    },
  };
}

function count<R>(rows: R[], key: (r: R) => string): number {
  return new Set(rows.map(key)).size;
}

/** The charts that need the comparisons against the baseline (see addComparisons). */
export function buildComparisonCharts(model: ReportModel): ChartDef[] {
  const ctx = chartContext(model);
  const tbs = model.testbeds;
  const testbeds = tbs.map((t) => t.label);
  const baselines = tbs.map((t) => t.baseline);
  const { charts, add, addParts } = collector(ctx);
  const failed = tbs.flatMap((t) => t.failures.map((f) => ({ ...f, testbed: t.label })));
  const focus = model.focus;
  if (focus) {
    const rows = tbs.flatMap((t) =>
      t.timeRatios.filter((r) => r.allocator === focus.candidate && r.against === focus.baseline),
    );
    if (rows.length > 0)
      add(
        "focus",
        `${focus.candidate} against ${focus.baseline}`,
        `Time of ${focus.candidate} against ${focus.baseline} per workload and thread count, with the number and its direction in every cell.`,
        ratioChartSpec(
          rows,
          {
            metric: "time",
            baselines: [focus.baseline],
            testbeds,
            failed: failed.filter((f) => f.allocator === focus.candidate),
            focus: {
              candidate: focus.candidate,
              title: `Time of ${focus.candidate} against ${focus.baseline}`,
            },
          },
          ctx,
        ),
      );
  }
  const summary = tbs.flatMap((t) => t.summary);
  if (summary.length > 0)
    add(
      "summary",
      "Summary",
      "Geometric mean time and peak RSS ratio per allocator with 95% CIs.",
      summaryChartSpec(summary, { testbeds, baselines }, ctx),
    );
  const ratioHeight = (rows: RatioRow[]): number =>
    PANEL_HEIGHT.ratio(count(rows, (r) => r.allocator));
  // Failed cells of a part's workloads only: the heat map draws them as cells.
  const failedIn = (c: ChartContext): typeof failed =>
    failed.filter((f) =>
      c.workloads.some((w) => w === f.workload || w.startsWith(`${f.workload}[`)),
    );
  // A workload whose cells all failed has no ratio, but its failed cells are drawn.
  const failedWorkloads = ctx.workloads.filter((w) =>
    failed.some((f) => w === f.workload || w.startsWith(`${f.workload}[`)),
  );
  const time = tbs.flatMap((t) => t.timeRatios);
  if (time.length > 0)
    addParts(
      "time-ratio",
      "Time relative to the baseline",
      "Time against the baseline as a heat map: one cell per workload, thread count and allocator, with the ratio and its direction written in it.",
      time,
      ratioHeight,
      (rows, c) =>
        ratioChartSpec(rows, { metric: "time", baselines, testbeds, failed: failedIn(c) }, c),
      failedWorkloads,
    );
  const rss = tbs.flatMap((t) => t.rssRatios);
  if (rss.length > 0)
    addParts(
      "rss-ratio",
      "Peak RSS relative to the baseline",
      "Peak RSS against the baseline as a heat map: one cell per workload, thread count and allocator, with the ratio and its direction written in it.",
      rss,
      ratioHeight,
      (rows, c) =>
        ratioChartSpec(rows, { metric: "peak RSS", baselines, testbeds, failed: failedIn(c) }, c),
      failedWorkloads,
    );
  if (tbs.length > 1) {
    const rows = tbs.flatMap((t) => t.timeRatios.filter((r) => r.threads === t.detailThreads));
    if (rows.length > 0)
      add(
        "architectures",
        "Testbeds side by side",
        "Time ratio per workload and allocator on each testbed, side by side.",
        architecturesChartSpec(rows, { testbeds, baselines }, ctx),
      );
  }
  return charts;
}

/** The charts of the runs themselves, which need no comparisons (a {@link DescriptiveModel}). */
export function buildDescriptiveCharts(
  model: DescriptiveModel,
  options: ChartOptions = {},
): ChartDef[] {
  const ctx = chartContext(model);
  const tbs = model.testbeds;
  const testbeds = tbs.map((t) => t.label);
  const detail = tbs.map((t) => t.detailThreads);
  const { charts, add, addParts } = collector(ctx);
  // With several testbeds these charts put workloads side by side: splitting does not shorten them.
  const gridHeight = (): number => (ctx.multiTestbed ? 0 : PANEL_HEIGHT.grid());
  const single = <R>(rows: R[]): number => (rows.length > 0 ? 1 : 0);
  const throughput = tbs.flatMap((t) => t.throughput);
  const cpus = Object.fromEntries(tbs.map((t) => [t.label, t.cpus]));
  if (throughput.length > 0)
    (ctx.multiTestbed ? addWhole : addParts)(
      "scaling",
      "Scaling with threads",
      "Median throughput against thread count per allocator, with 95% CI bands where the runs allow one.",
      throughput,
      gridHeight,
      (rows, c) =>
        scalingChartSpec(
          rows,
          { testbeds, cpus, ...(options.scale ? { scale: options.scale } : {}) },
          c,
        ),
    );
  const timelines = tbs.flatMap((t) => t.timelines);
  if (timelines.length > 0)
    (ctx.multiTestbed ? addWhole : addParts)(
      "rss-timeline",
      "RSS over time",
      "Resident set size over time of a typical run per workload and allocator.",
      timelines,
      gridHeight,
      (rows, c) => timelineChartSpec(rows, { testbeds, threads: detail }, c),
    );
  const dist = tbs.flatMap((t) => t.distributions);
  if (dist.length > 0)
    addParts(
      "distribution",
      "Distribution of runs",
      dist.every((d) => d.style === "runs")
        ? "Every measured run per cell as a point over a box plot."
        : "Box plot of the measured runs per cell, with outlying runs as points.",
      dist,
      (rows) =>
        PANEL_HEIGHT.distribution(
          count(rows, (r) => `${r.testbed}\0${r.threads}`),
          count(rows, (r) => r.allocator),
        ),
      (rows, c) => distributionChartSpec(rows, { testbeds, whole: dist }, c),
    );
  const latency = tbs.flatMap((t) => t.latency);
  if (latency.length > 0)
    addParts(
      "latency",
      "Latency percentiles",
      "Percentiles of single malloc and free call latencies per allocator, log scale.",
      latency,
      (rows) => PANEL_HEIGHT.latency(count(rows, (r) => `${r.testbed}\0${r.op}`)),
      (rows, c) => latencyChartSpec(rows, { testbeds, threads: detail }, c),
    );
  const overhead = tbs.flatMap((t) => t.overhead);
  // One axis end for every part, so the parts compare.
  const clip = overheadClip(overhead.map((r) => r.overhead));
  if (overhead.length > 0)
    (ctx.multiTestbed ? addWhole : addParts)(
      "memory-overhead",
      "Memory overhead",
      "Peak RSS divided by the peak bytes held live, per workload and allocator.",
      overhead,
      (rows) => PANEL_HEIGHT.overhead(count(rows, (r) => r.allocator)) * single(rows),
      (rows, c) => overheadChartSpec(rows, { testbeds, threads: detail, clip }, c),
    );
  function addWhole<R>(
    id: ChartId,
    title: string,
    alt: string,
    rows: R[],
    _heightOf: (rows: R[]) => number,
    build: (rows: R[], c: ChartContext) => VlSpec,
  ): void {
    add(id, title, alt, build(rows, ctx));
  }
  const hardening = tbs.flatMap((t) =>
    t.hardening ? [{ testbed: t.label, hardening: t.hardening }] : [],
  );
  if (hardening.length > 0)
    add(
      "hardening",
      "Hardening matrix",
      "Outcome of each heap-misuse probe per allocator.",
      hardeningChartSpec(hardening, ctx),
    );
  return charts;
}
