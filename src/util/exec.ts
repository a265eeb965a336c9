/**
 * Every helper process the harness starts besides the launcher (compilers, probes, a program's
 * readiness and load commands) runs through `run`: in a process group of its own, with bounded
 * output, and killed, group and all, when the harness is interrupted or exits. So Ctrl-C stops
 * a build or a probe at once, and no compiler or probe outlives bench.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { writeSync } from "node:fs";
import { execa, type Options, type Result } from "execa";

/** Output a helper may print before it is killed and its output cut (execa's maxBuffer). */
export const HELPER_MAX_OUTPUT = 1024 * 1024;

const interruption = new AbortController();
const groups = new Set<number>();

/** Thrown where work stops because the harness was interrupted; the CLI exits 128 + signal. */
export class InterruptedError extends Error {
  readonly signal: NodeJS.Signals;
  constructor(signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.name = "InterruptedError";
    this.signal = signal;
  }
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    // the group is gone
  }
}

function killAll(): void {
  for (const pgid of groups) killGroup(pgid);
}

// A detached child is not killed with its parent: the exit hook does it (for process.exit too).
process.on("exit", killAll);

/**
 * A SIGKILLed bench runs no exit hook, and a helper in its own group gets no signal when bench
 * dies. A watchdog process holds the read end of a pipe from bench and is told each helper's
 * group as it starts and ends; the pipe's end of file (bench gone, however) makes it kill the
 * groups still listed. Node cannot set PR_SET_PDEATHSIG on a child, hence a process.
 */
const WATCHDOG = `// mallocbench: kills the helpers of a bench that died
process.on("SIGINT", () => {});
process.on("SIGTERM", () => {});
process.on("SIGHUP", () => {});
const groups = new Set();
let pending = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  pending += chunk;
  let nl;
  while ((nl = pending.indexOf("\\n")) >= 0) {
    const n = Number(pending.slice(0, nl));
    pending = pending.slice(nl + 1);
    if (Number.isSafeInteger(n) && n > 1) groups.add(n);
    else if (Number.isSafeInteger(n) && n < -1) groups.delete(-n);
  }
});
// Helpers carry the tag in their environment: found even if bench died before it wrote their group.
const tag = "MALLOCBENCH_HELPER_TAG=" + process.argv[1];
const fs = require("fs");
const end = () => {
  for (const g of groups) try { process.kill(-g, "SIGKILL"); } catch {}
  for (const p of fs.readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(p)) continue;
    try {
      if (!fs.readFileSync("/proc/" + p + "/environ", "latin1").split("\\0").includes(tag)) continue;
      const stat = fs.readFileSync("/proc/" + p + "/stat", "latin1");
      const pgid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      if (pgid > 1) try { process.kill(-pgid, "SIGKILL"); } catch {}
      process.kill(Number(p), "SIGKILL");
    } catch {}
  }
  process.exit(0);
};
process.stdin.on("end", end);
process.stdin.on("error", end);
`;

let watchdog: ChildProcess | null | undefined;
const HELPER_TAG = `${process.pid}-${randomUUID()}`;

function startWatchdog(): void {
  if (watchdog === undefined) {
    try {
      // Its own group, so the terminal's Ctrl-C (bench handles that itself) does not reach it.
      watchdog = spawn(process.execPath, ["-e", WATCHDOG, HELPER_TAG], {
        detached: true,
        stdio: ["pipe", "ignore", "ignore"],
        env: {},
      });
      watchdog.on("error", () => {
        watchdog = null;
      });
      watchdog.stdin?.on("error", () => {});
      watchdog.unref();
      (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    } catch {
      watchdog = null; // without it a SIGKILLed bench leaves helpers to their own timeouts
    }
  }
}

function tellWatchdog(line: string): void {
  const stdin = watchdog?.stdin;
  if (!stdin?.writable) return;
  // A stream write may still sit in this process when it is SIGKILLed; a helper's group must
  // be in the pipe before anything else happens, so the descriptor is written directly.
  const fd = (stdin as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd === "number" && fd >= 0) {
    try {
      writeSync(fd, `${line}\n`);
      return;
    } catch {
      // EAGAIN on a full pipe: the stream queues it
    }
  }
  stdin.write(`${line}\n`);
}

/** Interrupt the harness: every helper's process group is killed and later `run`s refuse. */
export function interruptChildren(signal: NodeJS.Signals): void {
  if (!interruption.signal.aborted) interruption.abort(signal);
  killAll();
}

export function throwIfInterrupted(): void {
  if (interruption.signal.aborted)
    throw new InterruptedError(interruption.signal.reason as NodeJS.Signals);
}

/**
 * execa in a process group of its own (killed on interrupt and exit, and whatever is left of it
 * once the command ends), output bounded by HELPER_MAX_OUTPUT unless `maxBuffer` says otherwise.
 * Throws InterruptedError when the harness is, or gets, interrupted.
 */
export async function runHelper<O extends Options>(
  file: string,
  args: readonly string[],
  options: O,
): Promise<Result<O>> {
  throwIfInterrupted();
  // Started first, so the helper's group reaches it in the same tick the helper starts.
  startWatchdog();
  const child = execa(file, args, {
    maxBuffer: HELPER_MAX_OUTPUT,
    ...options,
    env: { ...options.env, MALLOCBENCH_HELPER_TAG: HELPER_TAG },
    detached: true,
    cleanup: false,
  } as O);
  const pgid = child.pid;
  if (pgid !== undefined) {
    groups.add(pgid);
    tellWatchdog(String(pgid));
  }
  try {
    return (await child) as unknown as Result<O>;
  } finally {
    if (pgid !== undefined) {
      groups.delete(pgid);
      killGroup(pgid); // members the command left behind
      tellWatchdog(String(-pgid));
    }
    throwIfInterrupted();
  }
}
