/**
 * Every helper process the harness starts besides the launcher (compilers, probes, a program's
 * readiness and load commands) runs through `run`: in a process group of its own, with bounded
 * output, and killed, group and all, when the harness is interrupted or exits. So Ctrl-C stops
 * a build or a probe at once, and no compiler or probe outlives bench.
 */
import { execa, type Options, type Result } from "execa";

/** Output a helper may print before it is killed and its output cut (execa's maxBuffer). */
export const HELPER_MAX_OUTPUT = 1024 * 1024;

const interruption = new AbortController();
const groups = new Set<number>();

/** Aborted once the harness is interrupted (its reason is the signal's name). */
export const interrupted: AbortSignal = interruption.signal;

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
  const child = execa(file, args, {
    maxBuffer: HELPER_MAX_OUTPUT,
    ...options,
    detached: true,
    cleanup: false,
  } as O);
  const pgid = child.pid;
  if (pgid !== undefined) groups.add(pgid);
  try {
    return (await child) as unknown as Result<O>;
  } finally {
    if (pgid !== undefined) {
      groups.delete(pgid);
      killGroup(pgid); // members the command left behind
    }
    throwIfInterrupted();
  }
}
