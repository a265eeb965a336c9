import { METRICS } from "../analysis/metrics.js";
import { csvCell } from "../util/text.js";
import type { ResultsFile } from "../results/schema.js";
import type { Exporter } from "./exporter.js";

const RUN_COLUMNS = [
  "key",
  "workload",
  "allocator",
  "libc",
  "threads",
  "size",
  "round",
  "warmup",
  "seq",
  "startedAt",
  "status",
  "failure",
  "identity",
] as const;

/** CSV, one row per run (warmups and failures included, flagged), every metric a column. */
export function runsCsv(results: ResultsFile): string {
  const metrics = METRICS.map((m) => m.name).filter((name) =>
    results.runs.some((r) => r.metrics?.[name] !== undefined),
  );
  const lines = [[...RUN_COLUMNS, ...metrics].join(",")];
  for (const run of results.runs) {
    const failure = run.status === "failed" ? `${run.failure.kind}: ${run.failure.message}` : "";
    const fixed = [
      run.key,
      run.workload,
      run.allocator,
      run.libc,
      run.threads,
      run.size,
      run.round,
      run.warmup,
      run.seq,
      run.startedAt,
      run.status,
      failure,
      run.identity,
    ];
    lines.push([...fixed, ...metrics.map((m) => run.metrics?.[m])].map(csvCell).join(","));
  }
  return `${lines.join("\n")}\n`;
}

export const csvExporter: Exporter = {
  name: "csv",
  describe: "one row per run, every metric a column",
  serialize: (results) => runsCsv(results),
};
