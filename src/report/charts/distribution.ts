/**
 * Every run per cell as a point over its box (quartiles, whiskers min-max), so noise is visible;
 * for a chart of very many cells (style "outliers", see {@link DistributionStyle}) the box has
 * Tukey whiskers and only the runs beyond them are points.
 */
import { TUKEY_FENCE, type Distribution, type DistributionStyle } from "../model.js";
import {
  colorEncoding,
  panelLabel,
  panelSort,
  pickOpacity,
  pickParam,
  shapeEncoding,
  topLevel,
  type ChartContext,
  type VlSpec,
} from "./common.js";

export function distributionChartSpec(
  rows: Distribution[],
  opts: {
    testbeds: string[];
    /**
     * Every row of the chart when `rows` are one part of it: the subtitle says why runs are drawn
     * as they are, which the model decided per testbed over all its cells, not per part.
     */
    whole?: Distribution[];
  },
  ctx: ChartContext,
): VlSpec {
  const values: Record<string, unknown>[] = [];
  // Whisker ends get their own fields only where some differ from min and max.
  const tukey = rows.some((r) => r.style === "outliers");
  for (const d of rows) {
    const key = {
      panel: panelLabel(ctx, d.testbed, d.threads),
      workload: d.workload,
      allocator: d.allocator,
    };
    values.push({
      ...key,
      kind: "box",
      n: d.n,
      min: d.min * 1e3,
      q1: d.q1 * 1e3,
      median: d.median * 1e3,
      q3: d.q3 * 1e3,
      max: d.max * 1e3,
      ...(tukey ? { low: d.whiskerLow * 1e3, high: d.whiskerHigh * 1e3 } : {}),
    });
    for (const p of d.points)
      values.push({ ...key, kind: "run", ms: p.seconds * 1e3, jitter: p.jitter });
  }
  const allocators = ctx.palette.domain.filter((a) => rows.some((r) => r.allocator === a));
  const y = { field: "allocator", type: "nominal", sort: allocators, title: null };
  const xTitle = "time of the measured region (ms, log scale)";
  const box = { filter: "datum.kind === 'box'" };
  const boxTooltip = [
    { field: "workload" },
    { field: "panel", title: ctx.multiTestbed ? "testbed · threads" : "threads" },
    { field: "allocator" },
    { field: "n", title: "runs" },
    { field: "median", title: "median (ms)", format: ".2f" },
    { field: "q1", title: "Q1 (ms)", format: ".2f" },
    { field: "q3", title: "Q3 (ms)", format: ".2f" },
    { field: "min", title: "min (ms)", format: ".2f" },
    { field: "max", title: "max (ms)", format: ".2f" },
  ];
  return {
    ...topLevel("Distribution of runs per cell", distributionSubtitle(opts.whole ?? rows), ctx),
    data: { values },
    // One panel per workload and thread count, two to a row: a 700 px column holds them.
    transform: [{ calculate: "datum.workload + ' · ' + datum.panel", as: "cell" }],
    facet: {
      field: "cell",
      type: "ordinal",
      title: null,
      sort: ctx.workloads.flatMap((w) =>
        panelSort(
          ctx,
          opts.testbeds,
          rows.map((r) => r.threads),
        ).map((p) => `${w} · ${p}`),
      ),
      header: { labelAngle: 0, labelAlign: "left", labelAnchor: "start" },
    },
    columns: 2,
    resolve: { scale: { x: "shared" } },
    spec: {
      width: 230,
      height: { step: 22 },
      layer: [
        {
          transform: [box],
          mark: { type: "rule", color: "#888" },
          encoding: {
            y,
            x: {
              field: tukey ? "low" : "min",
              type: "quantitative",
              title: xTitle,
              scale: { type: "log", nice: false, padding: 6 },
              axis: { format: "~s" },
            },
            x2: { field: tukey ? "high" : "max" },
          },
        },
        {
          transform: [box],
          mark: { type: "bar", size: 14, color: "#e8e8e8", stroke: "#888" },
          encoding: {
            y,
            x: { field: "q1", type: "quantitative" },
            x2: { field: "q3" },
            tooltip: boxTooltip,
          },
        },
        {
          transform: [{ filter: "datum.kind === 'run'" }],
          params: [pickParam()],
          mark: { type: "point", filled: true, size: 22 },
          encoding: {
            y,
            yOffset: { field: "jitter", type: "quantitative", scale: { domain: [-1, 1] } },
            x: { field: "ms", type: "quantitative" },
            color: colorEncoding(ctx),
            shape: shapeEncoding(ctx),
            opacity: pickOpacity(0.75, 0.08),
            tooltip: [{ field: "allocator" }, { field: "ms", title: "run (ms)", format: ".2f" }],
          },
        },
        {
          transform: [box],
          mark: { type: "tick", color: "black", thickness: 2, size: 16 },
          encoding: { y, x: { field: "median", type: "quantitative" }, tooltip: boxTooltip },
        },
      ],
    },
  };
}

/** What the chart draws, in words: it differs with the style of the cells (see the model). */
function distributionSubtitle(rows: Distribution[]): string {
  // The largest number of points drawn in a cell that has more to draw (0: none thinned).
  const thinnedTo = (style: DistributionStyle): number =>
    Math.max(
      0,
      ...rows
        .filter((d) => d.style === style)
        .filter((d) => d.points.length < (style === "runs" ? d.n : d.outliers))
        .map((d) => d.points.length),
    );
  const cap = (style: DistributionStyle, what: string): string => {
    const n = thinnedTo(style);
    return n ? ` (at most ${n} per cell, evenly spread over the sorted ${what})` : "";
  };
  const box = "the box spans the quartiles, the tick is the median";
  const runsText = `each point is one measured run${cap("runs", "runs")}; ${box}, the whisker spans min to max`;
  const tukey = rows.filter((r) => r.style === "outliers");
  const tukeyText = `${box}, the whiskers reach the furthest run within ${TUKEY_FENCE} × IQR of the box, and each point is a run beyond them${cap("outliers", "outliers")}`;
  if (tukey.length === 0) return `${capital(runsText)}. Shorter is faster.`;
  if (tukey.length === rows.length)
    return `Too many cells (${rows.length}) to draw every run: ${tukeyText}. Shorter is faster.`;
  const where = [...new Set(tukey.map((r) => r.testbed))].join(", ");
  return `${capital(runsText)}; on ${where} (too many cells to draw every run) ${tukeyText}. Shorter is faster.`;
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
