/** Per-call latency percentiles of malloc and free per allocator (sampled by the workloads). */
import { LATENCY_OPS } from "../extras.js";
import type { LatencyRow } from "../model.js";
import {
  colorEncoding,
  dashEncoding,
  pickOpacity,
  pickParam,
  runIntervalText,
  runIntervalTooltip,
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
  const ops = LATENCY_OPS.filter((op) => rows.some((r) => r.op === op));
  const workloads = ctx.workloads.filter((w) => rows.some((r) => r.workload === w));
  const prefix = (testbed: string): string => (ctx.multiTestbed ? `${testbed} · ` : "");
  // One panel per workload and operation that has samples (no empty panels in the grid).
  const panel = (r: { testbed: string; workload: string; op: string }): string =>
    `${prefix(r.testbed)}${r.workload} · ${r.op}`;
  const values = rows.map((r) => ({
    testbed: r.testbed,
    workload: r.workload,
    allocator: r.allocator,
    threads: r.threads,
    op: r.op,
    percentile: r.percentile,
    ns: r.ns,
    lower: r.lower,
    upper: r.upper,
    n: r.n,
    ci: runIntervalTooltip(r, (x) => `${Math.round(x).toLocaleString("en-US")} ns`),
    panel: panel(r),
  }));
  const banded = rows.some((r) => r.lower !== null && r.upper !== null);
  const panels = opts.testbeds.flatMap((testbed) =>
    workloads.flatMap((workload) =>
      ops
        .filter((op) =>
          rows.some((r) => r.testbed === testbed && r.workload === workload && r.op === op),
        )
        .map((op) => panel({ testbed, workload, op })),
    ),
  );
  const at = [...new Set(opts.threads)].map(threadsLabel).join(" / ");
  return {
    ...topLevel(
      `Latency of single allocator calls, at ${at}`,
      `Percentiles of sampled calls (about one in 256, timed with the monotonic clock), median over the measured runs. ${runIntervalText(rows)} Log scale; lower is better.`,
      ctx,
    ),
    data: { values },
    facet: { field: "panel", type: "nominal", title: null, sort: panels },
    columns: Math.min(2, Math.max(ops.length, 1)),
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
        // Each allocator a little apart at each percentile, so its interval bar stands clear.
        xOffset: { field: "allocator", type: "nominal", sort: ctx.palette.domain, title: null },
        color: colorEncoding(ctx),
      },
      layer: [
        ...(banded
          ? [
              {
                transform: [{ filter: "datum.lower != null && datum.upper != null" }],
                mark: { type: "rule", strokeWidth: 1.4 },
                encoding: {
                  y: { field: "lower", type: "quantitative" },
                  y2: { field: "upper" },
                  opacity: pickOpacity(0.7, 0.08),
                },
              },
            ]
          : []),
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
              { field: "ci", title: "95% CI" },
              { field: "n", title: "runs" },
            ],
          },
        },
      ],
    },
  };
}
