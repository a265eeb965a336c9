/** The hardening matrix: what each allocator did when a probe misused the heap. */
import type { Hardening } from "../extras.js";
import type { ProbeClass } from "../../hardening/verdict.js";
import { CLASS_LABEL } from "../../hardening/matrix.js";
import { topLevel, type ChartContext, type VlSpec } from "./common.js";

type ViewClass = ProbeClass | "flaky";

const ORDER: readonly ViewClass[] = [
  "diagnostic",
  "incidental",
  "flaky",
  "not-detected",
  "timeout",
  "error",
];

/** Legend entries: the class and what it means. */
const LEGEND: Record<ViewClass, string> = {
  diagnostic: "detected (diagnostic)",
  incidental: "died (no diagnostic)",
  flaky: "flaky (trials differ)",
  "not-detected": "not detected",
  timeout: "timeout",
  error: "error: no answer",
};

const FILL: Record<ViewClass, string> = {
  diagnostic: "#a6dcbc",
  incidental: "#d8e8a8",
  flaky: "#e6ccf0",
  "not-detected": "#f6b8a6",
  timeout: "#fde2a0",
  error: "#d9d9d9",
};

export function hardeningChartSpec(
  matrices: { testbed: string; hardening: Hardening }[],
  ctx: ChartContext,
): VlSpec {
  const values = matrices.flatMap(({ testbed, hardening }) =>
    hardening.cells.map((c) => ({
      testbed,
      allocator: c.allocator,
      probe: c.probe,
      outcome: LEGEND[c.class],
      // Flaky cells: how many trials ended each way, a line each.
      lines:
        c.class === "flaky"
          ? ["flaky:", ...c.counts.map((k) => `${k.count} ${CLASS_LABEL[k.class]}`)]
          : [c.label],
      label: c.label,
      trials: c.trials,
      detail: c.detail ?? "",
    })),
  );
  const trials = [...new Set(matrices.map((m) => m.hardening.trials))].sort((a, b) => a - b);
  const lineCount = Math.max(1, ...values.map((v) => v.lines.length));
  const allocators = ctx.palette.domain.filter((a) => values.some((v) => v.allocator === a));
  const probes = [...new Set(matrices.flatMap((m) => m.hardening.probes))];
  // Light fills so the black label reads on each, in a fixed order and colour per class.
  const outcomes = ORDER.map((c) => LEGEND[c]).filter((o) => values.some((v) => v.outcome === o));
  const range = ORDER.filter((c) => values.some((v) => v.outcome === LEGEND[c])).map(
    (c) => FILL[c],
  );
  const inner: VlSpec = {
    width: { step: Math.max(70, Math.min(165, Math.floor(520 / Math.max(1, probes.length)))) },
    height: { step: 15 + 13 * lineCount },
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
            legend: { columns: 3, labelLimit: 0 },
            scale: { domain: outcomes, range },
          },
          tooltip: [
            { field: "allocator" },
            { field: "probe" },
            { field: "label", title: "outcome" },
            { field: "trials" },
            { field: "detail", title: "most frequent ending" },
          ],
        },
      },
      {
        mark: { type: "text", fontSize: 11, color: "#111", lineHeight: 13 },
        encoding: { text: { field: "lines" } },
      },
    ],
  };
  const top = topLevel(
    "Hardening matrix",
    "What each allocator did when a probe misused the heap (double free, overflow, use after free...). " +
      (trials.length === 1 && trials[0] === 1
        ? "One trial per probe (a file written before probes were repeated): flakiness was not measured. "
        : `Each probe ran ${trials.join(" / ")} times per allocator; flaky: the trials ended differently, with how many ended each way. `) +
      "Detected: the allocator stopped the program on purpose (said so on stderr, aborted or exited non-zero); died: killed by a signal without a diagnostic (a crash on the corrupted heap, or a silent check such as musl's).",
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
