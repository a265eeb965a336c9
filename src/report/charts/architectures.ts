/** Several testbeds side by side: each allocator's per-workload time ratio on each testbed. */
import type { RatioRow } from "../model.js";
import { axisLabelExpr, directed, directedInterval, TIME_WORDS } from "../../analysis/direction.js";
import {
  threadsLabel,
  intervalLayers,
  topLevel,
  type ChartContext,
  type VlSpec,
  workloadRows,
} from "./common.js";

/** `rows`: time ratios at each testbed's own highest thread count (as chosen by the caller). */
export function architecturesChartSpec(
  rows: RatioRow[],
  opts: { testbeds: string[]; baselines: string[] },
  ctx: ChartContext,
): VlSpec {
  const base = [...new Set(opts.baselines)].join(" / ");
  const values = rows.map((r) => ({
    testbed: r.testbed,
    workload: r.workload,
    allocator: r.allocator,
    threads: threadsLabel(r.threads),
    ratio: r.ratio,
    lower: r.lower ?? r.ratio,
    upper: r.upper ?? r.ratio,
    label: directed(r.ratio, TIME_WORDS),
    ci:
      r.lower !== null && r.upper !== null
        ? directedInterval(r.lower, r.upper, TIME_WORDS)
        : `no CI: ${r.n} runs`,
  }));
  const allocators = ctx.palette.domain.filter((a) => rows.some((r) => r.allocator === a));
  const y = { field: "allocator", type: "nominal", sort: allocators, title: null };
  const x = {
    type: "quantitative",
    scale: { type: "log", nice: false, padding: 8 },
    axis: {
      title: `time against ${base} (log scale)`,
      labelExpr: axisLabelExpr(TIME_WORDS),
      tickCount: 4,
      labelOverlap: "greedy",
    },
  };
  const tooltip = [
    { field: "testbed" },
    { field: "workload" },
    { field: "threads" },
    { field: "allocator" },
    { field: "label", title: "time ratio" },
    { field: "ci", title: "95% CI" },
  ];
  return {
    ...topLevel(
      "Testbeds side by side",
      `Time relative to ${base} on each testbed, at its highest thread count, with 95% CIs. Results from different testbeds are never pooled.`,
      ctx,
    ),
    data: { values },
    facet: {
      row: workloadRows(ctx),
      column: { field: "testbed", type: "nominal", title: null, sort: opts.testbeds },
    },
    spec: {
      width: 240,
      height: { step: 16 },
      layer: [
        ...intervalLayers(ctx, { x, y, tooltip, estimate: "ratio", strokeWidth: 2, size: 60 }),
      ],
    },
  };
}
