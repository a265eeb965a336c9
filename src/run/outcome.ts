import {
  LATENCY_OPS,
  LATENCY_STATS,
  type FailureKind,
  type LatencyMetric,
  type Metrics,
  type RunRecord,
  type Timeline,
} from "../results/schema.js";
import { childFileLimit, type LaunchOutcome, type LauncherRecord } from "../measure/launcher.js";
import type { Counted } from "../measure/callgrind.js";
import { derivedMemoryMetrics } from "../analysis/metrics.js";
import { workloadInterpositionProblem } from "../setup/identity.js";
import { clipEnd } from "../util/files.js";

/** Exit codes of the workload protocol (workloads/README.md). */
export const WORKLOAD_EXIT = { usage: 2, corruption: 3, oom: 4, internal: 5 } as const;

/** The `@result` line a workload prints once at the end. */
export interface WorkloadResult {
  ops: number;
  seconds: number;
  allocator: string;
  checksum?: string;
  [key: string]: unknown;
}

export function parseResultLine(stdout: string): WorkloadResult | undefined {
  const lines = stdout.split("\n").filter((l) => l.startsWith("@result "));
  const last = lines.at(-1);
  if (!last) return undefined;
  try {
    const value = JSON.parse(last.slice("@result ".length)) as Partial<WorkloadResult>;
    if (
      typeof value.ops !== "number" ||
      typeof value.seconds !== "number" ||
      typeof value.allocator !== "string"
    ) {
      return undefined;
    }
    return value as WorkloadResult;
  } catch {
    return undefined;
  }
}

/** `@phase <name> <seconds>` lines, in order; malformed lines are ignored. */
export function parsePhases(stdout: string): [string, number][] {
  const phases: [string, number][] = [];
  for (const line of stdout.split("\n")) {
    const m = /^@phase (\S+) (\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*$/.exec(line);
    if (m) phases.push([m[1] as string, Number(m[2])]);
  }
  return phases;
}

function finiteNumber(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** What the workload runtime reports beyond ops and seconds: live bytes and sampled latency. */
export interface WorkloadExtras {
  metrics: Partial<Pick<Metrics, "peakLiveBytes" | LatencyMetric>>;
  record: Pick<RunRecord, "latencySampling" | "finalLiveBytes">;
}

/**
 * peakLiveBytes, finalLiveBytes and the `latency` object of an `@result` line (workloads built
 * before the runtime counted them have none of these: everything is optional).
 */
export function workloadExtras(result: WorkloadResult): WorkloadExtras {
  const metrics: WorkloadExtras["metrics"] = {};
  const record: WorkloadExtras["record"] = {};
  const peak = finiteNumber(result["peakLiveBytes"]);
  if (peak !== undefined && Number.isInteger(peak) && peak >= 0) metrics.peakLiveBytes = peak;
  const final = finiteNumber(result["finalLiveBytes"]);
  if (final !== undefined) record.finalLiveBytes = final;
  const latency = result["latency"];
  if (latency && typeof latency === "object" && !Array.isArray(latency)) {
    const l = latency as Record<string, unknown>;
    const every = finiteNumber(l["sampleEvery"]);
    const overhead = finiteNumber(l["clockOverhead"]);
    const samples: Record<string, number> = {};
    for (const op of LATENCY_OPS) {
      const o = l[op];
      if (!o || typeof o !== "object") continue;
      const stats = o as Record<string, unknown>;
      const n = finiteNumber(stats["count"]);
      if (n === undefined || n <= 0) continue;
      samples[op] = n;
      for (const stat of LATENCY_STATS) {
        const v = finiteNumber(stats[stat]);
        if (v !== undefined) metrics[`latency.${op}.${stat}`] = v;
      }
    }
    if (l["unit"] === "ns" && every !== undefined && overhead !== undefined) {
      record.latencySampling = {
        unit: "ns",
        sampleEvery: every,
        clockOverheadNs: overhead,
        samples,
      };
    }
  }
  return { metrics, record };
}

/**
 * Everything a successful run records beyond rusage, ops and seconds: live bytes, sampled
 * latency, phases, the derived memory metrics, and callgrind's counts under --metric
 * instructions (which replace the perf counters: those would count valgrind itself).
 */
export function runExtras(
  outcome: LaunchOutcome,
  result: WorkloadResult,
  metrics: Metrics,
  counted: Counted | undefined,
): {
  metrics: Partial<Metrics>;
  record: Pick<RunRecord, "latencySampling" | "finalLiveBytes" | "phases">;
} {
  const phases = parsePhases(outcome.stdout);
  const workload = workloadExtras(result);
  const out: Partial<Metrics> = {
    ...workload.metrics,
    ...derivedMemoryMetrics({
      maxRssBytes: metrics.maxRssBytes,
      peakLiveBytes: workload.metrics.peakLiveBytes,
      timeline: timelineOf(outcome.record),
      phases,
    }),
  };
  if (counted) {
    out.instructions = counted.instructions;
    if (counted.allocatorInstructions !== undefined)
      out.allocatorInstructions = counted.allocatorInstructions;
  }
  return {
    metrics: out,
    record: { ...workload.record, ...(phases.length > 0 ? { phases } : {}) },
  };
}

/** The last non-empty line of a child's stderr, clipped: it goes into a stored failure message. */
export function lastLine(stderr: string, max = 500): string {
  return clipEnd(stderr.trim().split("\n").filter(Boolean).at(-1) ?? "", max);
}

export function tail(text: string, max = 2000): string {
  return text.length <= max ? text : `…${text.slice(-max)}`;
}

/** The rusage-derived fields every reaped run has, named alike in the launcher record and the results. */
const RUSAGE_METRICS = [
  "wallSeconds",
  "userSeconds",
  "sysSeconds",
  "maxRssBytes",
  "minorFaults",
  "majorFaults",
  "voluntaryContextSwitches",
  "involuntaryContextSwitches",
] as const;

/** The launcher's measurements as results metrics; undefined when no child was reaped. */
export function metricsOf(record: LauncherRecord): Metrics | undefined {
  const metrics: Partial<Metrics> = {};
  for (const key of RUSAGE_METRICS) {
    const value = record[key];
    if (value === null) return undefined;
    metrics[key] = value;
  }
  if (record.perf.available) {
    const e = record.perf.events;
    const set = (key: keyof Metrics, value: number | null | undefined, scale = 1): void => {
      if (typeof value === "number" && Number.isFinite(value))
        (metrics as Record<string, number>)[key] = value * scale;
    };
    set("taskClockSeconds", e["taskClockNs"], 1e-9);
    set("perfContextSwitches", e["contextSwitches"]);
    set("cpuMigrations", e["cpuMigrations"]);
    set("perfPageFaults", e["pageFaults"]);
    set("instructions", e["instructions"]);
    set("cycles", e["cycles"]);
    set("cacheMisses", e["cacheMisses"]);
    set("branchMisses", e["branchMisses"]);
  }
  return metrics as Metrics;
}

export function timelineOf(record: LauncherRecord): Timeline | undefined {
  const t = record.rssTimeline;
  if (t.intervalMs === 0) return undefined; // sampling was off
  return {
    intervalMs: t.intervalMs,
    samples: t.samples,
    decimations: t.decimations,
    maxSampledBytes: t.maxSampledBytes,
  };
}

export function perfUnavailable(record: LauncherRecord): string | undefined {
  if (!record.perf.available) return record.perf.reason;
  const missing = Object.entries(record.perf.unavailable);
  if (missing.length === 0) return undefined;
  return missing.map(([event, why]) => `${event}: ${why}`).join("; ");
}

/** What a run's result is checked against (docs/metrics.md, "Trusting a result"). */
export interface ResultCheck {
  /**
   * The same workload and arguments run once under the libc's own malloc (run/reference.ts), or
   * why there is none: ops, checksum and the echoed arguments do not depend on the allocator.
   */
  reference: ReferenceResult | { error: string };
}

/** What a result says about the work done: equal under every allocator for one binary and arguments. */
export interface ReferenceResult {
  ops: number;
  checksum: string;
  /** The arguments the workload echoes: workload, threads, seed, size, params. */
  echo: string;
}

/** The fields of a result that describe the work, as one comparable string. */
export function echoOf(result: WorkloadResult): string {
  return JSON.stringify([
    result["workload"],
    result["threads"],
    result["seed"],
    result["size"],
    result["params"],
  ]);
}

export type ChannelVerdict =
  | { ok: true; result: WorkloadResult }
  | { ok: false; kind: "no-result" | "result-protocol"; message: string };

const CHECKSUM = /^0x[0-9a-f]{16}$/;

/**
 * The one `@result` record on the result channel. Nothing there is "no-result"; more than one
 * record, anything else on the channel, or a record without its fields is "result-protocol".
 */
export function parseResultChannel(channel: { text: string; overflow: boolean }): ChannelVerdict {
  const { text } = channel;
  const bad = (message: string): ChannelVerdict => ({
    ok: false,
    kind: "result-protocol",
    message,
  });
  if (channel.overflow)
    return bad("the result channel holds more than one record's worth of bytes");
  if (text.length === 0)
    return {
      ok: false,
      kind: "no-result",
      message: "exited 0 without writing a result record to the result channel",
    };
  const lines = text.split("\n");
  const records = lines.filter((l) => l.startsWith("@result ")).length;
  if (records > 1)
    return bad(`${records} result records on the result channel; exactly one is expected`);
  if (lines.length !== 2 || lines[1] !== "" || records !== 1)
    return bad("the result channel holds something other than one @result line");
  let value: unknown;
  try {
    value = JSON.parse((lines[0] as string).slice("@result ".length));
  } catch {
    return bad("the result record is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return bad("the result record is not a JSON object");
  const r = value as Record<string, unknown>;
  const missing = [
    typeof r["workload"] === "string" ? null : "workload",
    Number.isSafeInteger(r["ops"]) && (r["ops"] as number) >= 0 ? null : "ops",
    typeof r["seconds"] === "number" ? null : "seconds",
    Number.isSafeInteger(r["threads"]) ? null : "threads",
    typeof r["seed"] === "number" ? null : "seed",
    typeof r["size"] === "string" ? null : "size",
    typeof r["allocator"] === "string" ? null : "allocator",
    typeof r["checksum"] === "string" && CHECKSUM.test(r["checksum"]) ? null : "checksum",
    typeof r["params"] === "object" && r["params"] !== null ? null : "params",
  ].filter((x) => x !== null);
  if (missing.length > 0) return bad(`the result record lacks a valid ${missing.join(", ")}`);
  return { ok: true, result: r as WorkloadResult };
}

/**
 * Whether a result can be true of the run that claims it: the measured seconds are > 0, finite
 * and within the launcher's own wall time of the process. undefined when plausible.
 */
export function implausible(
  result: WorkloadResult,
  wallSeconds: number | null,
): string | undefined {
  const s = result.seconds;
  if (!Number.isFinite(s) || s <= 0) return `measured seconds ${String(s)} is not > 0`;
  // The launcher prints its wall time to the nanosecond; the workload's clock is the same one.
  if (wallSeconds !== null && s > wallSeconds + 1e-6)
    return `measured seconds ${String(s)} exceed the process's wall time ${String(wallSeconds)}`;
  return undefined;
}

/** How a result differs from the reference of its workload and arguments; undefined when it does not. */
export function mismatch(result: WorkloadResult, reference: ReferenceResult): string | undefined {
  const echo = echoOf(result);
  if (echo !== reference.echo)
    return `the result describes other work (${echo}) than was asked (${reference.echo})`;
  if (result.checksum !== reference.checksum)
    return `checksum ${String(result.checksum)} differs from the reference ${reference.checksum} (same workload and arguments under the libc's own malloc)`;
  if (result.ops !== reference.ops)
    return `ops ${result.ops} differs from the reference ${reference.ops} (same workload and arguments under the libc's own malloc)`;
  return undefined;
}

export type Classification =
  | { status: "ok"; result: WorkloadResult; identity: string }
  | { status: "failed"; kind: FailureKind; message: string; identity: string | null }
  | { status: "interrupted" };

function fileLimitText(): string {
  const n = childFileLimit();
  return n % (1 << 20) === 0 ? `${n / (1 << 20)} MiB` : `${n} bytes`;
}

/**
 * Decide what one launched run of a built-in workload was. `identityMatches` compares an object
 * file that the workload says defines one of its allocation entry points with the allocator that
 * was asked for; every entry point must match. The result comes from the result channel only
 * (never stdout) and, with `check`, must agree with the reference and be plausible.
 */
export function classify(
  outcome: LaunchOutcome,
  expected: string,
  identityMatches: (identity: string) => boolean,
  check?: ResultCheck,
): Classification {
  const { record, stderr } = outcome;
  if (!outcome.channel) throw new Error("classify: the run had no result channel");
  const channel = parseResultChannel(outcome.channel);
  const identity = channel.ok ? channel.result.allocator : null;
  const lastErr = lastLine(stderr);
  if (record.status !== "exited") {
    const failure = processFailure(outcome);
    if (failure === "interrupted") return { status: "interrupted" };
    if (failure) return { status: "failed", ...failure, identity };
  }
  // Every workload reports as its last act, after its own checks: a result on the channel
  // followed by code 3 or 4 came from other code in the process, not the workload's protocol.
  if (
    channel.ok &&
    (record.exitCode === WORKLOAD_EXIT.corruption || record.exitCode === WORKLOAD_EXIT.oom)
  ) {
    return {
      status: "failed",
      kind: "exit",
      message: `exited with code ${String(record.exitCode)} after the workload had written its result, so not the workload's own report (other code in the process exited)${lastErr ? `: ${lastErr}` : ""}`,
      identity,
    };
  }
  if (record.exitCode === WORKLOAD_EXIT.corruption) {
    return {
      status: "failed",
      kind: "heap-corruption",
      message: lastErr || "heap corruption detected",
      identity,
    };
  }
  if (record.exitCode === WORKLOAD_EXIT.oom) {
    return {
      status: "failed",
      kind: "out-of-memory",
      message: lastErr || "allocation failed",
      identity,
    };
  }
  if (record.exitCode !== 0) {
    return {
      status: "failed",
      kind: "exit",
      message: `exited with code ${String(record.exitCode)}${lastErr ? `: ${lastErr}` : ""}`,
      identity,
    };
  }
  if (!channel.ok)
    return { status: "failed", kind: channel.kind, message: channel.message, identity };
  const { result } = channel;
  const interposition = workloadInterpositionProblem(
    { entryPoints: result["entryPoints"], uses: result["uses"] },
    identityMatches,
    expected,
  );
  if (interposition) {
    return {
      status: "failed",
      kind: "not-interposed",
      message: interposition,
      identity: result.allocator,
    };
  }
  if (check) {
    const { reference } = check;
    if ("error" in reference)
      return {
        status: "failed",
        kind: "result-unverified",
        message: `no reference result to check against: ${reference.error}`,
        identity: result.allocator,
      };
    const differs = mismatch(result, reference);
    if (differs)
      return {
        status: "failed",
        kind: "result-mismatch",
        message: differs,
        identity: result.allocator,
      };
  }
  const why = implausible(result, record.wallSeconds);
  if (why)
    return {
      status: "failed",
      kind: "result-implausible",
      message: why,
      identity: result.allocator,
    };
  return { status: "ok", result, identity: result.allocator };
}

/** Why a run failed: a kind and one line. */
export interface Failure {
  kind: FailureKind;
  message: string;
}

/**
 * What the launcher saw of the process, as a failure; undefined when it exited 0. `what` names
 * the program in messages (a built-in workload's messages name none).
 */
export function processFailure(
  outcome: LaunchOutcome,
  what?: string,
): Failure | "interrupted" | undefined {
  const { record, stderr } = outcome;
  const lastErr = lastLine(stderr);
  const subject = what === undefined ? "" : `${what} `;
  switch (record.status) {
    case "interrupted":
      return "interrupted";
    case "spawn-failed":
      return {
        kind: "spawn-failed",
        message: record.error ?? `could not start ${what ?? "the workload"}`,
      };
    case "timeout":
      return {
        kind: "timeout",
        message: `${subject}killed after the ${record.timeoutMs} ms timeout`,
      };
    case "signaled":
      if (record.signalName === "SIGXFSZ")
        return {
          kind: "output-limit",
          message: `${subject}stopped by SIGXFSZ: it wrote a file (its stdout or stderr counts) past the limit of ${fileLimitText()}${lastErr ? `: ${lastErr}` : ""}`,
        };
      return {
        kind: "signal",
        message: `${subject}killed by ${record.signalName ?? `signal ${String(record.signal)}`}${lastErr ? `: ${lastErr}` : ""}`,
      };
    case "exited":
      if (record.exitCode === 0) return undefined;
      return {
        kind: "exit",
        message: `${subject}exited with code ${String(record.exitCode)}${lastErr ? `: ${lastErr}` : ""}`,
      };
  }
}

/** The fields every run's record shares, before its outcome is known. */
export type RunBase = Omit<
  Extract<RunRecord, { status: "ok" }>,
  "status" | "identity" | "metrics" | "checksum" | "program"
>;

/** What a launch recorded beyond rusage: the RSS timeline and perf counters it could not open. */
export function launchExtras(
  outcome: LaunchOutcome,
): Pick<RunBase, "timeline" | "perfUnavailable"> {
  const timeline = timelineOf(outcome.record);
  const perf = perfUnavailable(outcome.record);
  return { ...(timeline ? { timeline } : {}), ...(perf ? { perfUnavailable: perf } : {}) };
}

/**
 * A failed run's record. Without an outcome the run was never launched (refused by the probe,
 * no build, a setup step failed); with one, what the process had measured is kept.
 */
export function failedRun(
  base: RunBase,
  failure: Failure,
  identity: string | null,
  outcome?: LaunchOutcome,
  more: { program?: RunRecord["program"]; extraStderr?: string } = {},
): RunRecord {
  const metrics = outcome ? metricsOf(outcome.record) : undefined;
  return {
    ...base,
    ...(outcome ? launchExtras(outcome) : {}),
    status: "failed",
    identity,
    failure,
    ...(metrics && outcome?.record.status !== "spawn-failed" ? { metrics } : {}),
    exitCode: outcome?.record.exitCode ?? null,
    signal: outcome?.record.signalName ?? null,
    stderrTail: tail(`${outcome?.stderr ?? ""}${more.extraStderr ?? ""}`),
    ...(more.program ? { program: more.program } : {}),
  };
}
