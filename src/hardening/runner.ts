import type { AllocatorSpec, ResolvedAllocator } from "../allocators/types.js";
import { launch } from "../measure/launcher.js";
import { buildAll, buildKey, identityMatcher, toolchainsByLibc } from "../setup/prepare.js";
import { resolveForRun } from "../setup/allocators.js";
import { classifyProbe, detectionOf, summariseTrials } from "./verdict.js";
import { loadProbes, probesDir, type Probe } from "./probes.js";
import type { HardeningCell, HardeningReport, ProbeTrial } from "../results/hardening-schema.js";
import { preloadPath } from "../allocators/preload.js";

/** Each probe is a few allocations long; anything still running after this is hung. */
export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;

/**
 * Runs of each probe per allocator: where the heap is mapped changes between runs, and with it
 * whether some misuse is caught (docs/hardening.md); five runs show such a cell as flaky.
 */
export const DEFAULT_PROBE_TRIALS = 5;

/** What a probe run needs of an allocator (a validated one: resolved now, or recorded by a run). */
export type HardeningAllocator = Pick<
  ResolvedAllocator,
  "name" | "family" | "libc" | "lib" | "realLib" | "env" | "source"
>;

/** Resolve and validate allocators by name, exactly as `bench run` does. */
export async function resolveHardeningAllocators(
  requested: readonly string[] | "all",
  userAllocators: readonly AllocatorSpec[] = [],
): Promise<{ allocators: HardeningAllocator[]; warnings: string[] }> {
  const toolchains = await toolchainsByLibc();
  return resolveForRun({ requested, userAllocators, libcs: [...toolchains.keys()] });
}

export interface HardeningOptions {
  allocators: readonly HardeningAllocator[];
  /** Carried into the report (e.g. allocators skipped while resolving). */
  warnings?: readonly string[];
  timeoutMs?: number;
  /** Runs of each probe per allocator (default {@link DEFAULT_PROBE_TRIALS}). */
  trials?: number;
  /** Directory with probes.json and the probe sources (default workloads/hardening). */
  probesDir?: string;
  signal?: AbortSignal;
  onMessage?: (message: string) => void;
  onCell?: (cell: HardeningCell) => void;
}

export interface HardeningOutcome {
  report: HardeningReport;
  interrupted: boolean;
}

/**
 * Run every probe under every allocator, each in its own process under the native launcher,
 * with the allocator applied as for workloads: LD_PRELOAD of the validated library, or the
 * probe built for the allocator's libc.
 */
export async function runHardening(options: HardeningOptions): Promise<HardeningOutcome> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const trials = options.trials ?? DEFAULT_PROBE_TRIALS;
  const probes: Probe[] = await loadProbes(options.probesDir ?? probesDir());
  const toolchains = await toolchainsByLibc();
  const allocators = options.allocators;
  const warnings = [...(options.warnings ?? [])];
  const libcs = [...new Set(allocators.map((a) => a.libc))];
  options.onMessage?.(`building ${probes.length} hardening probe(s) for ${libcs.join(", ")}`);
  const buildSet = await buildAll(
    toolchains,
    probes.map((p) => p.workload),
    libcs,
    (m) => options.onMessage?.(m),
  );

  const cells: HardeningCell[] = [];
  let interrupted = false;
  outer: for (const allocator of allocators) {
    const matcher = identityMatcher(allocator, buildSet.libcs.get(allocator.libc));
    for (const probe of probes) {
      if (options.signal?.aborted) {
        interrupted = true;
        break outer;
      }
      const runs: ProbeRun[] = [];
      for (let i = 0; i < trials; i++) {
        const run = await runProbe(allocator, probe, buildSet, matcher, timeoutMs, options.signal);
        if (run === null) {
          interrupted = true;
          break outer;
        }
        runs.push(run);
        // A probe that could not be built fails the same way every time.
        if (run.built === false) break;
      }
      const cell = cellOf(allocator.name, probe.name, runs);
      cells.push(cell);
      options.onCell?.(cell);
    }
  }
  return {
    interrupted,
    report: {
      createdAt: new Date().toISOString(),
      timeoutMs,
      trials,
      probes: probes.map((p) => ({ name: p.name, description: p.description })),
      allocators: allocators.map((a) => ({
        name: a.name,
        libc: a.libc,
        lib: a.lib ?? null,
      })),
      cells,
      warnings,
    },
  };
}

/** One trial, with the identity its probe reported. */
type ProbeRun = ProbeTrial & { identity: string | null; built?: false };

/** The cell of a probe's trials (see summariseTrials). */
function cellOf(allocator: string, probe: string, runs: readonly ProbeRun[]): HardeningCell {
  const { first, flaky } = summariseTrials(runs);
  const trials = runs.map(({ identity: _identity, built: _built, ...trial }) => trial);
  const { built: _built, ...fields } = first;
  return { allocator, probe, ...fields, trials, flaky };
}

async function runProbe(
  allocator: HardeningAllocator,
  probe: Probe,
  buildSet: Awaited<ReturnType<typeof buildAll>>,
  matcher: ReturnType<typeof identityMatcher>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<ProbeRun | null> {
  const build = buildSet.builds.get(buildKey(probe.name, allocator.libc));
  if (!build || build.status === "failed") {
    return {
      built: false,
      outcome: "error",
      reason: `build failed: ${build?.status === "failed" ? build.reason : `no ${allocator.libc} build`}`,
      signal: null,
      exitCode: null,
      stderr: "",
      identity: null,
    };
  }
  const { record, stderr, channel } = await launch({
    launcher: buildSet.launcher,
    program: build.binary,
    args: [],
    setEnv: {
      ...allocator.env,
      // glibc writes its malloc_printerr messages to the terminal unless this is set.
      LIBC_FATAL_STDERR_: "1",
      ...(allocator.lib ? { LD_PRELOAD: preloadPath(allocator.lib) } : {}),
    },
    unsetEnv: allocator.lib ? [] : ["LD_PRELOAD"],
    timeoutMs,
    rssIntervalMs: 0,
    cpus: null,
    // The probe's markers come through the result channel, never stdout, where anything in the
    // process can print (workloads/hardening/probe.c).
    resultChannel: true,
    ...(signal ? { signal } : {}),
  });
  const markers = channel?.text ?? "";
  const verdict = classifyProbe(record, markers, stderr, matcher.expected, matcher.matches);
  if (verdict.outcome === "interrupted") return null;
  const end = {
    signal: record.status === "signaled" ? record.signalName : null,
    exitCode: record.exitCode,
    stderr: verdict.stderr,
  };
  return {
    outcome: verdict.outcome,
    ...(verdict.outcome === "detected" ? { detection: detectionOf(end) } : {}),
    reason: verdict.reason,
    ...end,
    identity: verdict.identity,
  };
}
