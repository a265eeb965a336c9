/** `bench report --format terminal`: the same compact table `bench run` ends with, per testbed. */
import { formatSummary, summarize } from "./run-summary.js";
import { directed, directedInterval, TIME_WORDS } from "../analysis/direction.js";
import type { ReportModel } from "./model.js";

export function renderTerminal(model: ReportModel): string {
  const out: string[] = [];
  for (const t of model.testbeds) {
    if (model.testbeds.length > 1) out.push(`== ${t.label} (${t.source})`, "");
    out.push(formatSummary(summarize(t.results, t.baseline)), "");
    const time = t.summary.filter((s) => s.metric === "time");
    if (time.length > 0) {
      out.push(`time against ${t.baseline}, geometric mean (95% CI):`);
      const width = Math.max(...time.map((s) => s.allocator.length));
      for (const s of time)
        out.push(
          `  ${s.allocator.padEnd(width)}  ${directed(s.geomean, TIME_WORDS).padEnd(22)}` +
            (s.lower === null || s.upper === null
              ? `  no CI: ${s.cells} cell(s)`
              : `  ${directedInterval(s.lower, s.upper, TIME_WORDS)}`) +
            (s.oversubscribedCells > 0
              ? `  (${s.oversubscribedCells} oversubscribed cell(s) left out)`
              : ""),
        );
      out.push("");
    }
  }
  return `${out.join("\n").trimEnd()}\n`;
}
