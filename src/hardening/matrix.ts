import type { HardeningCell, HardeningReport } from "../results/hardening-schema.js";
import { classCounts, classOf, type ClassInput, type ProbeClass } from "./verdict.js";
import { showControls } from "../util/text.js";

/** Each class in words. */
export const CLASS_LABEL: Record<ProbeClass, string> = {
  diagnostic: "detected",
  incidental: "died",
  "not-detected": "not detected",
  error: "error",
  timeout: "timeout",
};

/** What each class means, for legends and notes. */
export const CLASS_MEANING: Record<ProbeClass, string> = {
  diagnostic: "detected with a diagnostic (the allocator said so, aborted or exited non-zero)",
  incidental: "died incidentally (killed by a signal without the allocator's diagnostic)",
  "not-detected": "not detected (ran past the misuse to its end)",
  error: "error (no answer: build, start or interposition failed)",
  timeout: "timeout",
};

/** A cell's trials: its own, or the cell itself for files with one trial per probe. */
export function trialsOf(
  cell: ClassInput & { trials?: readonly ClassInput[] | undefined },
): readonly ClassInput[] {
  return cell.trials && cell.trials.length > 0 ? cell.trials : [cell];
}

/**
 * A cell in words: its class ("detected", "died", "not detected"), or when its trials differ
 * "flaky: " and how many ended in each class ("flaky: 4 detected, 1 not detected").
 */
export function cellLabel(
  cell: ClassInput & { trials?: readonly ClassInput[] | undefined },
): string {
  const counts = classCounts(trialsOf(cell));
  if (counts.length <= 1) return CLASS_LABEL[classOf(cell)];
  return `flaky: ${counts.map((c) => `${c.count} ${CLASS_LABEL[c.class]}`).join(", ")}`;
}

/** The cell of (allocator, probe), if measured. */
export function cellOf(
  report: Pick<HardeningReport, "cells">,
  allocator: string,
  probe: string,
): HardeningCell | undefined {
  return report.cells.find((c) => c.allocator === allocator && c.probe === probe);
}

/**
 * Per allocator: how many probes it detected in every trial, of those that gave an answer in
 * every trial (detected or not); flaky cells count as answered, not detected.
 */
export function detectionCounts(
  report: Pick<HardeningReport, "cells" | "allocators">,
): { allocator: string; detected: number; answered: number; failed: number; flaky: number }[] {
  return report.allocators.map(({ name }) => {
    const mine = report.cells.filter((c) => c.allocator === name);
    const classes = mine.map((c) => trialsOf(c).map(classOf));
    const answers = (cs: ProbeClass[]): boolean =>
      cs.every((c) => c === "diagnostic" || c === "incidental" || c === "not-detected");
    const detected = classes.filter((cs) =>
      cs.every((c) => c === "diagnostic" || c === "incidental"),
    ).length;
    const answered = classes.filter(answers).length;
    const flaky = mine.filter((c) => classCounts(trialsOf(c)).length > 1).length;
    return { allocator: name, detected, answered, failed: mine.length - answered, flaky };
  });
}

/** Text table: one row per allocator, one column per probe, then the notes of every cell. */
export function formatMatrix(report: HardeningReport): string {
  const probes = report.probes.map((p) => p.name);
  const rows = report.allocators.map((a) => [
    showControls(a.name),
    ...probes.map((p) => {
      const cell = cellOf(report, a.name, p);
      return cell ? cellLabel(cell) : "-";
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
  const trials = report.trials ?? 1;
  const notes: string[] = [];
  for (const a of report.allocators) {
    for (const p of probes) {
      const cell = cellOf(report, a.name, p);
      if (!cell) continue;
      const said = cell.stderr ? `: "${cell.stderr}"` : "";
      notes.push(`  ${a.name} / ${p}: ${cellLabel(cell)} (${cell.reason})${said}`);
      if (cell.trials && classCounts(cell.trials).length > 1)
        for (const [i, t] of cell.trials.entries())
          notes.push(
            `    trial ${i + 1}: ${CLASS_LABEL[classOf(t)]} (${t.reason})${t.stderr ? `: "${t.stderr}"` : ""}`,
          );
    }
  }
  out.push(
    "",
    `${trials} trial(s) per probe. detected: ${CLASS_MEANING.diagnostic}; died: ${CLASS_MEANING.incidental}; flaky: the trials differ.`,
    "",
    "details:",
    ...notes,
  );
  for (const w of report.warnings) out.push(`warning: ${w}`);
  return out.join("\n");
}
