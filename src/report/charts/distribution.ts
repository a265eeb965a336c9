/** Every run per cell as a point over its box (quartiles, whiskers min-max), so noise is visible. */
import type { Distribution } from "../model.js";
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
  opts: { testbeds: string[] },
  ctx: ChartContext,
): VlSpec {
  const values: Record<string, unknown>[] = [];
  let thinned = 0;
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
    });
    if (d.points.length < d.n) thinned = Math.max(thinned, d.points.length);
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
    ...topLevel(
      "Distribution of runs per cell",
      `Each point is one measured run${thinned ? ` (at most ${thinned} per cell, evenly spread over the sorted runs)` : ""}; the box spans the quartiles, the tick is the median, the whisker spans min to max. Shorter is faster.`,
      ctx,
    ),
    data: { values },
    facet: {
      row: {
        field: "workload",
        type: "nominal",
        title: null,
        sort: ctx.workloads,
        header: { labelAngle: 0, labelAlign: "left" },
      },
      column: {
        field: "panel",
        type: "ordinal",
        title: null,
        sort: panelSort(
          ctx,
          opts.testbeds,
          rows.map((r) => r.threads),
        ),
      },
    },
    resolve: { scale: { x: "shared" } },
    spec: {
      width: 300,
      height: { step: 22 },
      layer: [
        {
          transform: [box],
          mark: { type: "rule", color: "#888" },
          encoding: {
            y,
            x: {
              field: "min",
              type: "quantitative",
              title: xTitle,
              scale: { type: "log" },
              axis: { format: "~s" },
            },
            x2: { field: "max" },
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
