import { existsSync } from "node:fs";
import type { Size } from "../config.js";
import { UsageError } from "../errors.js";
import { headerMismatch, journalPathFor, loadResults, readJournal } from "../results/io.js";
import { checkOutputFile } from "../results/output-path.js";
import type {
  AllocatorRecord,
  Plan as RecordedPlan,
  ResultsHeader,
  RunRecord,
} from "../results/schema.js";

/**
 * What a run measures, whether it starts from command-line options or continues a recorded
 * results file: `bench run` reduces both to one RunPlan before anything is resolved, built or
 * probed, and prepares and measures from it alone.
 */
export interface RunPlan {
  /** Directories the workload manifests are read from, in order (first wins on a name clash). */
  workloadRoots: string[];
  /** Workloads and programs by name; "all": every built-in workload. */
  workloads: string[] | "all";
  /** Also every external program (docs/programs.md); programs named in `workloads` run without it. */
  programs: boolean;
  /** Allocators by name; "all": every one found. */
  allocators: string[] | "all";
  /** Libraries the user names (--allocator, the config file). */
  userAllocators: AllocatorRequest[];
  /** Named allocators with settings (--variant, the config file). */
  variants: VariantRequest[];
  threads: number[];
  /** --param scans: workload parameter -> values; every selected workload must declare each. */
  params?: Record<string, string[]>;
  preset: string;
  size: Size;
  runs: number;
  warmup: number;
  seed: number;
  timeoutMs: number;
  cpus: string | null;
  rssIntervalMs: number;
  /** Restrict the cross product to these cells (cellKey form), e.g. to re-measure flagged cells. */
  onlyCells?: string[];
  /** "instructions": every cell under callgrind (deterministic mode); absent: timed runs. */
  measure?: "time" | "instructions";
  /** Adaptive sampling: target median CI half-width, as a fraction of the median. */
  precision?: number;
  /** Adaptive sampling's bound on measured runs per cell (set whenever `precision` is). */
  maxRuns?: number;
  maxTimeMs?: number;
  /** The results file written (its journal is beside it). */
  output: string;
  /** The allocator the summary compares with: checked against the plan's allocators. */
  baseline?: string;
  /** Set when the plan continues a recorded run: what that run left behind. */
  resume?: Resumable;
}

/** An allocator library as the user names it (`--allocator name=path`, the config file). */
export type AllocatorRequest = Pick<AllocatorRecord, "name" | "family" | "lib" | "libc" | "env"> & {
  source: AllocatorRecord["source"];
};

/** A named allocator with settings: `--variant NAME=BASE:KEY=VALUE` (allocators/variants.ts). */
export interface VariantRequest {
  name: string;
  base: string;
  env: Record<string, string>;
}

/** What an earlier invocation left behind. */
export interface Resumable {
  header: ResultsHeader;
  runs: RunRecord[];
  /** Results file it writes (the journal is beside it). */
  file: string;
  journalExists: boolean;
  /** Runs of the results file missing from the journal, to append to it. */
  unjournaled?: RunRecord[];
  /** Warnings already in the results file. */
  warnings: string[];
}

/** Adaptive sampling's default bound on measured runs per cell. */
export function defaultMaxRuns(runs: number): number {
  return Math.max(runs * 6, 30);
}

/** The variants of an earlier invocation, to define them again (resume, --confirm). */
export function recordedVariants(records: readonly AllocatorRecord[]): VariantRequest[] {
  return records.flatMap((a) =>
    a.variant ? [{ name: a.name, base: a.variant.base, env: { ...a.variant.env } }] : [],
  );
}

/** The user's own allocators of an earlier invocation, to run them again (resume, --confirm). */
export function recordedUserAllocators(records: readonly AllocatorRecord[]): AllocatorRequest[] {
  return records
    .filter((a) => (a.source === "user" || a.source === "config") && a.lib && !a.variant)
    .map((a) => ({
      name: a.name,
      family: a.family,
      lib: a.lib as string,
      libc: a.libc,
      env: a.env,
      source: a.source,
    }));
}

/** The plan of a recorded run, to measure the runs it has left. */
export function planFromRecorded(resumable: Resumable, baseline?: string): RunPlan {
  const { plan, allocators } = resumable.header;
  return {
    workloadRoots: plan.workloadRoots,
    workloads: plan.workloads,
    programs: false,
    allocators: plan.allocators,
    userAllocators: recordedUserAllocators(allocators),
    variants: recordedVariants(allocators),
    threads: plan.threads,
    ...(plan.params ? { params: plan.params } : {}),
    preset: plan.preset,
    size: plan.size,
    runs: plan.runs,
    warmup: plan.warmup,
    seed: plan.seed,
    timeoutMs: plan.timeoutMs,
    cpus: plan.cpus,
    rssIntervalMs: plan.rssIntervalMs,
    ...(plan.onlyCells ? { onlyCells: plan.onlyCells } : {}),
    ...(plan.measure ? { measure: plan.measure } : {}),
    ...(plan.precision !== undefined ? { precision: plan.precision } : {}),
    ...(plan.maxRuns !== undefined ? { maxRuns: plan.maxRuns } : {}),
    ...(plan.maxTimeMs !== undefined ? { maxTimeMs: plan.maxTimeMs } : {}),
    output: resumable.file,
    ...(baseline !== undefined ? { baseline } : {}),
    resume: resumable,
  };
}

/**
 * The plan as the results file records it, once its workloads and allocators are resolved to
 * names; `skipped` lists the cells of the cross product that cannot run.
 */
export function recordedPlan(
  plan: RunPlan,
  resolved: { workloads: string[]; allocators: string[]; skipped: RecordedPlan["skipped"] },
): RecordedPlan {
  return {
    workloads: resolved.workloads,
    allocators: resolved.allocators,
    threads: plan.threads,
    size: plan.size,
    preset: plan.preset,
    runs: plan.runs,
    warmup: plan.warmup,
    seed: plan.seed,
    timeoutMs: plan.timeoutMs,
    cpus: plan.cpus,
    rssIntervalMs: plan.rssIntervalMs,
    workloadRoots: plan.workloadRoots,
    ...(plan.params && Object.keys(plan.params).length > 0 ? { params: plan.params } : {}),
    ...(plan.onlyCells ? { onlyCells: plan.onlyCells } : {}),
    ...(resolved.skipped && resolved.skipped.length > 0 ? { skipped: resolved.skipped } : {}),
    ...(plan.measure === "instructions" ? { measure: plan.measure } : {}),
    ...(plan.precision !== undefined
      ? {
          precision: plan.precision,
          maxRuns: plan.maxRuns ?? defaultMaxRuns(plan.runs),
          ...(plan.maxTimeMs !== undefined ? { maxTimeMs: plan.maxTimeMs } : {}),
        }
      : {}),
  };
}

/** Load what an earlier invocation left: the journal when present (it has every finished run), else the results file. */
export async function loadResumable(target: string): Promise<Resumable> {
  const file = target.endsWith(".journal") ? target.slice(0, -".journal".length) : target;
  const journalFile = journalPathFor(file);
  if (!existsSync(file) && !existsSync(journalFile))
    throw new UsageError(`--resume: ${target} does not exist`);
  // Both are rewritten: check now, not after measuring.
  checkOutputFile(file, { flag: "--resume", overwrite: "always" });
  checkOutputFile(journalFile, { flag: "--resume: its journal", overwrite: "always" });
  const results = existsSync(file) ? await loadResults(file) : undefined;
  if (existsSync(journalFile)) {
    const { header, runs } = await readJournal(journalFile);
    if (results) {
      const differs = headerMismatch(header, results);
      if (differs)
        throw new UsageError(
          `cannot resume: ${journalFile} belongs to another run than ${file} (${differs}, journal vs results file); keep the one you mean and move the other away`,
        );
    }
    // Runs in the results file that the journal lacks (a journal write that failed): kept too.
    const journaled = new Set(runs.map((r) => r.key));
    const unjournaled = (results?.runs ?? []).filter((r) => !journaled.has(r.key));
    return {
      header,
      runs: [...runs, ...unjournaled],
      unjournaled,
      file,
      journalExists: true,
      warnings: results?.warnings ?? [],
    };
  }
  if (!results) throw new UsageError(`--resume: ${target} does not exist`);
  const { runs, finishedAt: _f, complete: _c, warnings, ...header } = results;
  return { header, runs, file, journalExists: false, warnings };
}
