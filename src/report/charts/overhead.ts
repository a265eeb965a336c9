/** Memory overhead: peak RSS over the peak bytes the workload held live. */
import { quantileSorted } from "simple-statistics";
import type { OverheadRow } from "../model.js";
import {
  colorEncoding,
  noIntervalText,
  pickOpacity,
  pickParam,
  ratioFormat,
  runIntervalText,
  shapeEncoding,
  threadsLabel,
  topLevel,
  workloadFacet,
  workloadRows,
  type ChartContext,
  type VlSpec,
} from "./common.js";

/** Ticks of the log axis: 1, 2, 5, 10, 20, ... */
const NICE = [1, 2, 5];

function niceAbove(x: number): number {
  for (let decade = 1; ; decade *= 10) for (const n of NICE) if (n * decade >= x) return n * decade;
}

/**
 * The axis end beyond which overheads are outliers, or null when none is: a value more than
 * ten times the upper quartile of all overheads and beyond Tukey's fence on their logarithms
 * (a workload with a tiny live set, whose RSS is mostly the program itself). Such points are
 * drawn at the axis end with their number, so they neither squash the others nor disappear.
 */
export function overheadClip(values: readonly number[]): number | null {
  const sorted = values.filter((v) => v > 0 && Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length < 4) return null;
  const logs = sorted.map(Math.log);
  const q1 = quantileSorted(logs, 0.25);
  const q3 = quantileSorted(logs, 0.75);
  const fence = Math.max(q3 + 1.5 * (q3 - q1), q3 + Math.log(10));
  const inliers = sorted.filter((v) => Math.log(v) <= fence);
  if (inliers.length === sorted.length || inliers.length === 0) return null;
  return niceAbove((inliers[inliers.length - 1] as number) * 1.15);
}

export function overheadChartSpec(
  rows: OverheadRow[],
  opts: { testbeds: string[]; threads: number[]; clip?: number | null },
  ctx: ChartContext,
): VlSpec {
  const clip = opts.clip === undefined ? overheadClip(rows.map((r) => r.overhead)) : opts.clip;
  const at = (x: number): number => (clip !== null && x > clip ? clip : x);
  const values = rows.map((r) => {
    const clipped = clip !== null && r.overhead > clip;
    const number = `${ratioFormat(r.overhead)}x the live bytes`;
    return {
      testbed: r.testbed,
      workload: r.workload,
      allocator: r.allocator,
      overhead: r.overhead,
      // Where it is drawn: an outlier at the axis end, its number beside it.
      x: at(r.overhead),
      clipped,
      lower: r.lower === null ? null : at(r.lower),
      upper: r.upper === null ? null : at(r.upper),
      label: clipped ? `${number} →` : number,
      ci:
        r.lower === null || r.upper === null
          ? noIntervalText(r.n)
          : `${ratioFormat(r.lower)}-${ratioFormat(r.upper)}x the live bytes`,
      n: r.n,
      rssMiB: r.peakRssBytes / 1048576,
      liveMiB: r.peakLiveBytes / 1048576,
    };
  });
  const allocators = ctx.palette.domain.filter((a) => rows.some((r) => r.allocator === a));
  const y = { field: "allocator", type: "nominal", sort: allocators, title: null };
  const ticks = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000].filter(
    (t) => clip === null || t <= clip,
  );
  const x = {
    field: "x",
    type: "quantitative",
    title: "peak RSS / peak live bytes (×, log scale)",
    scale: {
      type: "log",
      nice: false,
      padding: 10,
      ...(clip !== null ? { domainMax: clip } : {}),
    },
    axis: { format: "~g", values: ticks },
  };
  const threads = [...new Set(opts.threads)].map(threadsLabel).join(" / ");
  const banded = rows.some((r) => r.lower !== null && r.upper !== null);
  const outliers = values.filter((v) => v.clipped).length;
  const tooltip = [
    { field: "workload" },
    { field: "allocator" },
    { field: "label", title: "overhead" },
    { field: "ci", title: "95% CI" },
    { field: "n", title: "runs" },
    { field: "rssMiB", title: "peak RSS (MiB)", format: ".2f" },
    { field: "liveMiB", title: "peak live (MiB)", format: ".2f" },
  ];
  return {
    ...topLevel(
      `Memory overhead, at ${threads}`,
      "Median over the runs of each run's peak resident set size divided by its peak of bytes the workload held allocated (counted by its instrumented calls). It includes the program itself; lower is better. " +
        runIntervalText(rows) +
        (outliers > 0
          ? ` ${outliers} value(s) beyond ${clip}x the live bytes (workloads whose live set is tiny next to the program) are drawn at the right edge as a triangle with their number and an arrow, so they do not squash the rest.`
          : ""),
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
        ...(banded
          ? [
              {
                transform: [{ filter: "datum.lower != null && datum.upper != null" }],
                mark: { type: "rule", strokeWidth: 2 },
                encoding: {
                  x: { field: "lower", type: "quantitative" },
                  x2: { field: "upper" },
                  color: colorEncoding(ctx),
                  opacity: pickOpacity(0.6, 0.08),
                },
              },
            ]
          : []),
        {
          transform: [{ filter: "!datum.clipped" }],
          params: [pickParam()],
          mark: { type: "point", filled: true, size: 70 },
          encoding: {
            color: colorEncoding(ctx),
            shape: shapeEncoding(ctx),
            opacity: pickOpacity(),
            tooltip,
          },
        },
        ...(outliers > 0
          ? [
              {
                transform: [{ filter: "datum.clipped" }],
                mark: { type: "point", filled: true, size: 90, shape: "triangle-right" },
                encoding: { color: colorEncoding(ctx), opacity: pickOpacity(), tooltip },
              },
              {
                transform: [{ filter: "datum.clipped" }],
                mark: { type: "text", dx: -9, align: "right", fontSize: 11 },
                encoding: { text: { field: "label" }, opacity: pickOpacity() },
              },
            ]
          : []),
        {
          transform: [{ filter: "!datum.clipped" }],
          mark: { type: "text", dx: 8, align: "left", fontSize: 11 },
          encoding: { text: { field: "label" }, opacity: pickOpacity() },
        },
      ],
    },
  };
}
