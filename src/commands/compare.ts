import {
  compareAllocators,
  compareResults,
  type ComparisonReport,
  type Pairing,
} from "../analysis/comparisons.js";
import { formatReport, type ReportFormat } from "../analysis/format.js";
import { metricInfo } from "../analysis/metrics.js";
import { describeTestbed, testbedMismatch, testbedOf } from "../analysis/testbed.js";
import { parseFraction } from "../config.js";
import { UsageError } from "../errors.js";
import type { ResultsFile } from "../results/schema.js";
import { loadResultSets } from "../results/sets.js";
import { writeOut } from "../util/text.js";

export interface StatsOptions {
  metric?: string;
  alpha?: string;
  threshold?: string;
  pairing?: string;
}

/** Fractions are parsed like every other flag value (config.ts); check.ts takes it from here. */
export { parseFraction };

const PAIRINGS: Pairing[] = ["auto", "paired", "independent"];

const FORMATS: ReportFormat[] = ["text", "markdown", "json", "csv"];

export function comparisonOptions(opts: StatsOptions, defaults: { threshold: number }) {
  const alpha = opts.alpha === undefined ? 0.05 : parseFraction(opts.alpha, "--alpha");
  if (alpha <= 0) throw new UsageError("--alpha must be above 0");
  const pairing = (opts.pairing ?? "auto") as Pairing;
  if (!PAIRINGS.includes(pairing))
    throw new UsageError(`--pairing: "${opts.pairing}" is not one of ${PAIRINGS.join(", ")}`);
  return {
    pairing,
    metric: metricInfo(opts.metric ?? "seconds"),
    alpha,
    level: 0.95,
    threshold:
      opts.threshold === undefined
        ? defaults.threshold
        : parseFraction(opts.threshold, "--threshold"),
  };
}

/** The baseline allocator: the one asked for, else glibc, else musl, else the first. */
export function pickBaseline(set: ResultsFile, requested: string | undefined): string {
  const allocators = set.plan.allocators;
  if (requested !== undefined) {
    if (!allocators.includes(requested)) {
      throw new UsageError(
        `--baseline: allocator "${requested}" is not in these results (have: ${allocators.join(", ")})`,
      );
    }
    return requested;
  }
  return ["glibc", "musl"].find((a) => allocators.includes(a)) ?? (allocators[0] as string);
}

export interface CompareCommandOptions extends StatsOptions {
  baseline?: string;
  format?: string;
  allowTestbedMismatch?: boolean;
}

/** `bench compare <a.json> [b.json]` */
export async function compareCommand(
  files: string[],
  opts: CompareCommandOptions,
): Promise<number> {
  const format = (opts.format ?? "text") as ReportFormat;
  if (!FORMATS.includes(format))
    throw new UsageError(`--format: "${opts.format}" is not one of ${FORMATS.join(", ")}`);
  const options = comparisonOptions(opts, { threshold: 0 });
  const reports: { title: string; report: ComparisonReport }[] = [];
  if (files.length === 1) {
    for (const set of await loadResultSets(files[0] as string)) {
      const baseline = pickBaseline(set, opts.baseline);
      reports.push({
        title: describeTestbed(testbedOf(set)),
        report: compareAllocators(set, baseline, options),
      });
    }
  } else if (files.length === 2) {
    if (options.pairing === "paired")
      throw new UsageError(
        "--pairing paired needs one results file: runs of two invocations cannot be paired",
      );
    const [before, after] = await Promise.all(files.map((f) => loadResultSets(f)));
    const matched = pairSets(
      before as ResultsFile[],
      after as ResultsFile[],
      Boolean(opts.allowTestbedMismatch),
      files,
    );
    for (const [a, b] of matched) {
      reports.push({ title: describeTestbed(testbedOf(b)), report: compareResults(a, b, options) });
    }
  } else {
    throw new UsageError(
      "bench compare takes one results file (allocators against a baseline) or two (before, after)",
    );
  }
  if (format === "json") {
    writeOut(`${JSON.stringify(reports.length === 1 ? reports[0]?.report : reports, null, 2)}\n`);
    return 0;
  }
  const out: string[] = [];
  for (const { title, report } of reports) {
    if (reports.length > 1 && format !== "csv")
      out.push(format === "markdown" ? `### ${title}\n` : `== ${title}`);
    out.push(formatReport(report, format), "");
  }
  writeOut(`${out.join("\n").trimEnd()}\n`);
  return 0;
}

/** Pair result sets by testbed; refuse a mismatch unless allowed. */
export function pairSets(
  before: ResultsFile[],
  after: ResultsFile[],
  allowMismatch: boolean,
  files: string[],
): [ResultsFile, ResultsFile][] {
  if (before.length === 1 && after.length === 1) {
    const [a, b] = [before[0] as ResultsFile, after[0] as ResultsFile];
    if (a.plan.size !== b.plan.size) {
      throw new UsageError(
        `${files[0]} ran workloads at size ${a.plan.size} and ${files[1]} at ${b.plan.size}: their times cannot be compared`,
      );
    }
    const why = testbedMismatch(testbedOf(a), testbedOf(b));
    if (why && !allowMismatch) {
      throw new UsageError(
        `${files[0]} and ${files[1]} come from different testbeds (${why}): compare like with like, or pass --allow-testbed-mismatch`,
      );
    }
    return [[a, b]];
  }
  const pairs: [ResultsFile, ResultsFile][] = [];
  for (const b of after) {
    const a = before.find((x) => testbedOf(x).id === testbedOf(b).id);
    if (a) pairs.push([a, b]);
  }
  if (pairs.length === 0) throw new UsageError(`${files[0]} and ${files[1]} share no testbed`);
  return pairs;
}
