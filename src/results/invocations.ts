/**
 * Invocations in a results file. A file from `bench run` is one invocation; a baseline saved
 * with `bench baseline save --add` holds several, each run tagged with the id of the invocation
 * that measured it (listed in the file's `invocations`). The gate needs them apart: runs of one
 * invocation share its drift, so separate invocations are compared invocation by invocation.
 *
 * @module
 */

import { UsageError } from "../errors.js";
import type { ResultsFile, RunRecord } from "./schema.js";

/** The id of a file's own invocation: when it was created (the header every run shares). */
export function fileInvocationId(file: Pick<ResultsFile, "createdAt">): string {
  return file.createdAt;
}

/** The invocation that measured `run` of `file`. */
export function invocationOf(run: RunRecord, file: Pick<ResultsFile, "createdAt">): string {
  return run.invocation ?? fileInvocationId(file);
}

/** The ids of a file's invocations, oldest first. */
export function invocationIds(file: ResultsFile): string[] {
  return file.invocations ? file.invocations.map((i) => i.id) : [fileInvocationId(file)];
}

/** What a baseline's invocations must share to be one baseline: the same cells at the same size. */
function planShape(file: ResultsFile): string {
  const p = file.plan;
  return JSON.stringify([
    [...p.workloads].sort(),
    [...p.allocators].sort(),
    [...p.threads].sort((a, b) => a - b),
    p.params ?? null,
    p.size,
    p.measure ?? "time",
  ]);
}

/**
 * `baseline` with the runs of `next` (one complete invocation) added as a new invocation,
 * keeping the newest `keep` invocations when given. The header (environment, plan) stays the
 * first invocation's; each run is tagged with its invocation and its key made unique by it.
 */
export function addInvocation(
  baseline: ResultsFile,
  next: ResultsFile,
  keep: number | undefined,
  names: { baseline: string; next: string },
): ResultsFile {
  if (next.invocations && next.invocations.length > 1)
    throw new UsageError(
      `${names.next} already holds ${next.invocations.length} invocations: add the results file of one bench run`,
    );
  if (planShape(baseline) !== planShape(next))
    throw new UsageError(
      `${names.next} measured other cells, size or metric than the baseline ${names.baseline}: measure every invocation of a baseline with the same bench run command line (or save it without --add to start a new baseline)`,
    );
  const id = fileInvocationId(next);
  const ids = invocationIds(baseline);
  if (ids.includes(id))
    throw new UsageError(
      `${names.baseline} already holds the invocation of ${names.next} (created ${id}): add each bench run once`,
    );
  const tag = (file: ResultsFile): RunRecord[] =>
    file.runs.map((run) => {
      const inv = invocationOf(run, file);
      // Keys are unique per file; the same cell's runs of two invocations share a key otherwise.
      const key = run.invocation === undefined ? `${inv}#${run.key}` : run.key;
      return { ...run, key, invocation: inv };
    });
  const listed = baseline.invocations ?? [
    { id: fileInvocationId(baseline), createdAt: baseline.createdAt },
  ];
  let invocations = [...listed, { id, createdAt: next.createdAt }];
  if (keep !== undefined && invocations.length > keep) invocations = invocations.slice(-keep);
  const kept = new Set(invocations.map((i) => i.id));
  const runs = [...tag(baseline), ...tag(next)].filter((r) => kept.has(r.invocation as string));
  return {
    ...baseline,
    finishedAt: next.finishedAt,
    complete: baseline.complete && next.complete,
    warnings: [...new Set([...baseline.warnings, ...next.warnings])],
    invocations,
    runs,
  };
}

/** Runs tagged with an invocation the file does not list: a hand-edited or corrupt baseline. */
export function unlistedInvocation(file: ResultsFile): string | undefined {
  if (!file.invocations) {
    const tagged = file.runs.find((r) => r.invocation !== undefined);
    return tagged ? `runs carry invocation ids but the file lists no invocations` : undefined;
  }
  const ids = new Set(file.invocations.map((i) => i.id));
  const i = file.runs.findIndex((r) => r.invocation === undefined || !ids.has(r.invocation));
  return i < 0
    ? undefined
    : `runs[${i}].invocation: ${JSON.stringify(file.runs[i]?.invocation ?? null)} is not one of the file's invocations`;
}
