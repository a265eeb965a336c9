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
  type ChartScale,
  type VlSpec,
} from "./common.js";

/** "1.52M ops/s", "830k ops/s", "12.0 ops/s": three significant figures with k/M/G. */
export function opsText(x: number): string {
  const units: [number, string][] = [
    [1e9, "G"],
    [1e6, "M"],
    [1e3, "k"],
  ];
  for (const [f, u] of units) if (x >= f) return `${(x / f).toPrecision(3)}${u} ops/s`;
  return `${x.toPrecision(3)} ops/s`;
}

export function scalingChartSpec(
  rows: CellEstimate[],
  opts: { testbeds: string[]; cpus?: Record<string, number | null>; scale?: ChartScale },
  ctx: ChartContext,
): VlSpec {
  const log = opts.scale === "log";
  const cpusOf = (testbed: string): number | null => opts.cpus?.[testbed] ?? null;
  const firstOf = new Set<string>();
  const values = rows.map((r) => {
    const cpus = cpusOf(r.testbed);
    const key = `${r.testbed}\0${r.workload}`;
    const first = !firstOf.has(key);
    firstOf.add(key);
    return {
      testbed: r.testbed,
      workload: r.workload,
      threads: r.threads,
      allocator: r.allocator,
      ops: r.median,
      // Only a computed interval is drawn: no band where there is none.
      lower: r.lower,
      upper: r.upper,
      n: r.n,
      median: opsText(r.median),
      ci:
        r.lower === null || r.upper === null
          ? `too few runs: ${r.n}`
          : `${opsText(r.lower)} to ${opsText(r.upper)}`,
      oversubscribed: cpus !== null && r.threads > cpus ? `yes: ${cpus} CPUs` : "no",
      // Halfway (on the log axis) between the CPU count and twice it.
      shadeFrom: cpus === null ? null : cpus * Math.SQRT2,
      // One shading rectangle per panel.
      shade:
        first && cpus !== null && rows.some((o) => o.testbed === r.testbed && o.threads > cpus),
    };
  });
  const banded = rows.filter((r) => r.lower !== null && r.upper !== null && r.upper > r.lower);
  const counts = [...new Set(rows.map((r) => r.n))].sort((a, b) => a - b);
  const band =
    banded.length === rows.length
      ? "the band is the 95% confidence interval of the median."
      : banded.length > 0
        ? "the band is the 95% confidence interval of the median where the runs allow one; too few runs elsewhere."
        : `too few runs (${counts.join(", ")} per cell) for a confidence interval: medians only, no band.`;
  const oversubscribed = values.some((v) => v.shade);
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
    { field: "median", title: "median throughput" },
    { field: "ci", title: "95% CI" },
    { field: "n", title: "runs" },
    { field: "oversubscribed", title: "more threads than CPUs" },
  ];
  const maxThreads = threads[threads.length - 1] ?? 1;
  return {
    ...topLevel(
      "Throughput against threads",
      `Median allocator operations per second of the measured region; ${band} Higher is better.` +
        (log ? " Log scale: equal distances are equal ratios." : "") +
        (oversubscribed
          ? " Grey: more threads than the machine's CPUs (oversubscribed), time-sharing rather than scaling."
          : ""),
      ctx,
    ),
    data: { values },
    ...workloadFacet(ctx, opts.testbeds),
    resolve: { scale: { y: "independent" } },
    spec: {
      width: 220,
      height: 170,
      encoding: { x },
      layer: [
        ...(oversubscribed
          ? [
              {
                transform: [{ filter: "datum.shade" }],
                mark: { type: "rect", color: "#999", opacity: 0.18, clip: true },
                encoding: {
                  x: { field: "shadeFrom", type: "quantitative" },
                  x2: { datum: maxThreads * 1.3 },
                },
              },
            ]
          : []),
        ...(banded.length > 0
          ? [
              {
                transform: [{ filter: "datum.lower != null && datum.upper != null" }],
                mark: { type: "area", opacity: 0.1 },
                encoding: {
                  y: { field: "lower", type: "quantitative" },
                  y2: { field: "upper" },
                  color: colorEncoding(ctx),
                  opacity: pickOpacity(0.1, 0.02),
                },
              },
            ]
          : []),
        {
          mark: { type: "line", strokeWidth: 2 },
          encoding: {
            y: {
              field: "ops",
              type: "quantitative",
              title: log ? "throughput (ops/s, log scale)" : "throughput (ops/s)",
              scale: log ? { type: "log", zero: false } : { zero: true },
              axis: { format: ".3~s", tickCount: 5 },
            },
            color: colorEncoding(ctx),
            strokeDash: dashEncoding(ctx),
            opacity: pickOpacity(),
          },
        },
        {
          params: [pickParam()],
          mark: { type: "point", filled: true, size: 55 },
          encoding: {
            y: { field: "ops", type: "quantitative" },
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
