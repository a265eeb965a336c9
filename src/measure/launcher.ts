import { mkdtemp, open, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { InterruptedError } from "../util/exec.js";
import { readBounded } from "../util/files.js";

/**
 * How much of a child's output is read back (head and tail, per stream): a workload prints its
 * result lines at the end; a flood of output in between must not reach memory or the results.
 */
export const OUTPUT_HEAD_BYTES = 64 * 1024;
export const OUTPUT_TAIL_BYTES = 256 * 1024;

export type PerfEvent =
  | "taskClockNs"
  | "contextSwitches"
  | "cpuMigrations"
  | "pageFaults"
  | "instructions"
  | "cycles"
  | "cacheMisses"
  | "branchMisses";

export interface PerfAvailable {
  available: true;
  /** null for an event the kernel refused (see `unavailable`). */
  events: Record<PerfEvent, number | null>;
  unavailable: Record<string, string>;
  /** Counts were scaled because the kernel multiplexed counters. */
  scaled: boolean;
  /** Only user-space events could be opened (exclude_kernel retry). */
  userSpaceOnly: boolean;
}

export interface PerfUnavailable {
  available: false;
  reason: string;
}

/**
 * The JSON record the native launcher prints (see src/native/README.md). The rusage fields are
 * null only when no child was reaped.
 */
export interface LauncherRecord {
  launcher: number;
  status: "exited" | "signaled" | "timeout" | "interrupted" | "spawn-failed";
  exitCode: number | null;
  signal: number | null;
  signalName: string | null;
  error: string | null;
  wallSeconds: number | null;
  userSeconds: number | null;
  sysSeconds: number | null;
  maxRssBytes: number | null;
  minorFaults: number | null;
  majorFaults: number | null;
  voluntaryContextSwitches: number | null;
  involuntaryContextSwitches: number | null;
  cpus: string | null;
  timeoutMs: number;
  perf: PerfAvailable | PerfUnavailable;
  /** intervalMs 0 when sampling was off. */
  rssTimeline: {
    intervalMs: number;
    samples: [number, number][];
    decimations: number;
    maxSampledBytes: number | null;
  };
}

export interface LaunchRequest {
  launcher: string;
  program: string;
  args: readonly string[];
  /** Set in the child only (LD_PRELOAD, allocator settings). */
  setEnv: Record<string, string>;
  /** Removed from the child's environment (a stray LD_PRELOAD must not leak into a libc run). */
  unsetEnv: readonly string[];
  timeoutMs: number;
  rssIntervalMs: number;
  rssMaxSamples?: number;
  cpus: string | null;
  /** The child's stdin (default /dev/null). */
  stdin?: string;
  /** Open no perf counters (a helper such as a load client, not a measured run). */
  noPerf?: boolean;
  /**
   * Give the program the result channel (workloads/README.md, "Output"): a file the launcher
   * opens on a descriptor named by MALLOCBENCH_RESULT_FD. Without it that variable is unset.
   */
  resultChannel?: boolean;
  /** RLIMIT_FSIZE of the program (default childFileLimit()): a write past it is SIGXFSZ. */
  maxFileBytes?: number;
  /** Working directory of the launcher and so of the program (default: this process's). */
  cwd?: string;
  /** Aborting sends SIGTERM to the launcher, which kills the child's process group and reports "interrupted". */
  signal?: AbortSignal;
}

export interface LaunchOutcome {
  record: LauncherRecord;
  stdout: string;
  stderr: string;
  /** What reached the result channel (with `resultChannel`): at most RESULT_CHANNEL_MAX bytes. */
  channel?: { text: string; overflow: boolean };
}

/**
 * No file the program writes, its stdout and stderr included, may grow past this: only a head
 * and a tail of the output are read, and with --timeout 0 nothing else stops a child printing
 * forever from filling the disk. MALLOCBENCH_MAX_FILE_BYTES overrides it (tests use a small one).
 */
export const CHILD_FILE_LIMIT = 1 << 30;

export function childFileLimit(): number {
  const text = process.env["MALLOCBENCH_MAX_FILE_BYTES"];
  const n = text !== undefined && /^[1-9][0-9]{0,15}$/.test(text) ? Number(text) : NaN;
  return Number.isSafeInteger(n) ? n : CHILD_FILE_LIMIT;
}

/** More than this on the result channel is not a result record (one is a few KiB). */
export const RESULT_CHANNEL_MAX = 1 << 20;

/** The first RESULT_CHANNEL_MAX bytes of the channel file, and whether it held more. */
async function readChannel(file: string): Promise<{ text: string; overflow: boolean }> {
  let handle;
  try {
    handle = await open(file, "r");
  } catch {
    return { text: "", overflow: false }; // the launcher failed before opening it
  }
  try {
    const buffer = Buffer.alloc(RESULT_CHANNEL_MAX + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buffer.length) break;
    }
    const overflow = length > RESULT_CHANNEL_MAX;
    return {
      text: buffer.subarray(0, Math.min(length, RESULT_CHANNEL_MAX)).toString("utf8"),
      overflow,
    };
  } finally {
    await handle.close();
  }
}

/** Run one program under the launcher; the child's output goes to temp files, read back afterwards. */
function signalOf(reason: unknown): NodeJS.Signals {
  return typeof reason === "string" && reason.startsWith("SIG")
    ? (reason as NodeJS.Signals)
    : "SIGINT";
}

export async function launch(request: LaunchRequest): Promise<LaunchOutcome> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mallocbench-run-"));
  try {
    const stdoutFile = path.join(dir, "stdout");
    const stderrFile = path.join(dir, "stderr");
    const args = [
      "--timeout-ms",
      String(request.timeoutMs),
      "--rss-interval-ms",
      String(request.rssIntervalMs),
      "--rss-max-samples",
      String(request.rssMaxSamples ?? 2000),
      "--max-file-bytes",
      String(request.maxFileBytes ?? childFileLimit()),
      "--stdout",
      stdoutFile,
      "--stderr",
      stderrFile,
    ];
    const channelFile = path.join(dir, "result");
    if (request.resultChannel) args.push("--result-file", channelFile);
    if (request.cpus) args.push("--cpus", request.cpus);
    if (request.noPerf) args.push("--no-perf");
    if (request.stdin) args.push("--stdin", request.stdin);
    for (const [key, value] of Object.entries(request.setEnv))
      args.push("--setenv", `${key}=${value}`);
    for (const key of request.unsetEnv) args.push("--unsetenv", key);
    args.push("--", request.program, ...request.args);

    const result = await execa(request.launcher, args, {
      ...(request.cwd !== undefined ? { cwd: request.cwd } : {}),
      reject: false,
      stdin: "ignore",
      ...(request.signal ? { cancelSignal: request.signal, killSignal: "SIGTERM" as const } : {}),
      // The launcher enforces the run's timeout itself; this only guards against a broken launcher.
      ...(request.timeoutMs > 0 ? { timeout: request.timeoutMs + 30_000 } : {}),
    });
    const text = String(result.stdout).trim();
    const line = text.split("\n").pop() ?? "";
    let record: LauncherRecord;
    try {
      record = JSON.parse(line) as LauncherRecord;
    } catch {
      // Interrupted before the launcher could install its handler: no record, and none is owed.
      if (request.signal?.aborted) throw new InterruptedError(signalOf(request.signal.reason));
      throw new Error(
        `launcher gave no record (exit ${String(result.exitCode)}): ${String(result.stderr).slice(-500)}`,
      );
    }
    const [stdout, stderr] = await Promise.all([
      readBounded(stdoutFile, OUTPUT_HEAD_BYTES, OUTPUT_TAIL_BYTES),
      readBounded(stderrFile, OUTPUT_HEAD_BYTES, OUTPUT_TAIL_BYTES),
    ]);
    if (!request.resultChannel) return { record, stdout: stdout.text, stderr: stderr.text };
    return {
      record,
      stdout: stdout.text,
      stderr: stderr.text,
      channel: await readChannel(channelFile),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
