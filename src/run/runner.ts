import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { AllocatorSpec, Libc, ResolvedAllocator } from "../allocators/types.js";
import { type Size } from "../config.js";
import { UsageError } from "../errors.js";
import { launch } from "../measure/launcher.js";
import { packageRoot } from "../paths.js";
import { cellKey, cellsOf, schedule, type ScheduledRun } from "../plan/schedule.js";
import { captureEnvironment, noiseWarnings } from "../results/environment.js";
import {
  Journal,
  journalPathFor,
  loadResults,
  readJournal,
  writeJsonAtomic,
} from "../results/io.js";
import {
  SCHEMA_VERSION,
  type AllocatorRecord,
  type Plan,
  type ResultsFile,
  type ResultsHeader,
  type RunRecord,
} from "../results/schema.js";
import { loadWorkloads, selectWorkloads, workloadRoots } from "../workloads/registry.js";
import { classify, metricsOf, perfUnavailable, tail, timelineOf } from "./classify.js";
import { acquireLock } from "./lock.js";
import {
  buildAll,
  buildKey,
  identify,
  identityMatcher,
  toolchainsByLibc,
  type BuildSet,
} from "./prepare.js";
import { resolveForRun } from "./select-allocators.js";

export interface RunOptions {
  workloads: string[] | "all";
  allocators: string[] | "all";
  /** From --allocator name=path and the config file. */
  userAllocators: AllocatorSpec[];
  threads: number[];
  preset: string;
  size: Size;
  runs: number;
  warmup: number;
  seed: number;
  timeoutMs: number;
  cpus: string | null;
  rssIntervalMs: number;
  output: string;
  workloadDirs: string[];
  lockFile?: string;
  signal?: AbortSignal;
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
  return record;
}

interface Prepared {
  header: ResultsHeader;
  allocators: Map<string, ResolvedAllocator>;
  buildSet: BuildSet;
  previous: RunRecord[];
  journal: Journal;
  file: string;
  warnings: string[];
}

/** Everything before the first measured run: resolve, validate, build, probe, open the journal. */
async function prepare(
  options: RunOptions,
  events: RunEvents,
  resume?: { header: ResultsHeader; runs: RunRecord[]; file: string; journalExists: boolean },
): Promise<Prepared> {
  const plan = resume?.header.plan;
  const roots = plan ? plan.workloadRoots : workloadRoots(options.workloadDirs);
  const allWorkloads = await loadWorkloads(roots);
  const workloads = selectWorkloads(allWorkloads, plan ? plan.workloads : options.workloads);
  const toolchains = await toolchainsByLibc();

  const userAllocators = resume
    ? resume.header.allocators
        .filter((a) => (a.source === "user" || a.source === "config") && a.lib)
        .map((a): AllocatorSpec => ({
          name: a.name,
          family: a.family,
          lib: a.lib as string,
          libc: a.libc,
          env: a.env,
          source: a.source,
        }))
    : options.userAllocators;
  const { allocators, warnings: selectionWarnings } = await resolveForRun({
    requested: plan ? plan.allocators : options.allocators,
    userAllocators,
    libcs: [...toolchains.keys()],
  });
  for (const w of selectionWarnings) events.onWarning?.(w);

  if (resume) {
    for (const before of resume.header.allocators) {
      const now = allocators.find((a) => a.name === before.name);
      if (now && before.sha256 && now.sha256 && before.sha256 !== now.sha256) {
        throw new UsageError(
          `cannot resume: allocator ${before.name} (${now.lib ?? ""}) changed since the run started (sha256 differs)`,
        );
      }
    }
  }

  const libcs = [...new Set(allocators.map((a) => a.libc))];
  events.onMessage?.(`building ${workloads.length} workload(s) for ${libcs.join(", ")}`);
  const buildSet = await buildAll(toolchains, workloads, libcs, (m) => events.onMessage?.(m));

  // Probe: prove each preload takes effect before spending time on it.
  const probeWarnings: string[] = [];
  for (const allocator of allocators) {
    const build = [...buildSet.builds.values()].find(
      (b) => b.libc === allocator.libc && b.status === "ok",
    );
    if (build?.status !== "ok") continue;
    const setEnv = { ...allocator.env, ...(allocator.lib ? { LD_PRELOAD: allocator.lib } : {}) };
    const id = await identify(build.binary, setEnv);
    const matcher = identityMatcher(allocator, buildSet.libcs.get(allocator.libc));
    if ("error" in id) {
      probeWarnings.push(`allocator ${allocator.name}: probe failed: ${id.error}`);
    } else if (!matcher.matches(id.malloc)) {
      probeWarnings.push(
        `allocator ${allocator.name}: preload did not take effect (malloc comes from ${id.malloc}); its runs will be recorded as "allocator not interposed"`,
      );
    }
  }
  for (const w of probeWarnings) events.onWarning?.(w);

  const newPlan: Plan = plan ?? {
    workloads: workloads.map((w) => w.name),
    allocators: allocators.map((a) => a.name),
    threads: options.threads,
    size: options.size,
    preset: options.preset,
    runs: options.runs,
    warmup: options.warmup,
    seed: options.seed,
    timeoutMs: options.timeoutMs,
    cpus: options.cpus,
    rssIntervalMs: options.rssIntervalMs,
    workloadRoots: roots,
  };

  const header: ResultsHeader = resume?.header ?? {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: "mallocbench", version: await toolVersion() },
    createdAt: new Date().toISOString(),
    environment: await captureEnvironment([...buildSet.libcs.values()], buildSet.launcher),
    plan: newPlan,
    allocators: allocators.map(allocatorRecord),
    builds: [...buildSet.builds.values()].map((b) => ({
      workload: b.workload,
      libc: b.libc,
      toolchain: b.toolchainId,
      hash: b.hash,
      status: b.status,
      ...(b.status === "failed" ? { reason: b.reason } : {}),
    })),
  };
  const warnings = resume
    ? []
    : [...noiseWarnings(header.environment), ...selectionWarnings, ...probeWarnings];
  if (!resume) for (const w of noiseWarnings(header.environment)) events.onWarning?.(w);

  const file = resume?.file ?? options.output;
  const journalFile = journalPathFor(file);
  let journal: Journal;
  if (resume?.journalExists) {
    journal = await Journal.append(journalFile);
  } else {
    journal = await Journal.create(journalFile, header);
    for (const run of resume?.runs ?? []) journal.record(run);
  }
  return {
    header,
    allocators: new Map(allocators.map((a) => [a.name, a])),
    buildSet,
    previous: resume?.runs ?? [],
    journal,
    file,
    warnings,
  };
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
    size: plan.size,
    round: item.round,
    warmup: item.warmup,
    seq,
    startedAt: new Date().toISOString(),
  };
  const build = prepared.buildSet.builds.get(buildKey(item.cell.workload, allocator.libc));
  if (!build || build.status === "failed") {
    return {
      ...base,
      status: "failed",
      identity: null,
      failure: {
        kind: "build-failed",
        message:
          build?.status === "failed"
            ? build.reason
            : `no ${allocator.libc} build of ${item.cell.workload}`,
      },
      exitCode: null,
      signal: null,
      stderrTail: "",
    };
  }
  const outcome = await launch({
    launcher: prepared.buildSet.launcher,
    program: build.binary,
    args: [
      "--threads",
      String(item.cell.threads),
      "--seed",
      String(plan.seed),
      "--size",
      plan.size,
    ],
    setEnv: { ...allocator.env, ...(allocator.lib ? { LD_PRELOAD: allocator.lib } : {}) },
    unsetEnv: allocator.lib ? [] : ["LD_PRELOAD"],
    timeoutMs: plan.timeoutMs,
    rssIntervalMs: plan.rssIntervalMs,
    cpus: plan.cpus,
    ...(signal ? { signal } : {}),
  });
  const matcher = identityMatcher(allocator, prepared.buildSet.libcs.get(allocator.libc));
  const verdict = classify(outcome, matcher.expected, matcher.matches);
  if (verdict.status === "interrupted") return null;
  const metrics = metricsOf(outcome.record);
  const extras = {
    ...(timelineOf(outcome.record) ? { timeline: timelineOf(outcome.record) } : {}),
    ...(perfUnavailable(outcome.record)
      ? { perfUnavailable: perfUnavailable(outcome.record) }
      : {}),
  };
  if (verdict.status === "ok") {
    const { ops, seconds } = verdict.result;
    return {
      ...base,
      ...extras,
      status: "ok",
      identity: verdict.identity,
      metrics: {
        ...metrics,
        ops,
        seconds,
        ...(seconds > 0 ? { opsPerSecond: ops / seconds } : {}),
      },
      checksum: typeof verdict.result.checksum === "string" ? verdict.result.checksum : null,
    };
  }
  const reaped = outcome.record.status !== "spawn-failed";
  return {
    ...base,
    ...extras,
    status: "failed",
    identity: verdict.identity,
    failure: { kind: verdict.kind, message: verdict.message },
    ...(reaped ? { metrics } : {}),
    exitCode: outcome.record.exitCode,
    signal: outcome.record.signalName,
    stderrTail: tail(outcome.stderr),
  };
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

/** `bench run`: plan, build, probe, measure in seeded rounds, journal each run, write the results. */
export async function runBenchmark(
  options: RunOptions,
  events: RunEvents = {},
): Promise<RunOutcome> {
  const lock = acquireLock(options.lockFile);
  try {
    return await runLocked(options, events);
  } finally {
    lock.release();
  }
}

/** Load what an earlier invocation left: the journal when present (it has every finished run), else the results file. */
export async function loadResumable(target: string): Promise<{
  header: ResultsHeader;
  runs: RunRecord[];
  file: string;
  journalExists: boolean;
  complete: boolean;
}> {
  const file = target.endsWith(".journal") ? target.slice(0, -".journal".length) : target;
  const journalFile = journalPathFor(file);
  if (existsSync(journalFile)) {
    const { header, runs } = await readJournal(journalFile);
    let complete = false;
    if (existsSync(file)) complete = (await loadResults(file)).complete;
    return { header, runs, file, journalExists: true, complete };
  }
  if (!existsSync(file)) throw new UsageError(`--resume: ${target} does not exist`);
  const results = await loadResults(file);
  const { runs, finishedAt: _f, complete, warnings: _w, ...header } = results;
  return { header, runs, file, journalExists: false, complete };
}

export async function resumeBenchmark(
  target: string,
  options: Pick<RunOptions, "lockFile" | "signal">,
  events: RunEvents = {},
): Promise<RunOutcome> {
  const lock = acquireLock(options.lockFile);
  try {
    const resumable = await loadResumable(target);
    const fake = { ...options, output: resumable.file } as RunOptions;
    return await runLocked(fake, events, resumable);
  } finally {
    lock.release();
  }
}

async function runLocked(
  options: RunOptions,
  events: RunEvents,
  resume?: { header: ResultsHeader; runs: RunRecord[]; file: string; journalExists: boolean },
): Promise<RunOutcome> {
  const prepared = await prepare(options, events, resume);
  const plan = prepared.header.plan;
  const cells = cellsOf(plan.workloads, plan.allocators, plan.threads);
  const all = schedule(cells, plan.warmup, plan.runs, plan.seed);
  const done = new Set(prepared.previous.map((r) => r.key));
  const todo = all.filter((item) => !done.has(item.key));
  const runs = [...prepared.previous];
  let seq = runs.reduce((max, r) => Math.max(max, r.seq + 1), 0);
  const warnings = [...(resume ? [] : prepared.warnings)];
  if (resume)
    warnings.push(`resumed at ${new Date().toISOString()} with ${todo.length} run(s) left`);

  events.onStart?.({
    total: all.length,
    alreadyDone: all.length - todo.length,
    file: prepared.file,
    journal: prepared.journal.file,
  });
  const started = Date.now();
  let measured = 0;
  let interrupted = false;
  try {
    for (const item of todo) {
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      const record = await measureOne(item, seq, prepared, plan, options.signal);
      if (record === null) {
        interrupted = true;
        break;
      }
      seq += 1;
      measured += 1;
      runs.push(record);
      prepared.journal.record(record);
      const elapsedMs = Date.now() - started;
      const left = todo.length - measured;
      events.onRun?.(record, {
        done: all.length - left,
        total: all.length,
        elapsedMs,
        etaMs: measured > 0 ? (elapsedMs / measured) * left : null,
      });
    }
  } finally {
    prepared.journal.close();
  }
  const remaining = all.length - runs.filter((r) => all.some((s) => s.key === r.key)).length;
  const complete = remaining === 0 && !interrupted;
  const previousWarnings =
    resume && existsSync(prepared.file)
      ? ((await loadResults(prepared.file).catch(() => undefined))?.warnings ?? [])
      : [];
  const results = assemble(prepared, runs, complete, [...previousWarnings, ...warnings]);
  await writeJsonAtomic(prepared.file, results);
  return { file: prepared.file, journal: prepared.journal.file, results, interrupted, remaining };
}

export { cellKey };
export type { Libc };
