/** Geometric mean of each allocator's ratios against the baseline, with its 95% CI. */
import type { SummaryRow } from "../model.js";
import { axisLabelExpr, directed, directedInterval, wordsFor } from "../../analysis/direction.js";
import { pickOpacity, intervalLayers, topLevel, type ChartContext, type VlSpec } from "./common.js";

export function summaryChartSpec(
  rows: SummaryRow[],
  opts: { testbeds: string[]; baselines: string[] },
  ctx: ChartContext,
): VlSpec {
  const base = [...new Set(opts.baselines)].join(" / ");
  const values = rows.map((r) => ({
    testbed: r.testbed,
    metric: r.metric,
    allocator: r.allocator,
    geomean: r.geomean,
    lower: r.lower ?? r.geomean,
    upper: r.upper ?? r.geomean,
    cells: r.cells,
    label: directed(r.geomean, wordsFor(r.metric)),
    ci:
      r.lower === null || r.upper === null
        ? `no CI: ${r.cells} cell(s)`
        : directedInterval(r.lower, r.upper, wordsFor(r.metric)),
    left: r.oversubscribedCells,
  }));
  const allocators = ctx.palette.domain.filter((a) => rows.some((r) => r.allocator === a));
  const x = {
    type: "quantitative",
    scale: { type: "log", nice: false, padding: 10 },
    axis: {
      title: `geometric mean against ${base} (log scale)`,
      labelExpr: axisLabelExpr({ below: "less", above: "more" }),
      tickCount: 4,
      labelOverlap: "greedy",
    },
  };
  const y = { field: "allocator", type: "nominal", sort: allocators, title: null };
  const tooltip = [
    ...(ctx.multiTestbed ? [{ field: "testbed" }] : []),
    { field: "metric" },
    { field: "allocator" },
    { field: "label", title: "geometric mean ratio" },
    { field: "ci", title: "95% CI" },
    { field: "cells", title: "cells (workload × threads)" },
    { field: "left", title: "oversubscribed cells left out" },
  ];
  return {
    ...topLevel(
      `Summary: each allocator against ${base}`,
      `Geometric mean over the workloads and thread counts of the per-cell ratios, with a 95% t interval on the log ratios${rows.some((r) => r.oversubscribedCells > 0) ? "; thread counts above the machine's CPUs (oversubscribed) are left out" : ""}. Left of 1: less time (faster) or less memory than ${base}.`,
      ctx,
    ),
    data: { values },
    facet: {
      column: { field: "metric", type: "nominal", title: null, sort: ["time", "peak RSS"] },
      ...(ctx.multiTestbed
        ? {
            row: {
              field: "testbed",
              type: "nominal",
              title: null,
              sort: opts.testbeds,
              header: { labelAngle: 0, labelAlign: "left" },
            },
          }
        : {}),
    },
    resolve: { scale: { x: "shared" } },
    spec: {
      // Room for the numbers written beside the points at the ends of the axis.
      width: ctx.multiTestbed ? 180 : 190,
      height: { step: 22 },
      layer: [
        ...intervalLayers(ctx, { x, y, tooltip, estimate: "geomean", strokeWidth: 2.5, size: 90 }),
        {
          mark: { type: "text", dy: -12, fontSize: 11, color: "#222" },
          encoding: {
            y,
            x: { field: "geomean", ...x },
            text: { field: "label" },
            opacity: pickOpacity(),
          },
        },
      ],
    },
  };
}
