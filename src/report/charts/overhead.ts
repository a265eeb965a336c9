/** Memory overhead: peak RSS over the peak bytes the workload held live. */
import type { OverheadRow } from "../model.js";
import {
  colorEncoding,
  pickOpacity,
  pickParam,
  ratioFormat,
  shapeEncoding,
  threadsLabel,
  topLevel,
  workloadFacet,
  workloadRows,
  type ChartContext,
  type VlSpec,
} from "./common.js";

export function overheadChartSpec(
  rows: OverheadRow[],
  opts: { testbeds: string[]; threads: number[] },
  ctx: ChartContext,
): VlSpec {
  const values = rows.map((r) => ({
    testbed: r.testbed,
    workload: r.workload,
    allocator: r.allocator,
    overhead: r.overhead,
    label: `${ratioFormat(r.overhead)}x the live bytes`,
    rssMiB: r.peakRssBytes / 1048576,
    liveMiB: r.peakLiveBytes / 1048576,
  }));
  const allocators = ctx.palette.domain.filter((a) => rows.some((r) => r.allocator === a));
  const y = { field: "allocator", type: "nominal", sort: allocators, title: null };
  const x = {
    field: "overhead",
    type: "quantitative",
    title: "peak RSS / peak live bytes (×, log scale)",
    scale: { type: "log", nice: false, padding: 10 },
    axis: { format: "~g", values: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] },
  };
  const at = [...new Set(opts.threads)].map(threadsLabel).join(" / ");
  return {
    ...topLevel(
      `Memory overhead, at ${at}`,
      "Median peak resident set size divided by the median peak of bytes the workload held allocated (counted by its instrumented calls). It includes the program itself; lower is better.",
      ctx,
    ),
    data: { values },
    // One testbed: one row per workload, so the numbers beside the points fit a 700 px column.
    ...(ctx.multiTestbed
      ? workloadFacet(ctx, opts.testbeds, { header: { labelAngle: 0, labelAlign: "left" } })
      : {
          facet: {
            row: {
              ...workloadRows(ctx),
              header: { labelAngle: 0, labelOrient: "top", labelAnchor: "start" },
            },
          },
        }),
    resolve: { scale: { x: "shared" } },
    spec: {
      width: ctx.multiTestbed ? 150 : 360,
      height: { step: 20 },
      encoding: { y, x },
      layer: [
        {
          params: [pickParam()],
          mark: { type: "point", filled: true, size: 70 },
          encoding: {
            color: colorEncoding(ctx),
            shape: shapeEncoding(ctx),
            opacity: pickOpacity(),
            tooltip: [
              { field: "workload" },
              { field: "allocator" },
              { field: "label", title: "overhead" },
              { field: "rssMiB", title: "peak RSS (MiB)", format: ".2f" },
              { field: "liveMiB", title: "peak live (MiB)", format: ".2f" },
            ],
          },
        },
        {
          mark: { type: "text", dx: 8, align: "left", fontSize: 11 },
          encoding: { text: { field: "label" }, opacity: pickOpacity() },
        },
      ],
    },
  };
}
