/** Write a report (Markdown, HTML, chart SVG/PNG/spec files) for one or several result sets. */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ResultsFile } from "../results/schema.js";
import {
  buildComparisonCharts,
  buildDescriptiveCharts,
  inReadingOrder,
  pixelShareOf,
  renderCost,
  type ChartDef,
} from "./charts/index.js";
import type { ChartScale } from "./charts/common.js";
import { buildDocument } from "./document.js";
import { renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";
import { addComparisons, buildDescriptiveModel } from "./model.js";
import { RenderPool, type RenderedChart } from "./render-pool.js";
import type { Focus } from "./select.js";
import { renderTerminal } from "./terminal.js";

export const REPORT_FORMATS = ["md", "html", "svg", "png", "terminal"] as const;
export type ReportFileFormat = (typeof REPORT_FORMATS)[number];

export interface ReportOptions {
  outDir: string;
  formats: ReportFileFormat[];
  /**
   * Chart renderer started by the caller (so its workers load Vega while the results load);
   * writeReport closes it. Default: one started here.
   */
  pool?: RenderPool;
  /** The comparison to open with: candidate against baseline (the sets' baseline). */
  focus?: Focus;
  /** Value axis of the scaling chart: linear from zero (default) or log. */
  scale?: ChartScale;
}

/** Whether a report in these formats draws charts (and so wants a {@link RenderPool}). */
export function needsCharts(formats: readonly ReportFileFormat[]): boolean {
  return formats.some((f) => f === "svg" || f === "png" || f === "md");
}

export interface ReportOutput {
  files: string[];
  terminal: string | null;
  timings: Record<string, number>;
}

export async function writeReport(
  sets: { results: ResultsFile; source: string; baseline: string }[],
  opts: ReportOptions,
): Promise<ReportOutput> {
  const timings: Record<string, number> = {};
  const time = async <T>(name: string, f: () => Promise<T> | T): Promise<T> => {
    const start = performance.now();
    try {
      return await f();
    } finally {
      timings[name] = (timings[name] ?? 0) + performance.now() - start;
    }
  };
  // Started first: the workers load Vega while the statistics run.
  const pool = needsCharts(opts.formats) ? (opts.pool ?? new RenderPool()) : null;
  if (!pool) await opts.pool?.close();
  try {
    return { ...(await writeReportWith(sets, opts, pool, time, timings)), timings };
  } finally {
    await pool?.close();
  }
}

async function writeReportWith(
  sets: { results: ResultsFile; source: string; baseline: string }[],
  opts: ReportOptions,
  pool: RenderPool | null,
  time: <T>(name: string, f: () => Promise<T> | T) => Promise<T>,
  timings: Record<string, number>,
): Promise<Omit<ReportOutput, "timings">> {
  const want = new Set(opts.formats);
  const wantSvg = want.has("svg") || want.has("md");
  const pngScale = want.has("png") || want.has("md") ? 2 : null;
  const rendered = new Map<ChartDef, Promise<RenderedChart>>();
  // Queued at once, the costliest first: with render workers they render side by side (each
  // worker takes the costliest chart waiting, RENDER_COST), and while this thread computes the
  // comparisons; without, one SVG after the other while earlier PNGs rasterise on libuv's pool.
  const queue = (charts: ChartDef[]): void => {
    if (!pool) return;
    for (const c of [...charts].sort((a, b) => renderCost(b) - renderCost(a))) {
      const chart = pool.render(c.spec, pngScale, renderCost(c), pixelShareOf(c));
      chart.catch(() => undefined); // awaited below, in order; not an unhandled rejection
      rendered.set(c, chart);
    }
  };
  // The charts of the runs themselves first, so they render while the comparisons (the costly
  // statistics) are computed.
  const descriptive = await time("model", () => buildDescriptiveModel(sets));
  const early = await time("specs", () =>
    buildDescriptiveCharts(descriptive, opts.scale ? { scale: opts.scale } : {}),
  );
  const chartsStart = performance.now();
  queue(early);
  const model = await time("comparisons", () => ({
    ...addComparisons(descriptive),
    ...(opts.focus ? { focus: opts.focus } : {}),
  }));
  const late = await time("specs", () => buildComparisonCharts(model));
  queue(late);
  const charts = inReadingOrder([...early, ...late]);
  const files: string[] = [];
  const fileFormats = ["md", "html", "svg", "png"].filter((f) => want.has(f as ReportFileFormat));
  if (fileFormats.length > 0) await mkdir(opts.outDir, { recursive: true });
  const chartDir = path.join(opts.outDir, "charts");
  // The documents need the charts' specs, not their renders: written while the workers render.
  const blocks = buildDocument(model, charts);
  const markdown = want.has("md") ? await time("md", () => renderMarkdown(blocks)) : null;
  const title =
    (model.focus ? `${model.focus.candidate} against ${model.focus.baseline}: ` : "") +
    `Malloc benchmark report: ${model.testbeds.map((t) => t.label).join(", ")}`;
  const html = want.has("html") ? await time("html", () => renderHtml(blocks, title)) : null;
  if (pool) {
    await mkdir(chartDir, { recursive: true });
    for (const chart of charts)
      await writeFile(
        path.join(chartDir, `${chart.id}.vl.json`),
        `${JSON.stringify(chart.spec, null, 2)}\n`,
      );
    // The renders are written in reading order as they arrive.
    for (const chart of charts) {
      const base = path.join(chartDir, chart.id);
      files.push(`${base}.vl.json`);
      const { svg, png } = await (rendered.get(chart) as Promise<RenderedChart>);
      if (wantSvg) {
        await writeFile(`${base}.svg`, svg);
        files.push(`${base}.svg`);
      }
      if (png) {
        await writeFile(`${base}.png`, png);
        files.push(`${base}.png`);
      }
    }
    // Wall time from queueing the first chart: rendering overlaps with the comparisons and with
    // writing the files.
    timings["charts (svg, png, files)"] = performance.now() - chartsStart;
  }
  if (markdown !== null) {
    const file = path.join(opts.outDir, "index.md");
    await writeFile(file, markdown);
    files.push(file);
  }
  if (html !== null) {
    const file = path.join(opts.outDir, "index.html");
    await writeFile(file, html);
    files.push(file);
  }
  const terminal = want.has("terminal") ? renderTerminal(model) : null;
  return { files, terminal };
}
