import { UsageError } from "../errors.js";
import type { MetricInfo } from "../analysis/metrics.js";
import type { ResultsFile } from "../results/schema.js";
import { benchmarkName, cellSummaries } from "./cells.js";
import type { Exporter } from "./exporter.js";

/**
 * github-action-benchmark's custom format ("customSmallerIsBetter"): one entry per cell with the
 * median seconds, the CI as `range`, and the run count in `extra`. Only smaller-is-better
 * metrics belong in one file; peak RSS goes to a second file with --metric maxRssBytes.
 */
export function githubActionBenchmark(
  results: ResultsFile,
  metric: MetricInfo,
): { name: string; unit: string; value: number; range?: string; extra: string }[] {
  return cellSummaries(results, [metric]).map((s) => ({
    name: benchmarkName(s),
    unit: metric.unit === "B" ? "bytes" : metric.unit,
    value: s.median,
    ...(s.lower !== null && s.upper !== null ? { range: `${s.lower}..${s.upper}` } : {}),
    extra: `n=${s.n} cv=${(s.cv * 100).toFixed(1)}% testbed=${results.environment.arch} ${results.environment.cpuModel}`,
  }));
}

export const gabExporter: Exporter = {
  name: "gab",
  describe: "github-action-benchmark's customSmallerIsBetter",
  serialize: (results, { metric }) => {
    if (metric.better !== "lower")
      throw new UsageError(
        `--metric ${metric.name}: github-action-benchmark's customSmallerIsBetter needs a smaller-is-better metric`,
      );
    return `${JSON.stringify(githubActionBenchmark(results, metric), null, 2)}\n`;
  },
};
