/** Resident set size over time per workload, one line per allocator (the launcher's samples). */
import type { TimelineRow } from "../model.js";
import {
  colorEncoding,
  dashEncoding,
  pickOpacity,
  pickParam,
  threadsLabel,
  topLevel,
  workloadFacet,
  type ChartContext,
  type VlSpec,
} from "./common.js";

export function timelineChartSpec(
  rows: TimelineRow[],
  opts: { testbeds: string[]; threads: number[] },
  ctx: ChartContext,
): VlSpec {
  const values = rows.map((r) => ({
    testbed: r.testbed,
    workload: r.workload,
    allocator: r.allocator,
    threads: r.threads,
    s: r.ms / 1000,
    mib: r.mib,
  }));
  const at = [...new Set(opts.threads)].map(threadsLabel).join(" / ");
  return {
    ...topLevel(
      `Resident set size over time, at ${at}`,
      "The run closest to its cell's median time; RSS sampled by the launcher from /proc/<pid>/statm.",
      ctx,
    ),
    data: { values },
    ...workloadFacet(ctx, opts.testbeds),
    resolve: { scale: { x: "independent", y: "independent" } },
    spec: {
      width: 240,
      height: 170,
      params: [pickParam()],
      mark: { type: "line", strokeWidth: 1.8, interpolate: "linear" },
      encoding: {
        x: { field: "s", type: "quantitative", title: "time since start (s)" },
        y: { field: "mib", type: "quantitative", title: "RSS (MiB)", scale: { zero: true } },
        color: colorEncoding(ctx),
        strokeDash: dashEncoding(ctx),
        opacity: pickOpacity(1, 0.1),
        tooltip: [
          { field: "workload" },
          { field: "allocator" },
          { field: "s", title: "time (s)", format: ".3f" },
          { field: "mib", title: "RSS (MiB)", format: ".2f" },
        ],
      },
    },
  };
}
