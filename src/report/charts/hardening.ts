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
  // Light fills so the black outcome label reads on each; known outcomes have fixed colours.
  const KNOWN: Record<string, string> = {
    detected: "#a6dcbc",
    "not-detected": "#f6b8a6",
    error: "#d9d9d9",
    timeout: "#fde2a0",
  };
  const SPARE = ["#c6d7f2", "#e6ccf0", "#f0e6c0"];
  const range = outcomes.map((o, i) => KNOWN[o] ?? (SPARE[i % SPARE.length] as string));
  const inner: VlSpec = {
    width: { step: Math.max(70, Math.min(165, Math.floor(520 / Math.max(1, probes.length)))) },
    height: { step: 28 },
    encoding: {
      x: {
        field: "probe",
        type: "nominal",
        sort: probes,
        title: null,
        axis: {
          // Below the matrix: multi-line labels grow downwards, away from the cells.
          orient: "bottom",
          labelAngle: 0,
          labelLimit: 0,
          labelFontSize: 11,
          // One word per line: long probe names side by side would collide.
          labelExpr: "split(datum.label, '-')",
          labelLineHeight: 13,
          grid: false,
          ticks: false,
          domain: false,
        },
      },
      y: {
        field: "allocator",
        type: "nominal",
        sort: allocators,
        title: null,
        axis: { grid: false, ticks: false, domain: false },
      },
    },
    layer: [
      {
        mark: { type: "rect", stroke: "white", strokeWidth: 2 },
        encoding: {
          color: {
            field: "outcome",
            type: "nominal",
            title: "outcome",
            sort: outcomes,
            scale: { domain: outcomes, range },
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
        mark: { type: "text", fontSize: 11, color: "#111" },
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
