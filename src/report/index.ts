/** Write a report (Markdown, HTML, chart SVG/PNG/spec files) for one or several result sets. */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ResultsFile } from "../results/schema.js";
import { buildCharts } from "./charts/index.js";
import { buildDocument } from "./document.js";
import { renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";
import { buildModel } from "./model.js";
import { renderSvg, svgToPngAsync } from "./render.js";
import { renderTerminal } from "./terminal.js";

export const REPORT_FORMATS = ["md", "html", "svg", "png", "terminal"] as const;
export type ReportFileFormat = (typeof REPORT_FORMATS)[number];

export interface ReportOptions {
  outDir: string;
  formats: ReportFileFormat[];
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
  const want = new Set(opts.formats);
  const model = await time("model", () => buildModel(sets));
  const charts = await time("specs", () => buildCharts(model));
  const files: string[] = [];
  const fileFormats = ["md", "html", "svg", "png"].filter((f) => want.has(f as ReportFileFormat));
  if (fileFormats.length > 0) await mkdir(opts.outDir, { recursive: true });
  const chartDir = path.join(opts.outDir, "charts");
  const needCharts = want.has("svg") || want.has("png") || want.has("md");
  if (needCharts) {
    await mkdir(chartDir, { recursive: true });
    // PNGs rasterise off the main thread while the next chart's SVG renders.
    const pngs: Promise<void>[] = [];
    for (const chart of charts) {
      const base = path.join(chartDir, chart.id);
      await writeFile(`${base}.vl.json`, `${JSON.stringify(chart.spec, null, 2)}\n`);
      files.push(`${base}.vl.json`);
      const svg = await time("svg", () => renderSvg(chart.spec));
      if (want.has("svg") || want.has("md")) {
        await writeFile(`${base}.svg`, svg);
        files.push(`${base}.svg`);
      }
      if (want.has("png") || want.has("md")) {
        files.push(`${base}.png`);
        pngs.push(svgToPngAsync(svg, 2).then((png) => writeFile(`${base}.png`, png)));
      }
    }
    await time("png (after the last SVG)", () => Promise.all(pngs));
  }
  const blocks = buildDocument(model, charts);
  if (want.has("md")) {
    const file = path.join(opts.outDir, "index.md");
    await writeFile(file, await time("md", () => renderMarkdown(blocks)));
    files.push(file);
  }
  if (want.has("html")) {
    const file = path.join(opts.outDir, "index.html");
    const title = `Malloc benchmark report: ${model.testbeds.map((t) => t.label).join(", ")}`;
    await writeFile(file, await time("html", () => renderHtml(blocks, title)));
    files.push(file);
  }
  const terminal = want.has("terminal") ? renderTerminal(model) : null;
  return { files, terminal, timings };
}
