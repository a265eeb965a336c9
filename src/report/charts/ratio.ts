/** Time or peak RSS relative to the baseline, per workload, thread count and allocator. */
import type { RatioRow } from "../model.js";
import {
  panelLabel,
  panelSort,
  ratioFormat,
  intervalLayers,
  topLevel,
  type ChartContext,
  type VlSpec,
  workloadRows,
} from "./common.js";

export interface RatioChartOptions {
  metric: "time" | "peak RSS";
  /** The baseline allocator (one per testbed; they are named in the subtitle). */
  baselines: string[];
  testbeds: string[];
}

export function ratioChartSpec(
  rows: RatioRow[],
  opts: RatioChartOptions,
  ctx: ChartContext,
): VlSpec {
  const time = opts.metric === "time";
  const base = [...new Set(opts.baselines)].join(" / ");
  const values = rows.map((r) => ({
    panel: panelLabel(ctx, r.testbed, r.threads),
    testbed: r.testbed,
    workload: r.workload,
    threads: r.threads,
    allocator: r.allocator,
    ratio: r.ratio,
    lower: r.lower,
    upper: r.upper,
    label: `${ratioFormat(r.ratio)}x`,
    ci: `${ratioFormat(r.lower)}-${ratioFormat(r.upper)}`,
    verdict:
      r.verdict === "same"
        ? "no significant difference"
        : time
          ? r.verdict === "improved"
            ? "faster"
            : "slower"
          : r.verdict === "improved"
            ? "leaner"
            : "fatter",
  }));
  const allocators = ctx.palette.domain.filter((a) => rows.some((r) => r.allocator === a));
  const x = {
    type: "quantitative",
    scale: { type: "log", nice: false, padding: 8 },
    axis: {
      title: time
        ? `time / ${base}'s (×, log scale; < 1 is faster)`
        : `peak RSS / ${base}'s (×, log scale; < 1 is leaner)`,
      format: "~g",
    },
  };
  const y = { field: "allocator", type: "nominal", sort: allocators, title: null };
  const tooltip = [
    { field: "workload", title: "workload" },
    { field: "panel", title: ctx.multiTestbed ? "testbed · threads" : "threads" },
    { field: "allocator", title: "allocator" },
    { field: "label", title: `${opts.metric} ratio vs ${base}` },
    { field: "ci", title: "95% CI" },
    { field: "verdict", title: "verdict" },
  ];
  return {
    ...topLevel(
      time
        ? `Time relative to ${base}, per workload and thread count`
        : `Peak RSS relative to ${base}, per workload and thread count`,
      `Hodges-Lehmann ratio of the ${time ? "measured-region time" : "peak resident set size"} with its 95% confidence interval (bar); the vertical line at 1 is ${base}.`,
      ctx,
    ),
    data: { values },
    facet: {
      row: workloadRows(ctx),
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
      width: 240,
      height: { step: 16 },
      layer: [
        ...intervalLayers(ctx, { x, y, tooltip, estimate: "ratio", strokeWidth: 2, size: 60 }),
      ],
    },
  };
}
