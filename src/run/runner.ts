import { readFile } from "node:fs/promises";
import path from "node:path";
import type { AllocatorSpec, ResolvedAllocator } from "../allocators/types.js";
import type { VariantDef } from "../allocators/variants.js";
import { EnvironmentError, UsageError } from "../errors.js";
import {
  CALLGRIND_CAVEAT,
  dropCallgrindUnsupported,
  findValgrind,
  launchMeasured,
} from "../measure/callgrind.js";
import { packageRoot } from "../paths.js";
import {
  cellKey,
  cellsOf,
  checkPlanSize,
  sameParams,
  schedule,
  type Cell,
  type ScheduledRun,
} from "../plan/schedule.js";
import { valuesOf } from "../analysis/metrics.js";
import { describe } from "../stats/index.js";
import { sha256File } from "../util/hash.js";
import { deriveSeed, mulberry32, shuffled } from "../util/prng.js";
import { captureEnvironment, noiseWarnings } from "../platform/environment.js";
import { checkStringLimits } from "../results/limits.js";
import { Journal, journalPathFor, writeJsonAtomic } from "../results/io.js";
import { checkCacheDir, checkOutputFile } from "../results/output-path.js";
import {
  defaultMaxRuns,
  loadResumable,
  planFromRecorded,
  recordedPlan,
  type Resumable,
  type RunPlan,
} from "../plan/plan.js";
import {
  SCHEMA_VERSION,
  type AllocatorRecord,
  type Plan,
  type ResultsFile,
  type ResultsHeader,
  type RunRecord,
} from "../results/schema.js";
import { loadWorkloads, selectWorkloads, workloadRoots } from "../targets/workloads.js";
import {
  classify,
  failedRun,
  launchExtras,
  metricsOf,
  runExtras,
  type RunBase,
} from "./outcome.js";
import { InterruptedError, throwIfInterrupted } from "../util/exec.js";
import { acquireLock, acquireResultsLock } from "./lock.js";
import {
  measureProgram,
  preparePrograms,
  splitWorkloads,
  type ProgramSet,
} from "./program-runs.js";
import { probeKey, probeWorkloads, type Refusal } from "../setup/identity.js";
import {
  buildAll,
  buildKey,
  identityMatcher,
  toolchainsByLibc,
  type BuildSet,
} from "../setup/prepare.js";
import { takeReference, type ReferenceOutcome } from "./reference.js";
import { resolveForRun } from "../setup/allocators.js";
import { preloadPath } from "../allocators/preload.js";
import type { LaunchRequest } from "../measure/launcher.js";

/** Options fields that mean what the plan's fields mean (docs in plan/plan.ts). */
type PlannedFields =
  | "workloads"
  | "allocators"
  | "threads"
  | "params"
  | "preset"
  | "size"
  | "runs"
  | "warmup"
  | "seed"
  | "timeoutMs"
  | "cpus"
  | "rssIntervalMs"
  | "output"
  | "onlyCells"
  | "measure"
  | "precision"
  | "maxRuns"
  | "maxTimeMs"
  | "baseline";

export interface RunOptions extends Pick<RunPlan, PlannedFields> {
  /** From --allocator name=path and the config file. */
  userAllocators: AllocatorSpec[];
  /** From --variant and the config file: named allocators with settings (allocators/variants.ts). */
  variants?: VariantDef[];
  workloadDirs: string[];
  /** Also run every external program (docs/programs.md); programs named in `workloads` run without it. */
  programs?: boolean;
  /**
   * Sequential sampling (bench check --until-decided): after the planned rounds and after each
   * extra one, the cellKeys still to measure; extra rounds stop when none are left, or after
   * `maxTimeMs`. Not recorded in the plan: a resumed run measures its planned rounds only.
   */
  sequential?: { open(runs: readonly RunRecord[]): readonly string[]; maxTimeMs?: number };
  lockFile?: string;
  signal?: AbortSignal;
  /** Replace an existing results file and discard its journal (else both are refused). */
  force?: boolean;
}

export interface Progress {
  done: number;
  total: number;
  elapsedMs: number;
  etaMs: number | null;
}

/** The core never prints: it tells its caller what happens through these. */
export interface RunEvents {
  onMessage?(message: string): void;
  onWarning?(message: string): void;
  onStart?(info: { total: number; alreadyDone: number; file: string; journal: string }): void;
  onRun?(run: RunRecord, progress: Progress): void;
}

export interface RunOutcome {
  file: string;
  journal: string;
  results: ResultsFile;
  interrupted: boolean;
  remaining: number;
}

async function toolVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(path.join(packageRoot(), "package.json"), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

function allocatorRecord(a: ResolvedAllocator): AllocatorRecord {
  const record: AllocatorRecord = {
    name: a.name,
    family: a.family,
    libc: a.libc,
    env: a.env,
    source: a.source,
  };
  if (a.lib) record.lib = a.lib;
  if (a.realLib) record.realLib = a.realLib;
  if (a.version) record.version = a.version;
  if (a.sha256) record.sha256 = a.sha256;
  if (a.package) record.package = a.package;
  if (a.builtFrom) record.builtFrom = a.builtFrom;
  if (a.variant) record.variant = a.variant;
  return record;
}

interface Prepared {
  header: ResultsHeader;
  allocators: Map<string, ResolvedAllocator>;
  buildSet: BuildSet;
  /** External programs among the workloads (docs/programs.md). */
  programs: ProgramSet;
  /** Cells (probeKey) whose probe showed an incomplete interposition. */
  refused: Map<string, Refusal>;
  previous: RunRecord[];
  journal: Journal;
  file: string;
  warnings: string[];
  resumed: boolean;
  /** Reference results by {@link referenceKey} (run/reference.ts). */
  references: Map<string, ReferenceOutcome>;
}

/** The plan of a fresh run: its options, with the workload roots and adaptive bounds settled. */
export function planFromOptions(options: RunOptions): RunPlan {
  return {
    workloadRoots: workloadRoots(options.workloadDirs),
    workloads: options.workloads,
    programs: options.programs ?? false,
    allocators: options.allocators,
    userAllocators: options.userAllocators,
    variants: options.variants ?? [],
    threads: options.threads,
    ...(options.params ? { params: options.params } : {}),
    preset: options.preset,
    size: options.size,
    runs: options.runs,
    warmup: options.warmup,
    seed: options.seed,
    timeoutMs: options.timeoutMs,
    cpus: options.cpus,
    rssIntervalMs: options.rssIntervalMs,
    ...(options.onlyCells ? { onlyCells: options.onlyCells } : {}),
    ...(options.measure ? { measure: options.measure } : {}),
    ...(options.precision !== undefined
      ? {
          precision: options.precision,
          maxRuns: options.maxRuns ?? defaultMaxRuns(options.runs),
          ...(options.maxTimeMs !== undefined ? { maxTimeMs: options.maxTimeMs } : {}),
        }
      : {}),
    output: options.output,
    ...(options.baseline !== undefined ? { baseline: options.baseline } : {}),
  };
}

/** Everything before the first measured run: resolve, validate, build, probe, open the journal. */
async function prepare(plan: RunPlan, events: RunEvents, signal?: AbortSignal): Promise<Prepared> {
  const { resume } = plan;
  const instructions = plan.measure === "instructions";
  const available = await loadWorkloads(plan.workloadRoots);
  const split = await splitWorkloads(
    plan.workloadRoots,
    available.map((w) => w.name),
    plan.workloads,
    plan.programs,
  );
  const workloads = selectWorkloads(available, split.synthetic);
  // A recorded plan's parameters were checked when it was made.
  if (!resume && plan.params) checkParams([...workloads, ...split.programs], plan.params);
  const toolchains = await toolchainsByLibc();
  if (instructions) await findValgrind();

  const { allocators, warnings: selectionWarnings } = await resolveForRun({
    requested: plan.allocators,
    userAllocators: plan.userAllocators,
    libcs: [...toolchains.keys()],
    variants: plan.variants,
  });
  if (instructions) {
    const why = dropCallgrindUnsupported(allocators, plan.allocators);
    if (why) selectionWarnings.push(why);
  }
  for (const w of selectionWarnings) events.onWarning?.(w);
  checkBaseline(plan.baseline, allocators);
  if (resume) await checkSameAllocators(resume.header, allocators);
  checkPlanSize({
    workloads: workloads.length + split.programs.length,
    allocators: allocators.length,
    threads: plan.threads.length,
    params: plan.params,
    runs: plan.runs,
    warmup: plan.warmup,
    maxRuns: plan.precision === undefined ? undefined : (plan.maxRuns ?? defaultMaxRuns(plan.runs)),
  });

  const libcs = [...new Set(allocators.map((a) => a.libc))];
  events.onMessage?.(`building ${workloads.length} workload(s) for ${libcs.join(", ")}`);
  const buildSet = await buildAll(toolchains, workloads, libcs, (m) => events.onMessage?.(m));
  throwIfInterrupted();
  const programs = await preparePrograms({
    programs: split.programs,
    allocators,
    threads: plan.threads,
    host: [...toolchains.values()].find((t) => t.kind === "host"),
    toolchains,
    instructions,
    onWarning: (m) => events.onWarning?.(m),
  });
  const programHashes = await programBuilds(programs);
  if (resume) checkSameBuilds(resume.header, buildSet, programHashes);
  else if (workloads.length === 0) refuseIfNothingRuns(programs, allocators, plan.threads);

  // Probe: settle every cell's interposition (all entry points) before spending time on it.
  events.onMessage?.("probing allocator interposition");
  const probe = await probeWorkloads(
    allocators,
    workloads.map((w) => w.name),
    buildSet,
  );
  const probeWarnings = probe.warnings;
  throwIfInterrupted();
  for (const w of probeWarnings) events.onWarning?.(w);
  const refused = new Map([...probe.refused, ...programs.refused]);

  // A resumed run keeps its recorded header; its machine warnings are in its results already.
  const header =
    resume?.header ??
    (await newHeader(plan, {
      workloads: [...workloads.map((w) => w.name), ...split.programs.map((p) => p.name)],
      allocators,
      buildSet,
      programs,
      programHashes,
    }));
  const noise = resume ? [] : machineWarnings(header);
  for (const w of noise) events.onWarning?.(w);
  const warnings = [
    ...(resume?.warnings ?? []),
    ...noise,
    ...selectionWarnings,
    ...probeWarnings,
    ...(resume ? [] : programs.warnings),
  ];

  const references = await takeReferences(
    header.plan,
    allocators,
    buildSet,
    programs,
    events,
    signal,
    warnings,
  );
  return {
    header,
    allocators: new Map(allocators.map((a) => [a.name, a])),
    buildSet,
    programs,
    refused,
    previous: resume?.runs ?? [],
    journal: await openJournal(plan.output, header, resume),
    file: plan.output,
    warnings,
    resumed: resume !== undefined,
    references,
  };
}

function checkBaseline(
  baseline: string | undefined,
  allocators: readonly ResolvedAllocator[],
): void {
  if (baseline !== undefined && !allocators.some((a) => a.name === baseline))
    throw new UsageError(
      `--baseline: allocator "${baseline}" is not in this run (its allocators: ${allocators.map((a) => a.name).join(", ")})`,
    );
}

/**
 * A resumed run measures with the same harness and the same allocator libraries as its recorded
 * runs: mixing them would compare two versions.
 */
async function checkSameAllocators(
  recorded: ResultsHeader,
  allocators: readonly ResolvedAllocator[],
): Promise<void> {
  await checkSameTool(recorded);
  for (const before of recorded.allocators) {
    const now = allocators.find((a) => a.name === before.name);
    if (!now)
      throw new UsageError(
        `cannot resume: allocator ${before.name} of the recorded plan is not available now${before.lib ? ` (${before.lib})` : ""}; the runs left would be missing it`,
      );
    if (before.sha256 && before.sha256 !== now.sha256) {
      throw new UsageError(
        `cannot resume: allocator ${before.name} (${now.lib ?? before.lib ?? ""}) changed since the recorded runs (sha256 ${before.sha256.slice(0, 12)} then, ${now.sha256?.slice(0, 12) ?? "none"} now); mixing them would measure two libraries: start a new run`,
      );
    }
  }
}

/** The header of a new results file: tool, machine, the plan as resolved, allocators, builds. */
async function newHeader(
  plan: RunPlan,
  resolved: {
    workloads: string[];
    allocators: readonly ResolvedAllocator[];
    buildSet: BuildSet;
    programs: ProgramSet;
    programHashes: ResultsHeader["builds"];
  },
): Promise<ResultsHeader> {
  const { buildSet, allocators } = resolved;
  const header: ResultsHeader = {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: "mallocbench", version: await toolVersion() },
    createdAt: new Date().toISOString(),
    environment: await captureEnvironment([...buildSet.libcs.values()], buildSet.launcher),
    plan: recordedPlan(plan, {
      workloads: resolved.workloads,
      allocators: allocators.map((a) => a.name),
      skipped: resolved.programs.skipped,
    }),
    allocators: allocators.map(allocatorRecord),
    builds: [
      ...[...buildSet.builds.values()].map((b) => ({
        workload: b.workload,
        libc: b.libc,
        toolchain: b.toolchainId,
        hash: b.hash,
        status: b.status,
        ...(b.status === "failed" ? { reason: b.reason } : {}),
      })),
      ...resolved.programHashes,
    ],
  };
  // What the results file could not be read back with (a 5000-character --variant value).
  checkStringLimits(
    header,
    "bench run",
    "the results file would hold what mallocbench refuses to read back",
    "; shorten it",
  );
  return header;
}

/** What about this machine and mode makes the new run's figures noisier or partial. */
function machineWarnings(header: ResultsHeader): string[] {
  const noise = noiseWarnings(header.environment);
  if (header.plan.measure === "instructions") {
    const multi = header.plan.threads.filter((t) => t > 1);
    noise.push(
      multi.length > 0 ? `${CALLGRIND_CAVEAT} (here: t${multi.join(", t")})` : CALLGRIND_CAVEAT,
    );
  }
  if (header.plan.cpus === null && header.environment.cores > 1) {
    noise.push(
      "runs are not pinned: the scheduler may move them between CPUs mid-run, which can split one cell's times into two clusters; --cpus pins them",
    );
  }
  return noise;
}

/**
 * The journal beside the results file: a new one holding the header (and, when resuming without
 * one, the runs so far), or the existing one, appended to.
 */
async function openJournal(
  file: string,
  header: ResultsHeader,
  resume: Resumable | undefined,
): Promise<Journal> {
  const journalFile = journalPathFor(file);
  if (resume?.journalExists) {
    const journal = await Journal.append(journalFile);
    for (const run of resume.unjournaled ?? []) journal.record(run);
    return journal;
  }
  const journal = await Journal.create(journalFile, header);
  for (const run of resume?.runs ?? []) journal.record(run);
  return journal;
}

/** Only programs were asked for and none of their cells can run: say why, measure nothing. */
function refuseIfNothingRuns(
  programs: ProgramSet,
  allocators: readonly ResolvedAllocator[],
  threads: readonly number[],
): void {
  const cells = programs.programs.size * allocators.length * threads.length;
  if (cells === 0 || programs.skipped.length < cells) return;
  const reasons = new Map<string, Set<string>>();
  for (const { cell, reason } of programs.skipped) {
    const workload = cell.split("/")[0] as string;
    if (!reasons.has(workload)) reasons.set(workload, new Set());
    reasons.get(workload)?.add(reason);
  }
  throw new UsageError(
    `nothing to run: ${[...reasons].map(([w, r]) => `${w}: ${[...r].join("; ")}`).join("; ")}`,
  );
}

/** Resuming with another mallocbench would mix runs measured by two versions of the harness. */
async function checkSameTool(recorded: ResultsHeader): Promise<void> {
  const version = await toolVersion();
  if (recorded.tool.version !== version)
    throw new UsageError(
      `cannot resume: the recorded runs were measured by mallocbench ${recorded.tool.version}, this is ${version}; start a new run`,
    );
}

/** External programs are system binaries: the sha256 of each stands in for its build hash. */
async function programBuilds(programs: ProgramSet): Promise<ResultsHeader["builds"]> {
  const builds: ResultsHeader["builds"] = [];
  for (const [name, ready] of programs.programs) {
    const a = ready.availability;
    if (!a.available) continue;
    for (const [libc, binary] of a.builds) {
      const hash = await sha256File(binary);
      builds.push({ workload: name, libc, toolchain: "system", hash, status: "ok" });
    }
  }
  return builds;
}

/**
 * Each workload must build to the same content hash as when its recorded runs were measured, and
 * each external program binary must be the same file.
 */
function checkSameBuilds(
  recorded: ResultsHeader,
  buildSet: BuildSet,
  programHashes: ResultsHeader["builds"],
): void {
  for (const before of recorded.builds) {
    const now =
      before.toolchain === "system"
        ? programHashes.find((p) => p.workload === before.workload && p.libc === before.libc)
        : buildSet.builds.get(buildKey(before.workload, before.libc));
    if (now && now.hash !== before.hash)
      throw new UsageError(
        before.toolchain === "system"
          ? `cannot resume: program ${before.workload} changed since the recorded runs (its binary's sha256 ${before.hash.slice(0, 12)} then, ${now.hash.slice(0, 12)} now); mixing them would measure two binaries: start a new run`
          : `cannot resume: workload ${before.workload} (${before.libc}) changed since the recorded runs (its source or compiler; build hash ${before.hash.slice(0, 12)} then, ${now.hash.slice(0, 12)} now); mixing them would measure two binaries: restore its source or start a new run`,
      );
  }
}

/** The command line of one run of a built-in workload. */
function workloadArgs(cell: Cell, plan: Plan): string[] {
  return [
    "--threads",
    String(cell.threads),
    "--seed",
    String(plan.seed),
    "--size",
    plan.size,
    ...Object.entries(cell.params ?? {}).flatMap(([name, value]) => [`--${name}`, value]),
  ];
}

function referenceKey(binary: string, args: readonly string[]): string {
  return [binary, ...args].join("\0");
}

/** The cells a plan measures: its cross product, less the cells it skips or leaves out. */
function plannedCells(plan: Plan): Cell[] {
  const only = plan.onlyCells ? new Set(plan.onlyCells) : undefined;
  const skipped = new Set((plan.skipped ?? []).map((s) => s.cell));
  return cellsOf(plan.workloads, plan.allocators, plan.threads, plan.params)
    .filter((c) => !only || only.has(cellKey(c)))
    .filter(
      (c) =>
        !skipped.has(cellKey({ workload: c.workload, allocator: c.allocator, threads: c.threads })),
    );
}

/**
 * One reference run per distinct (binary, arguments) of the plan's built-in workloads, under the
 * libc's own malloc, before anything is measured (cached on disk: run/reference.ts).
 */
async function takeReferences(
  plan: Plan,
  allocators: readonly ResolvedAllocator[],
  buildSet: BuildSet,
  programs: ProgramSet,
  events: RunEvents,
  signal: AbortSignal | undefined,
  /** Receives a warning for every reference that could not be taken. */
  warnings: string[],
): Promise<Map<string, ReferenceOutcome>> {
  const byName = new Map(allocators.map((a) => [a.name, a]));
  const references = new Map<string, ReferenceOutcome>();
  const started = Date.now();
  let taken = 0;
  let cached = 0;
  for (const cell of plannedCells(plan)) {
    if (signal?.aborted) break;
    const allocator = byName.get(cell.allocator);
    if (!allocator || programs.programs.has(cell.workload)) continue;
    const build = buildSet.builds.get(buildKey(cell.workload, allocator.libc));
    if (build?.status !== "ok") continue;
    const args = workloadArgs(cell, plan);
    const key = referenceKey(build.binary, args);
    if (references.has(key)) continue;
    const { reference, cached: hit } = await takeReference({
      launcher: buildSet.launcher,
      binary: build.binary,
      libc: allocator.libc,
      libcFacts: buildSet.libcs.get(allocator.libc),
      args,
      expect: {
        threads: cell.threads,
        seed: plan.seed,
        size: plan.size,
        params: cell.params ?? {},
      },
      timeoutMs: plan.timeoutMs,
      cpus: plan.cpus,
      measure: plan.measure,
      ...(signal ? { signal } : {}),
    });
    if (hit) cached += 1;
    else taken += 1;
    if ("error" in reference && !signal?.aborted) {
      const warning = `${reference.error}; runs of ${cell.workload} t${cell.threads} under ${allocator.libc} cannot be checked, and those that succeed are recorded as "result-unverified"`;
      warnings.push(warning);
      events.onWarning?.(warning);
    }
    references.set(key, reference);
  }
  if (taken + cached > 0)
    events.onMessage?.(
      `reference results: ${taken} run under the libc's own malloc (${((Date.now() - started) / 1000).toFixed(1)} s), ${cached} cached`,
    );
  return references;
}

/**
 * Every --param must be a declared parameter of every selected workload, and each value within
 * the range its manifest declares (the range the workload itself enforces), so a bad value fails
 * here rather than in every run.
 */
export function checkParams(
  workloads: readonly {
    name: string;
    kind?: string;
    params: readonly { name: string; min?: number; max?: number }[];
  }[],
  params: Record<string, string[]>,
): void {
  for (const workload of workloads) {
    const declared = workload.params.map((p) => p.name);
    const unknown = Object.keys(params).filter((name) => !declared.includes(name));
    if (unknown.length > 0) {
      throw new UsageError(
        `--param ${unknown.join(", ")}: ${workload.kind === "program" ? "program" : "workload"} ${workload.name} has no such parameter (its parameters: ${declared.join(", ") || "none"}); select workloads that declare it with -w`,
      );
    }
    for (const p of workload.params) {
      for (const value of params[p.name] ?? []) {
        const n = Number(value);
        if ((p.min !== undefined && n < p.min) || (p.max !== undefined && n > p.max))
          throw new UsageError(
            `--param ${p.name}=${value}: out of range for ${workload.kind === "program" ? "program" : "workload"} ${workload.name} (${p.min ?? "any"}..${p.max ?? "any"})`,
          );
      }
    }
  }
}

/** Measure one scheduled run and turn what happened into a record (or null when interrupted). */
async function measureOne(
  item: ScheduledRun,
  seq: number,
  prepared: Prepared,
  plan: Plan,
  signal: AbortSignal | undefined,
): Promise<RunRecord | null> {
  const allocator = prepared.allocators.get(item.cell.allocator) as ResolvedAllocator;
  const base = {
    key: item.key,
    workload: item.cell.workload,
    allocator: allocator.name,
    libc: allocator.libc,
    threads: item.cell.threads,
    ...(item.cell.params ? { params: item.cell.params } : {}),
    size: plan.size,
    round: item.round,
    warmup: item.warmup,
    seq,
    startedAt: new Date().toISOString(),
  };
  const refusal = prepared.refused.get(probeKey(item.cell.workload, allocator.name));
  if (refusal)
    return failedRun(
      base,
      {
        kind: "not-interposed",
        message: `${refusal.message} (found by the probe before measuring; not run)`,
      },
      refusal.identity,
    );
  if (prepared.programs.programs.has(item.cell.workload))
    return measureProgram(
      prepared.programs,
      base,
      allocator,
      prepared.buildSet.launcher,
      plan,
      signal,
    );
  return measureWorkload(base, item.cell, allocator, prepared, plan, signal);
}

/**
 * What one run of a built-in workload launches: its binary for the allocator's libc with the
 * cell's arguments and the result channel, the allocator preloaded (or, for the libc's own
 * malloc, any inherited LD_PRELOAD removed).
 */
function workloadLaunch(
  launcher: string,
  binary: string,
  cell: Cell,
  allocator: ResolvedAllocator,
  plan: Plan,
): LaunchRequest {
  return {
    launcher,
    program: binary,
    args: workloadArgs(cell, plan),
    resultChannel: true,
    setEnv: {
      ...allocator.env,
      ...(allocator.lib ? { LD_PRELOAD: preloadPath(allocator.lib) } : {}),
    },
    unsetEnv: allocator.lib ? [] : ["LD_PRELOAD"],
    timeoutMs: plan.timeoutMs,
    rssIntervalMs: plan.rssIntervalMs,
    cpus: plan.cpus,
  };
}

/** One run of a built-in workload: launched with its result channel, judged by classify. */
async function measureWorkload(
  base: RunBase,
  cell: Cell,
  allocator: ResolvedAllocator,
  prepared: Prepared,
  plan: Plan,
  signal: AbortSignal | undefined,
): Promise<RunRecord | null> {
  const build = prepared.buildSet.builds.get(buildKey(cell.workload, allocator.libc));
  if (!build || build.status === "failed")
    return failedRun(
      base,
      {
        kind: "build-failed",
        message:
          build?.status === "failed"
            ? build.reason
            : `no ${allocator.libc} build of ${cell.workload}`,
      },
      null,
    );
  const libcMalloc = allocator.lib ? undefined : allocator.libc;
  const request = workloadLaunch(prepared.buildSet.launcher, build.binary, cell, allocator, plan);
  const { args } = request;
  const { outcome, counted } = await launchMeasured(plan.measure, libcMalloc, {
    ...request,
    ...(signal ? { signal } : {}),
  });
  const matcher = identityMatcher(allocator, prepared.buildSet.libcs.get(allocator.libc));
  const reference = prepared.references.get(referenceKey(build.binary, args)) ?? {
    error: "none was taken for these arguments",
  };
  const verdict = classify(outcome, matcher.expected, matcher.matches, { reference });
  if (verdict.status === "interrupted") return null;
  if (verdict.status === "failed")
    return failedRun(
      base,
      { kind: verdict.kind, message: verdict.message },
      verdict.identity,
      outcome,
    );
  const metrics = metricsOf(outcome.record);
  const { ops, seconds } = verdict.result;
  if (!metrics) throw new Error(`launcher reported a successful run without rusage: ${base.key}`);
  const more = runExtras(outcome, verdict.result, metrics, counted);
  if (counted)
    for (const k of ["cycles", "cacheMisses", "branchMisses"] as const) delete metrics[k];
  return {
    ...base,
    ...launchExtras(outcome),
    ...more.record,
    status: "ok",
    identity: verdict.identity,
    metrics: {
      ...metrics,
      ops,
      seconds,
      ...(seconds > 0 ? { opsPerSecond: ops / seconds } : {}),
      ...more.metrics,
    },
    checksum: typeof verdict.result.checksum === "string" ? verdict.result.checksum : null,
  };
}

/** The final write; when it fails the journal still holds every run, and the message says so. */
async function writeResults(prepared: Prepared, results: ResultsFile): Promise<void> {
  try {
    await writeJsonAtomic(prepared.file, results);
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new EnvironmentError(
      `cannot write the results file ${prepared.file} (${why}); every finished run is kept in ${prepared.journal.file}: fix the cause (disk space, permissions, a directory in the way), then run bench run --resume ${prepared.file}`,
    );
  }
}

function assemble(
  prepared: Prepared,
  runs: RunRecord[],
  complete: boolean,
  warnings: string[],
): ResultsFile {
  return {
    ...prepared.header,
    finishedAt: complete ? new Date().toISOString() : null,
    complete,
    warnings,
    runs,
  };
}

/**
 * Take the machine lock and the results file's own lock; the returned function releases both.
 * process.exit (a second Ctrl-C) skips finally blocks, so an exit hook releases them then.
 */
async function holdLocks(lockFile: string | undefined, results: string): Promise<() => void> {
  const lock = await acquireLock(lockFile);
  const fileLock = await acquireResultsLock(results).catch((error: unknown) => {
    lock.release();
    throw error;
  });
  const release = (): void => {
    process.off("exit", release);
    fileLock.release();
    lock.release();
  };
  process.once("exit", release);
  return release;
}

/** `bench run`: plan, build, probe, measure in seeded rounds, journal each run, write the results. */
export async function runBenchmark(
  options: RunOptions,
  events: RunEvents = {},
): Promise<RunOutcome> {
  const output = checkRunOutput(options.output, options.force ?? false);
  checkCacheDir();
  const release = await holdLocks(options.lockFile, output);
  try {
    const prepared = await prepare(planFromOptions({ ...options, output }), events, options.signal);
    return await measureAll(prepared, events, options.signal, options.sequential);
  } finally {
    release();
  }
}

/**
 * A new run's results file and journal must be new: an existing one holds measured runs that
 * `--resume` continues, and only --force discards them (the journal is restarted when measuring
 * begins, the results file replaced when written).
 */
export function checkRunOutput(output: string, force: boolean): string {
  const hint = `continue it with bench run --resume ${output}, choose another -o, or pass --force to discard it`;
  const file = checkOutputFile(output, { flag: "-o", overwrite: "never", force, forceHint: hint });
  checkOutputFile(journalPathFor(file), {
    flag: "-o: its journal",
    overwrite: "never",
    force,
    forceHint: `an interrupted run left it; ${hint}`,
  });
  return file;
}

/** `bench run --resume`: the recorded plan, minus the runs already finished. */
export async function resumeBenchmark(
  target: string,
  options: Pick<RunOptions, "lockFile" | "signal" | "baseline">,
  events: RunEvents = {},
): Promise<RunOutcome> {
  const release = await holdLocks(options.lockFile, target);
  try {
    const resumable = await loadResumable(target);
    checkCacheDir();
    const prepared = await prepare(
      planFromRecorded(resumable, options.baseline),
      events,
      options.signal,
    );
    return await measureAll(prepared, events, options.signal);
  } finally {
    release();
  }
}

function measuredRuns(runs: readonly RunRecord[], cell: Cell): RunRecord[] {
  return runs.filter(
    (r) =>
      !r.warmup &&
      r.workload === cell.workload &&
      r.allocator === cell.allocator &&
      r.threads === cell.threads &&
      sameParams(r.params, cell.params),
  );
}

/**
 * Whether a cell reached the plan's precision: the distribution-free CI of the median of its
 * measured region has a half-width within `precision` of the median. Cells whose runs fail are
 * left alone: more failing runs would not help.
 */
function reachedPrecision(runs: readonly RunRecord[], cell: Cell, plan: Plan): boolean {
  if (plan.precision === undefined) return true;
  const mine = measuredRuns(runs, cell);
  const values = valuesOf(mine, "seconds");
  if (values.length !== mine.length) return true;
  const { medianCi, median } = describe(values);
  if (!medianCi) return false;
  return (medianCi.upper - medianCi.lower) / 2 <= plan.precision * median;
}

/**
 * Run every scheduled run not yet done, journaling each as it ends. The results file is written
 * at the end whatever happens (complete, interrupted, or a harness error), so nothing measured is
 * lost; `complete` says whether `--resume` has anything left to do.
 */
async function measureAll(
  prepared: Prepared,
  events: RunEvents,
  signal: AbortSignal | undefined,
  sequential?: RunOptions["sequential"],
): Promise<RunOutcome> {
  const plan = prepared.header.plan;
  const cells = plannedCells(plan);
  const all = schedule(cells, plan.warmup, plan.runs, plan.seed);
  const done = new Set(prepared.previous.map((r) => r.key));
  const todo = all.filter((item) => !done.has(item.key));
  const runs = [...prepared.previous];
  let seq = runs.reduce((max, r) => Math.max(max, r.seq + 1), 0);
  const warnings = [...prepared.warnings];
  if (prepared.resumed) {
    warnings.push(`resumed at ${new Date().toISOString()} with ${todo.length} run(s) left`);
  }

  events.onStart?.({
    total: all.length,
    alreadyDone: all.length - todo.length,
    file: prepared.file,
    journal: prepared.journal.file,
  });
  const started = Date.now();
  let measured = 0;
  let interrupted = false;
  let complete = false;
  let total = all.length;
  let left = todo.length;

  /** Measure one scheduled run; false when the run was interrupted. */
  const measureItem = async (item: ScheduledRun): Promise<boolean> => {
    if (signal?.aborted) return false;
    let record: RunRecord | null;
    try {
      record = await measureOne(item, seq, prepared, plan, signal);
    } catch (error) {
      if (error instanceof InterruptedError) return false;
      throw error;
    }
    if (record === null) return false;
    seq += 1;
    measured += 1;
    left -= 1;
    runs.push(record);
    prepared.journal.record(record);
    const elapsedMs = Date.now() - started;
    events.onRun?.(record, {
      done: total - left,
      total,
      elapsedMs,
      etaMs: (elapsedMs / measured) * left,
    });
    return true;
  };

  try {
    for (const item of todo) {
      if (!(await measureItem(item))) {
        interrupted = true;
        break;
      }
    }
    if (!interrupted && (plan.precision !== undefined || sequential)) {
      // Adaptive sampling: extra rounds over the cells whose median CI is still too wide, or
      // (sequential) over the cells the caller's stopping rule keeps open.
      let round = plan.runs;
      const maxTimeMs = sequential ? sequential.maxTimeMs : plan.maxTimeMs;
      for (;;) {
        const maxRuns = plan.maxRuns ?? Number.POSITIVE_INFINITY;
        const keep = sequential ? new Set(sequential.open(runs)) : undefined;
        const open = keep
          ? cells.filter((c) => keep.has(cellKey(c)))
          : cells.filter(
              (c) => !reachedPrecision(runs, c, plan) && measuredRuns(runs, c).length < maxRuns,
            );
        const outOfTime = maxTimeMs !== undefined && Date.now() - started >= maxTimeMs;
        if (open.length === 0 || outOfTime) break;
        const order = shuffled(open, mulberry32(deriveSeed(plan.seed, plan.warmup + round)));
        const extra = order
          .map((cell) => ({ key: `${cellKey(cell)}#r${round}`, cell, warmup: false, round }))
          .filter((item) => !done.has(item.key));
        total += extra.length;
        left += extra.length;
        for (const item of extra) {
          if (!(await measureItem(item))) {
            interrupted = true;
            break;
          }
        }
        if (interrupted) break;
        round += 1;
      }
      if (!interrupted && plan.precision !== undefined) {
        const open = cells.filter((c) => !reachedPrecision(runs, c, plan)).map(cellKey);
        if (open.length > 0) {
          const why = `did not reach ±${(plan.precision * 100).toFixed(1)}% (median CI half-width) within ${plan.maxRuns} runs${plan.maxTimeMs !== undefined ? ` or ${Math.round(plan.maxTimeMs / 1000)} s` : ""}`;
          const message = `${open.length} cell(s) ${why}: ${open.join(", ")}`;
          warnings.push(message);
          events.onWarning?.(message);
        }
      }
    }
    complete = !interrupted;
  } finally {
    prepared.journal.close();
    await writeResults(prepared, assemble(prepared, runs, complete, warnings));
  }
  const results = assemble(prepared, runs, complete, warnings);
  return {
    file: prepared.file,
    journal: prepared.journal.file,
    results,
    interrupted,
    remaining: complete ? 0 : Math.max(1, left),
  };
}
