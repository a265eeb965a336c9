/** `bench report --format terminal`: the same compact table `bench run` ends with, per testbed. */
import { formatSummary, summarize } from "../run/summary.js";
import type { ReportModel } from "./model.js";

export function renderTerminal(model: ReportModel): string {
  const out: string[] = [];
  for (const t of model.testbeds) {
    if (model.testbeds.length > 1) out.push(`== ${t.label} (${t.source})`, "");
    out.push(formatSummary(summarize(t.results, t.baseline)), "");
    if (t.time.summary.length > 0) {
      out.push(`geometric mean time ratio to ${t.baseline} (95% CI):`);
      const width = Math.max(...t.time.summary.map((s) => s.allocator.length));
      for (const s of t.time.summary)
        out.push(
          `  ${s.allocator.padEnd(width)}  ${s.geomean.toFixed(3)}x` +
            (s.lower === null || s.upper === null
              ? ""
              : `  [${s.lower.toFixed(3)}, ${s.upper.toFixed(3)}]`),
        );
      out.push("");
    }
  }
  return `${out.join("\n").trimEnd()}\n`;
}
