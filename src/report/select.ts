/**
 * What a report shows: a subset of allocators, workloads and thread counts (`--allocators`,
 * `--workloads`, `--threads`) and one pair to open with (`--focus A:B`). Names are checked
 * against the results, so a typo is an error naming it, not an empty report.
 */
import { UsageError } from "../errors.js";
import type { ResultsFile } from "../results/schema.js";

export interface Selection {
  allocators?: string[];
  workloads?: string[];
  threads?: number[];
}

/** The comparison a report opens with: candidate against baseline. */
export interface Focus {
  candidate: string;
  baseline: string;
}

function list(option: string, value: string): string[] {
  const items = [...new Set(value.split(",").map((s) => s.trim()))];
  if (items.length === 0 || items.some((s) => s === ""))
    throw new UsageError(
      `${option}: give a comma-separated list without empty items, got "${value}"`,
    );
  return items;
}

/** Parse the selection options (undefined: everything). */
export function parseSelection(opts: {
  allocators?: string;
  workloads?: string;
  threads?: string;
}): Selection {
  const out: Selection = {};
  if (opts.allocators !== undefined) out.allocators = list("--allocators", opts.allocators);
  if (opts.workloads !== undefined) out.workloads = list("--workloads", opts.workloads);
  if (opts.threads !== undefined)
    out.threads = list("--threads", opts.threads).map((s) => {
      if (!/^[1-9]\d*$/.test(s))
        throw new UsageError(`--threads: "${s}" is not a positive whole number of threads`);
      return Number(s);
    });
  return out;
}

/** `--focus A:B`: A against B. */
export function parseFocus(value: string | undefined): Focus | undefined {
  if (value === undefined) return undefined;
  const m = /^([^:\s]+):([^:\s]+)$/.exec(value.trim());
  if (!m || m[1] === m[2])
    throw new UsageError(
      `--focus: give two different allocators as CANDIDATE:BASELINE (e.g. scudo-musl:musl), got "${value}"`,
    );
  return { candidate: m[1] as string, baseline: m[2] as string };
}

function checkNames(option: string, wanted: readonly string[], have: readonly string[]): void {
  for (const name of wanted)
    if (!have.includes(name))
      throw new UsageError(
        `${option}: "${name}" is not in these results (have: ${[...new Set(have)].join(", ")})`,
      );
}

/**
 * Check the selection and the focus against every results file (a name must be in at least
 * one), and that each file keeps something to show.
 */
export function checkSelection(
  sets: readonly { results: ResultsFile; source: string }[],
  selection: Selection,
  focus: Focus | undefined,
): void {
  const plans = sets.map((s) => s.results.plan);
  if (selection.allocators)
    checkNames(
      "--allocators",
      selection.allocators,
      plans.flatMap((p) => p.allocators),
    );
  if (selection.workloads)
    checkNames(
      "--workloads",
      selection.workloads,
      plans.flatMap((p) => p.workloads),
    );
  if (selection.threads)
    checkNames(
      "--threads",
      selection.threads.map(String),
      plans.flatMap((p) => p.threads.map(String)),
    );
  if (focus) {
    for (const name of [focus.candidate, focus.baseline]) {
      checkNames(
        "--focus",
        [name],
        plans.flatMap((p) => p.allocators),
      );
      if (selection.allocators && !selection.allocators.includes(name))
        throw new UsageError(
          `--focus: "${name}" is left out by --allocators: add it there or focus on another pair`,
        );
    }
  }
  for (const s of sets) {
    const kept = selectResults(s.results, selection);
    if (
      kept.plan.allocators.length === 0 ||
      kept.plan.workloads.length === 0 ||
      kept.plan.threads.length === 0
    )
      throw new UsageError(
        `${s.source}: the selection leaves nothing to report (allocators ${s.results.plan.allocators.join(", ")}; workloads ${s.results.plan.workloads.join(", ")}; threads ${s.results.plan.threads.join(", ")})`,
      );
  }
}

/** The results restricted to the selection: the plan's lists and the runs in it. */
export function selectResults(results: ResultsFile, selection: Selection): ResultsFile {
  const { allocators, workloads, threads } = selection;
  if (!allocators && !workloads && !threads) return results;
  const plan = {
    ...results.plan,
    allocators: allocators
      ? results.plan.allocators.filter((a) => allocators.includes(a))
      : results.plan.allocators,
    workloads: workloads
      ? results.plan.workloads.filter((w) => workloads.includes(w))
      : results.plan.workloads,
    threads: threads
      ? results.plan.threads.filter((t) => threads.includes(t))
      : results.plan.threads,
  };
  const runs = results.runs.filter(
    (r) =>
      plan.allocators.includes(r.allocator) &&
      plan.workloads.includes(r.workload) &&
      plan.threads.includes(r.threads),
  );
  return { ...results, plan, runs };
}
