import type { MetricInfo } from "../analysis/metrics.js";
import type { ResultsFile } from "../results/schema.js";

export interface ExportOptions {
  /** The metric a single-metric format exports (`--metric`, default seconds). */
  metric: MetricInfo;
}

/** One export format: a pure function from a loaded results file to the text written out. */
export interface Exporter {
  /** The `--format` value. */
  name: string;
  /** One line for `--help`. */
  describe: string;
  serialize(results: ResultsFile, options: ExportOptions): string;
}
