import { METRICS } from "../analysis/metrics.js";
import type { ResultsFile } from "../results/schema.js";
import { benchmarkName, cellSummaries } from "./cells.js";
import type { Exporter } from "./exporter.js";

const BMF_MEASURES: Record<string, string> = {
  seconds: "latency",
  maxRssBytes: "max-rss",
  opsPerSecond: "throughput",
};

/**
 * Bencher Metric Format: { benchmark: { measure: { value, lower_value, upper_value } } }.
 * latency = median seconds of the measured region (in nanoseconds, Bencher's unit for its
 * built-in latency measure), max-rss in bytes, throughput in operations per second; bounds are
 * the median's 95% CI when there are enough runs.
 */
export function bencherMetricFormat(
  results: ResultsFile,
): Record<string, Record<string, { value: number; lower_value?: number; upper_value?: number }>> {
  const out: Record<
    string,
    Record<string, { value: number; lower_value?: number; upper_value?: number }>
  > = {};
  const wanted = METRICS.filter((m) => m.name in BMF_MEASURES);
  for (const s of cellSummaries(results, wanted)) {
    const scale = s.metric === "seconds" ? 1e9 : 1;
    const entry: { value: number; lower_value?: number; upper_value?: number } = {
      value: s.median * scale,
    };
    if (s.lower !== null && s.upper !== null) {
      entry.lower_value = s.lower * scale;
      entry.upper_value = s.upper * scale;
    }
    const name = benchmarkName(s);
    out[name] = { ...out[name], [BMF_MEASURES[s.metric] as string]: entry };
  }
  return out;
}

export const bmfExporter: Exporter = {
  name: "bmf",
  describe: "Bencher Metric Format",
  serialize: (results) => `${JSON.stringify(bencherMetricFormat(results), null, 2)}\n`,
};
