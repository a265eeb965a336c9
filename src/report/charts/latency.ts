/** Per-call latency percentiles of malloc and free per allocator (sampled by the workloads). */
import { LATENCY_OPS } from "../extras.js";
import type { LatencyRow } from "../model.js";
import {
  colorEncoding,
  dashEncoding,
  pickOpacity,
  pickParam,
  shapeEncoding,
  threadsLabel,
  topLevel,
  type ChartContext,
  type VlSpec,
} from "./common.js";

export const PERCENTILES = ["p50", "p90", "p99", "p99.9", "max"];

export function latencyChartSpec(
  rows: LatencyRow[],
  opts: { testbeds: string[]; threads: number[] },
  ctx: ChartContext,
): VlSpec {
  const values = rows.map((r) => ({
    testbed: r.testbed,
    workload: r.workload,
    allocator: r.allocator,
    threads: r.threads,
    op: r.op,
    percentile: r.percentile,
    ns: r.ns,
    row: ctx.multiTestbed ? `${r.testbed} · ${r.op}` : r.op,
  }));
  const ops = LATENCY_OPS.filter((op) => rows.some((r) => r.op === op));
  const rowsSort = ctx.multiTestbed
    ? opts.testbeds.flatMap((t) => ops.map((op) => `${t} · ${op}`))
    : [...ops];
  const at = [...new Set(opts.threads)].map(threadsLabel).join(" / ");
  return {
    ...topLevel(
      `Latency of single allocator calls, at ${at}`,
      "Percentiles of sampled calls (about one in 256, timed with the monotonic clock), median over the measured runs. Log scale; lower is better.",
      ctx,
    ),
    data: { values },
    facet: {
      column: { field: "workload", type: "nominal", title: null, sort: ctx.workloads },
      row: {
        field: "row",
        type: "nominal",
        title: null,
        sort: rowsSort,
        header: { labelAngle: 0, labelAlign: "left" },
      },
    },
    resolve: { scale: { y: "independent" } },
    spec: {
      width: 200,
      height: 160,
      encoding: {
        x: {
          field: "percentile",
          type: "ordinal",
          sort: PERCENTILES,
          title: "percentile",
          axis: { labelAngle: 0 },
        },
        y: {
          field: "ns",
          type: "quantitative",
          title: "latency (ns, log scale)",
          scale: { type: "log" },
          axis: { format: "~s" },
        },
        color: colorEncoding(ctx),
      },
      layer: [
        {
          mark: { type: "line", strokeWidth: 1.6 },
          encoding: { strokeDash: dashEncoding(ctx), opacity: pickOpacity() },
        },
        {
          params: [pickParam()],
          mark: { type: "point", filled: true, size: 45 },
          encoding: {
            shape: shapeEncoding(ctx),
            opacity: pickOpacity(),
            tooltip: [
              { field: "workload" },
              { field: "allocator" },
              { field: "op" },
              { field: "percentile" },
              { field: "ns", title: "latency (ns)", format: ",.0f" },
            ],
          },
        },
      ],
    },
  };
}
