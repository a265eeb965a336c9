/** Throughput against thread count, one line per allocator, with the medians' 95% CI bands. */
import type { CellEstimate } from "../model.js";
import {
  colorEncoding,
  dashEncoding,
  pickOpacity,
  pickParam,
  shapeEncoding,
  topLevel,
  workloadFacet,
  type ChartContext,
  type VlSpec,
} from "./common.js";

export function scalingChartSpec(
  rows: CellEstimate[],
  opts: { testbeds: string[] },
  ctx: ChartContext,
): VlSpec {
  const values = rows.map((r) => ({
    testbed: r.testbed,
    workload: r.workload,
    threads: r.threads,
    allocator: r.allocator,
    mops: r.median / 1e6,
    lower: (r.lower ?? r.median) / 1e6,
    upper: (r.upper ?? r.median) / 1e6,
    n: r.n,
    ci:
      r.lower === null || r.upper === null
        ? "too few runs"
        : `${(r.lower / 1e6).toFixed(2)}-${(r.upper / 1e6).toFixed(2)}`,
  }));
  const threads = [...new Set(rows.map((r) => r.threads))].sort((a, b) => a - b);
  const x = {
    field: "threads",
    type: "quantitative",
    title: "threads",
    scale: {
      type: "log",
      base: 2,
      domain: [threads[0] ?? 1, threads[threads.length - 1] ?? 1],
      nice: false,
      padding: 14,
    },
    axis: { values: threads, format: "d", grid: false },
  };
  const tooltip = [
    { field: "workload" },
    ...(ctx.multiTestbed ? [{ field: "testbed" }] : []),
    { field: "allocator" },
    { field: "threads" },
    { field: "mops", title: "median Mop/s", format: ".2f" },
    { field: "ci", title: "95% CI (Mop/s)" },
    { field: "n", title: "runs" },
  ];
  return {
    ...topLevel(
      "Throughput against threads",
      "Median allocator operations per second of the measured region; the band is the 95% confidence interval of the median. Higher is better.",
      ctx,
    ),
    data: { values },
    ...workloadFacet(ctx, opts.testbeds),
    resolve: { scale: { y: "independent" } },
    spec: {
      width: 220,
      height: 180,
      encoding: { x },
      layer: [
        {
          mark: { type: "area", opacity: 0.1 },
          encoding: {
            y: {
              field: "lower",
              type: "quantitative",
              title: "throughput (Mop/s)",
              scale: { zero: true },
            },
            y2: { field: "upper" },
            color: colorEncoding(ctx),
            opacity: pickOpacity(0.1, 0.02),
          },
        },
        {
          mark: { type: "line", strokeWidth: 2 },
          encoding: {
            y: { field: "mops", type: "quantitative" },
            color: colorEncoding(ctx),
            strokeDash: dashEncoding(ctx),
            opacity: pickOpacity(),
          },
        },
        {
          params: [pickParam()],
          mark: { type: "point", filled: true, size: 55 },
          encoding: {
            y: { field: "mops", type: "quantitative" },
            color: colorEncoding(ctx),
            shape: shapeEncoding(ctx),
            opacity: pickOpacity(),
            tooltip,
          },
        },
      ],
    },
  };
}
