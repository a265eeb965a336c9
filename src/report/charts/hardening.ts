/** The hardening matrix: what each allocator did when a probe misused the heap. */
import type { Hardening } from "../extras.js";
import { topLevel, type ChartContext, type VlSpec } from "./common.js";

export function hardeningChartSpec(
  matrices: { testbed: string; hardening: Hardening }[],
  ctx: ChartContext,
): VlSpec {
  const values = matrices.flatMap(({ testbed, hardening }) =>
    hardening.cells.map((c) => ({
      testbed,
      allocator: c.allocator,
      probe: c.probe,
      outcome: c.outcome,
      detail: c.detail ?? "",
    })),
  );
  const allocators = ctx.palette.domain.filter((a) => values.some((v) => v.allocator === a));
  const probes = [...new Set(matrices.flatMap((m) => m.hardening.probes))];
  const outcomes = [...new Set(values.map((v) => v.outcome))].sort();
  const inner: VlSpec = {
    width: { step: 90 },
    height: { step: 26 },
    encoding: {
      x: {
        field: "probe",
        type: "nominal",
        sort: probes,
        title: "probe",
        axis: { labelAngle: -30, labelAlign: "right", orient: "top" },
      },
      y: { field: "allocator", type: "nominal", sort: allocators, title: null },
    },
    layer: [
      {
        mark: { type: "rect", stroke: "white", strokeWidth: 1 },
        encoding: {
          color: {
            field: "outcome",
            type: "nominal",
            title: "outcome",
            sort: outcomes,
            scale: { scheme: "set2" },
          },
          tooltip: [
            { field: "allocator" },
            { field: "probe" },
            { field: "outcome" },
            { field: "detail" },
          ],
        },
      },
      {
        mark: { type: "text", fontSize: 9, color: "#111" },
        encoding: { text: { field: "outcome" } },
      },
    ],
  };
  const top = topLevel(
    "Hardening matrix",
    "What each allocator did when a probe misused the heap (double free, overflow, use after free...). Each cell names the outcome.",
    ctx,
  );
  return ctx.multiTestbed
    ? {
        ...top,
        data: { values },
        facet: { row: { field: "testbed", type: "nominal", title: null } },
        spec: inner,
      }
    : { ...top, data: { values }, ...inner };
}
