import { randomInt } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { parseAllocatorArg, type AllocatorSpec } from "../allocators/index.js";
import { hostMachine } from "../platform/elf.js";
import {
  DEFAULT_RSS_INTERVAL_MS,
  PRESETS,
  defaultThreads,
  loadConfigFile,
  parseCpus,
  parseDuration,
  parseParams,
  type Size,
} from "../config.js";
import { UsageError } from "../errors.js";
import { InterruptedError, interruptChildren } from "../util/exec.js";
import {
  allocatorNotes,
  combineVariants,
  parseVariantArgs,
  variantsFromConfig,
} from "../allocators/variants.js";
import { resumeBenchmark, runBenchmark, type RunOutcome } from "../run/runner.js";
import { formatSummary, summarize } from "../report/run-summary.js";
import { progressReporter } from "./progress.js";
import { attachHardening } from "../hardening/attach.js";
import { formatMatrix } from "../hardening/matrix.js";
import { writeOut, writeErr } from "../util/text.js";

/** bench run's flags, parsed and bounds-checked by commander (src/cli.ts). */
export interface RunCommandOptions {
  workloads?: string[] | "all";
  programs?: boolean;
  allocators?: string[];
  allocator?: string[];
  variant?: string[];
  threads?: number[];
  param?: string[];
  runs?: number;
  warmup?: number;
  quick?: boolean;
  preset?: string;
  seed?: number;
  /** Milliseconds. */
  timeout?: number;
  cpus?: string;
  rssInterval?: number;
  /** "instructions": count under callgrind. */
  metric?: "time" | "instructions";
  output?: string;
  force?: boolean;
  resume?: string;
  workloadDir?: string[];
  config?: string;
  baseline?: string;
  quiet?: boolean;
  precision?: number;
  maxRuns?: number;
  /** Milliseconds. */
  maxTime?: number;
  hardening?: boolean;
}

export function defaultOutputPath(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const host = os.hostname().replace(/[^A-Za-z0-9_.-]/g, "_");
  return path.join("results", `${stamp}-${host}-${hostMachine()}.json`);
}

const RESUME_IGNORES: (keyof RunCommandOptions)[] = [
  "workloads",
  "allocators",
  "allocator",
  "variant",
  "threads",
  "param",
  "runs",
  "warmup",
  "quick",
  "preset",
  "seed",
  "timeout",
  "cpus",
  "rssInterval",
  "metric",
  "output",
  "force",
  "precision",
  "maxRuns",
  "maxTime",
];

/** `bench run`: flags and config file -> RunOptions; prints progress and the summary; returns the exit code. */
export async function runCommand(opts: RunCommandOptions): Promise<number> {
  const controller = new AbortController();
  let signals = 0;
  let code = 130;
  let measuring = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    // Builds and probes stop at once; the run being measured stops through the launcher.
    interruptChildren(signal);
    if (signals === 1) {
      code = signal === "SIGTERM" ? 143 : 130;
      if (measuring)
        writeErr(
          "\ninterrupting: stopping the current run and saving every finished one (Ctrl-C again to abandon)\n",
        );
      controller.abort();
    } else {
      process.exit(code);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const reporter = progressReporter(process.stderr, opts.quiet);
  const progress: typeof reporter = {
    ...reporter,
    onStart(info) {
      measuring = true;
      reporter.onStart?.(info);
    },
  };
  let outcome: RunOutcome;
  try {
    if (opts.resume) {
      const given = RESUME_IGNORES.filter((k) => opts[k] !== undefined);
      if (given.length > 0) {
        throw new UsageError(
          `--resume continues the recorded plan: drop ${given.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(", ")}`,
        );
      }
      outcome = await resumeBenchmark(
        opts.resume,
        {
          signal: controller.signal,
          ...(opts.baseline !== undefined ? { baseline: opts.baseline } : {}),
        },
        progress,
      );
    } else {
      outcome = await runBenchmark(await resolveRunOptions(opts, controller.signal), progress);
    }
  } catch (error) {
    if (!(error instanceof InterruptedError)) throw error;
    // Before the first measured run: nothing is lost, and the lock is already released.
    progress.finish();
    process.stderr.write(
      `bench: interrupted by ${error.signal} before measuring; nothing was measured\n`,
    );
    return code;
  } finally {
    progress.finish();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  const summary = summarize(outcome.results, opts.baseline);
  writeOut(`\n${formatSummary(summary)}\n`);
  const notes = allocatorNotes(outcome.results.allocators);
  if (notes.length > 0) writeOut(`\n${notes.join("\n")}\n`);
  writeOut(`\nresults: ${outcome.file}\n`);
  if (opts.hardening && !outcome.interrupted && outcome.remaining === 0) {
    const report = await attachHardening(outcome.file, outcome.results, {
      onMessage: (m) => {
        if (!opts.quiet) writeErr(`${m}\n`);
      },
    });
    if (report) writeOut(`\nhardening probes:\n${formatMatrix(report)}\n`);
  }
  if (outcome.interrupted || outcome.remaining > 0) {
    writeErr(
      `interrupted: ${outcome.results.runs.length} finished run(s) kept, ${outcome.remaining} left. Complete them with:\n  bench run --resume ${outcome.file}\n`,
    );
    return code;
  }
  return summary.failedRuns > 0 ? 1 : 0;
}

export async function resolveRunOptions(
  opts: RunCommandOptions,
  signal?: AbortSignal,
): Promise<Parameters<typeof runBenchmark>[0]> {
  const { config } = await loadConfigFile(opts.config);
  if (opts.quick && opts.preset && opts.preset !== "quick")
    throw new UsageError(`--quick and --preset ${opts.preset} disagree: pick one`);
  const presetName = opts.quick ? "quick" : (opts.preset ?? config.preset ?? "default");
  if (!(presetName in PRESETS))
    throw new UsageError(
      `--preset: unknown preset "${presetName}" (valid: ${Object.keys(PRESETS).join(", ")})`,
    );
  const preset = PRESETS[presetName as Size];

  const userAllocators: AllocatorSpec[] = [];
  for (const [name, value] of Object.entries(config.allocators ?? {})) {
    if (typeof value !== "string" && !("lib" in value)) continue; // a variant
    const lib = typeof value === "string" ? value : value.lib;
    const spec = parseAllocatorArg(`${name}=${lib}`);
    spec.source = "config";
    if (typeof value !== "string" && value.env) spec.env = { ...value.env };
    userAllocators.push(spec);
  }
  for (const arg of opts.allocator ?? []) {
    const spec = parseAllocatorArg(arg);
    const existing = userAllocators.findIndex((u) => u.name === spec.name);
    if (existing >= 0) userAllocators.splice(existing, 1);
    userAllocators.push(spec);
  }

  // Allocators given with --allocator join an explicit -a list automatically.
  let allocators: string[] | "all" = "all";
  if (opts.allocators) {
    allocators = [...opts.allocators];
    for (const u of userAllocators)
      if (
        !allocators.includes(u.name) &&
        (opts.allocator ?? []).some((a) => a.startsWith(`${u.name}=`))
      )
        allocators.push(u.name);
  }
  const flagVariants = parseVariantArgs(opts.variant ?? []);
  const variants = combineVariants(variantsFromConfig(config.allocators ?? {}), flagVariants);
  // Variants given with --variant join an explicit -a list too, each after its base.
  if (allocators !== "all") {
    for (const v of flagVariants) {
      if (!allocators.includes(v.base)) allocators.push(v.base);
      if (!allocators.includes(v.name)) allocators.push(v.name);
    }
  }

  if ((opts.maxRuns !== undefined || opts.maxTime !== undefined) && opts.precision === undefined) {
    throw new UsageError("--max-runs and --max-time bound adaptive sampling: give --precision too");
  }
  const { precision, maxRuns } = opts;
  if (precision !== undefined && precision <= 0)
    throw new UsageError("--precision must be above 0 (e.g. 2%)");
  const runs = opts.runs ?? config.runs ?? preset.runs;
  if (maxRuns !== undefined && maxRuns < runs)
    throw new UsageError(`--max-runs ${maxRuns} is below --runs ${runs}`);

  const cpus = opts.cpus ?? (config.cpus ? parseCpus(config.cpus) : null);
  return {
    ...(precision !== undefined ? { precision } : {}),
    ...(maxRuns !== undefined ? { maxRuns } : {}),
    ...(opts.maxTime !== undefined ? { maxTimeMs: opts.maxTime } : {}),
    workloads: opts.workloads ?? config.workloads ?? "all",
    allocators,
    userAllocators,
    variants,
    threads: opts.threads ?? config.threads ?? defaultThreads(cpus),
    ...(opts.param?.length ? { params: parseParams(opts.param) } : {}),
    preset: presetName,
    size: preset.size,
    runs,
    warmup: opts.warmup ?? config.warmup ?? preset.warmup,
    seed: opts.seed ?? randomInt(1, 2 ** 31 - 1),
    timeoutMs:
      opts.timeout ??
      (config.timeout ? parseDuration(config.timeout, "timeout (config)") : preset.timeoutMs),
    cpus,
    ...(opts.metric === "instructions" ? { measure: "instructions" as const } : {}),
    rssIntervalMs: opts.rssInterval ?? DEFAULT_RSS_INTERVAL_MS,
    output: path.resolve(opts.output ?? defaultOutputPath()),
    ...(opts.force ? { force: true } : {}),
    ...(opts.programs ? { programs: true } : {}),
    workloadDirs: [
      ...(config.workloadDirs ?? []),
      ...(opts.workloadDir ?? []).map((d) => path.resolve(d)),
    ],
    ...(signal ? { signal } : {}),
    ...(opts.baseline !== undefined ? { baseline: opts.baseline } : {}),
  };
}
