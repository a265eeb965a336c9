/** Every chart of a report, in reading order, from the model. Charts without data are left out. */
import type { DescriptiveModel, ReportModel } from "../model.js";
import { clipLabel, LABEL_MAX, showControls } from "../../util/text.js";
import { paletteFor } from "../palette.js";
import { architecturesChartSpec } from "./architectures.js";
import type { ChartContext, VlSpec } from "./common.js";
import { distributionChartSpec } from "./distribution.js";
import { hardeningChartSpec } from "./hardening.js";
import { latencyChartSpec } from "./latency.js";
import { overheadChartSpec } from "./overhead.js";
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
  id: ChartId;
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
export function buildCharts(model: ReportModel): ChartDef[] {
  return inReadingOrder([...buildDescriptiveCharts(model), ...buildComparisonCharts(model)]);
}

export function inReadingOrder(charts: ChartDef[]): ChartDef[] {
  return [...charts].sort((a, b) => CHART_ORDER.indexOf(a.id) - CHART_ORDER.indexOf(b.id));
}

function collector(): {
  charts: ChartDef[];
  add: (id: ChartId, title: string, alt: string, spec: VlSpec) => void;
} {
  const charts: ChartDef[] = [];
  return {
    charts,
    add: (id, title, alt, spec) => charts.push({ id, title, alt, spec: clipLabels(spec) }),
  };
}

/** The charts that need the comparisons against the baseline (see addComparisons). */
export function buildComparisonCharts(model: ReportModel): ChartDef[] {
  const ctx = chartContext(model);
  const tbs = model.testbeds;
  const testbeds = tbs.map((t) => t.label);
  const baselines = tbs.map((t) => t.baseline);
  const { charts, add } = collector();
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
  const time = tbs.flatMap((t) => t.timeRatios);
  if (time.length > 0)
    add(
      "time-ratio",
      "Time relative to the baseline",
      "Time against the baseline as a heat map: one cell per workload, thread count and allocator, with the ratio and its direction written in it.",
      ratioChartSpec(time, { metric: "time", baselines, testbeds, failed }, ctx),
    );
  const rss = tbs.flatMap((t) => t.rssRatios);
  if (rss.length > 0)
    add(
      "rss-ratio",
      "Peak RSS relative to the baseline",
      "Peak RSS against the baseline as a heat map: one cell per workload, thread count and allocator, with the ratio and its direction written in it.",
      ratioChartSpec(rss, { metric: "peak RSS", baselines, testbeds, failed }, ctx),
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
export function buildDescriptiveCharts(model: DescriptiveModel): ChartDef[] {
  const ctx = chartContext(model);
  const tbs = model.testbeds;
  const testbeds = tbs.map((t) => t.label);
  const detail = tbs.map((t) => t.detailThreads);
  const { charts, add } = collector();
  const throughput = tbs.flatMap((t) => t.throughput);
  if (throughput.length > 0)
    add(
      "scaling",
      "Scaling with threads",
      "Median throughput against thread count per allocator, with 95% CI bands where the runs allow one.",
      scalingChartSpec(
        throughput,
        { testbeds, cpus: Object.fromEntries(tbs.map((t) => [t.label, t.cpus])) },
        ctx,
      ),
    );
  const timelines = tbs.flatMap((t) => t.timelines);
  if (timelines.length > 0)
    add(
      "rss-timeline",
      "RSS over time",
      "Resident set size over time of a typical run per workload and allocator.",
      timelineChartSpec(timelines, { testbeds, threads: detail }, ctx),
    );
  const dist = tbs.flatMap((t) => t.distributions);
  if (dist.length > 0)
    add(
      "distribution",
      "Distribution of runs",
      dist.every((d) => d.style === "runs")
        ? "Every measured run per cell as a point over a box plot."
        : "Box plot of the measured runs per cell, with outlying runs as points.",
      distributionChartSpec(dist, { testbeds }, ctx),
    );
  const latency = tbs.flatMap((t) => t.latency);
  if (latency.length > 0)
    add(
      "latency",
      "Latency percentiles",
      "Percentiles of single malloc and free call latencies per allocator, log scale.",
      latencyChartSpec(latency, { testbeds, threads: detail }, ctx),
    );
  const overhead = tbs.flatMap((t) => t.overhead);
  if (overhead.length > 0)
    add(
      "memory-overhead",
      "Memory overhead",
      "Peak RSS divided by the peak bytes held live, per workload and allocator.",
      overheadChartSpec(overhead, { testbeds, threads: detail }, ctx),
    );
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
