import { stat } from "node:fs/promises";
import path from "node:path";
import v8 from "node:v8";
import { UsageError } from "../errors.js";
import {
  needsCharts,
  REPORT_FORMATS,
  writeReport,
  type ReportFileFormat,
} from "../report/index.js";
import { CHART_SCALES, type ChartScale } from "../report/charts/common.js";
import { RenderPool } from "../report/render-pool.js";
import { checkSelection, parseFocus, parseSelection, selectResults } from "../report/select.js";
import { checkOutputDir } from "../results/output-path.js";
import { loadResultSets } from "../results/sets.js";
import { pickBaseline } from "./compare.js";
import { writeOut, writeErr } from "../util/text.js";

export interface ReportCommandOptions {
  output?: string;
  baseline?: string;
  format?: string;
  focus?: string;
  allocators?: string;
  workloads?: string;
  threads?: string;
  scale?: string;
}

/** `--scale`: one of {@link CHART_SCALES}. */
export function parseScale(value: string | undefined): ChartScale | undefined {
  if (value === undefined) return undefined;
  if (!(CHART_SCALES as readonly string[]).includes(value))
    throw new UsageError(`--scale: "${value}" is not one of ${CHART_SCALES.join(", ")}`);
  return value as ChartScale;
}

export const DEFAULT_REPORT_FORMATS: ReportFileFormat[] = ["md", "html", "svg", "png"];

export function parseFormats(value: string | undefined): ReportFileFormat[] {
  if (value === undefined) return DEFAULT_REPORT_FORMATS;
  const items = value.split(",").map((s) => s.trim());
  for (const item of items) {
    if (!(REPORT_FORMATS as readonly string[]).includes(item))
      throw new UsageError(
        `--format: "${item}" is not one of ${REPORT_FORMATS.join(", ")} (comma-separated)`,
      );
  }
  return [...new Set(items)] as ReportFileFormat[];
}

/** reports/<name of the first results file, without .json> */
export function defaultReportDir(files: string[]): string {
  const first = path.basename(files[0] ?? "report").replace(/\.json$/i, "");
  return path.join("reports", first || "report");
}

/**
 * Results files at least this large (together) take long enough to load that the render workers
 * compile Vega's code on a small chart meanwhile (about 130 MB holds 100,000 runs).
 */
const WARM_UP_BYTES = 16 * 2 ** 20;

async function totalSize(files: string[]): Promise<number> {
  const sizes = await Promise.all(
    files.map((f) =>
      stat(f).then(
        (s) => s.size,
        () => 0,
      ),
    ),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

/**
 * V8's interrupt budget for this process (bytes of bytecode run before a function is considered
 * for optimisation), 16 times its default (67,584 in Node 20's V8 11.3): a report runs Vega's
 * large code base in each render worker for a few seconds, and V8 spent about a third of the
 * report's CPU time optimising it on background threads. With the larger budget only the truly
 * hot functions are optimised, with the same output (docs/reports.md, "Speed", has the report's
 * time and the command that measures it). Set before the render workers start; the flag is
 * process-wide, so they get it too.
 */
export const REPORT_INTERRUPT_BUDGET = 16 * 67_584;

/** `bench report <results.json...>` */
export async function reportCommand(files: string[], opts: ReportCommandOptions): Promise<number> {
  if (files.length === 0) throw new UsageError("bench report needs at least one results file");
  const formats = parseFormats(opts.format);
  const scale = parseScale(opts.scale);
  const selection = parseSelection(opts);
  const focus = parseFocus(opts.focus);
  if (focus && opts.baseline !== undefined && opts.baseline !== focus.baseline)
    throw new UsageError(
      `--focus ${opts.focus} compares with ${focus.baseline}, --baseline names ${opts.baseline}: drop one or make them agree`,
    );
  const baseline = focus?.baseline ?? opts.baseline;
  const outDir = opts.output ?? defaultReportDir(files);
  if (formats.some((f) => f !== "terminal")) checkOutputDir(outDir, "-o");
  v8.setFlagsFromString(`--interrupt-budget=${REPORT_INTERRUPT_BUDGET}`);
  // Started before the results load, so its workers load Vega meanwhile; writeReport closes it.
  const pool = needsCharts(formats) ? new RenderPool() : undefined;
  if (pool && (await totalSize(files)) >= WARM_UP_BYTES) pool.warmUp();
  const sets = [];
  try {
    const loaded = [];
    for (const file of files)
      for (const results of await loadResultSets(file)) loaded.push({ results, source: file });
    checkSelection(loaded, selection, focus);
    for (const { results, source } of loaded) {
      const selected = selectResults(results, selection);
      sets.push({ results: selected, source, baseline: pickBaseline(selected, baseline) });
    }
  } catch (error) {
    await pool?.close();
    throw error;
  }
  const out = await writeReport(sets, {
    outDir,
    formats,
    ...(pool ? { pool } : {}),
    ...(focus ? { focus } : {}),
    ...(scale ? { scale } : {}),
  });
  if (out.terminal !== null) writeOut(out.terminal);
  const main = out.files.filter((f) => /index\.(md|html)$/.test(f));
  if (out.files.length > 0)
    writeErr(
      `report: ${main.length > 0 ? main.join(", ") : outDir} (${out.files.length} file(s) in ${outDir})\n`,
    );
  return 0;
}
