import type { HardeningCell, HardeningReport, ProbeOutcome } from "../results/hardening-schema.js";
import { showControls } from "../util/text.js";

const LABEL: Record<ProbeOutcome, string> = {
  detected: "detected",
  "not-detected": "not detected",
  error: "error",
  timeout: "timeout",
};

/** The cell of (allocator, probe), if measured. */
export function cellOf(
  report: Pick<HardeningReport, "cells">,
  allocator: string,
  probe: string,
): HardeningCell | undefined {
  return report.cells.find((c) => c.allocator === allocator && c.probe === probe);
}

/** Per allocator: how many probes it detected, of those that gave an answer (detected or not). */
export function detectionCounts(
  report: Pick<HardeningReport, "cells" | "allocators">,
): { allocator: string; detected: number; answered: number; failed: number }[] {
  return report.allocators.map(({ name }) => {
    const mine = report.cells.filter((c) => c.allocator === name);
    const detected = mine.filter((c) => c.outcome === "detected").length;
    const answered = mine.filter(
      (c) => c.outcome === "detected" || c.outcome === "not-detected",
    ).length;
    return { allocator: name, detected, answered, failed: mine.length - answered };
  });
}

/** Text table: one row per allocator, one column per probe, then the notes of every cell. */
export function formatMatrix(report: HardeningReport): string {
  const probes = report.probes.map((p) => p.name);
  const rows = report.allocators.map((a) => [
    showControls(a.name),
    ...probes.map((p) => {
      const cell = cellOf(report, a.name, p);
      return cell ? LABEL[cell.outcome] : "-";
    }),
  ]);
  const header = ["allocator", ...probes];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  const out = [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
  const notes: string[] = [];
  for (const a of report.allocators) {
    for (const p of probes) {
      const cell = cellOf(report, a.name, p);
      if (!cell) continue;
      const said = cell.stderr ? `: "${cell.stderr}"` : "";
      notes.push(`  ${a.name} / ${p}: ${LABEL[cell.outcome]} (${cell.reason})${said}`);
    }
  }
  out.push("", "details:", ...notes);
  for (const w of report.warnings) out.push(`warning: ${w}`);
  return out.join("\n");
}
