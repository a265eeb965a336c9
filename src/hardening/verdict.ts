import type { Detection, ProbeOutcome } from "../results/hardening-schema.js";

/** The lines a probe prints on stdout (workloads/hardening/probe.c). */
export const MARKERS = {
  identity: "@malloc ",
  armed: "@armed",
  survived: "@not-detected",
} as const;

/** How the probe process ended, as the launcher reports it. */
export interface ProbeEnd {
  status: "exited" | "signaled" | "timeout" | "interrupted" | "spawn-failed";
  exitCode: number | null;
  signalName: string | null;
  error: string | null;
  timeoutMs: number;
}

export interface ProbeVerdict {
  outcome: ProbeOutcome | "interrupted";
  reason: string;
  identity: string | null;
  stderr: string;
}

const STDERR_MAX = 200;

/** First non-empty stderr line, whitespace-trimmed and cut to about 200 characters. */
export function firstStderrLine(stderr: string, max = STDERR_MAX): string {
  const line =
    stderr
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l !== "") ?? "";
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

interface Markers {
  identity: string | null;
  armed: boolean;
  survived: boolean;
}

export function parseMarkers(stdout: string): Markers {
  let identity: string | null = null;
  let armed = false;
  let survived = false;
  for (const line of stdout.split("\n")) {
    if (line.startsWith(MARKERS.identity) && identity === null)
      identity = line.slice(MARKERS.identity.length).trim();
    else if (line === MARKERS.armed || line.startsWith(`${MARKERS.armed} `)) armed = true;
    else if (line.trim() === MARKERS.survived) survived = true;
  }
  return { identity, armed, survived };
}

function ending(end: ProbeEnd): string {
  if (end.status === "signaled") return `killed by ${end.signalName ?? "a signal"}`;
  return `exited with code ${String(end.exitCode)}`;
}

/**
 * Decide what one probe run shows. Only an end between the `@armed` marker and the
 * `@not-detected` marker counts as detection; a probe whose malloc is not the allocator asked for
 * says nothing about that allocator and is an error.
 */
export function classifyProbe(
  end: ProbeEnd,
  stdout: string,
  stderr: string,
  expected: string,
  identityMatches: (identity: string) => boolean,
): ProbeVerdict {
  const markers = parseMarkers(stdout);
  const said = firstStderrLine(stderr);
  const base = { identity: markers.identity, stderr: said };
  if (end.status === "interrupted")
    return { ...base, outcome: "interrupted", reason: "interrupted" };
  if (end.status === "spawn-failed")
    return { ...base, outcome: "error", reason: `could not start: ${end.error ?? "unknown"}` };
  if (markers.identity !== null && !identityMatches(markers.identity)) {
    return {
      ...base,
      outcome: "error",
      reason: `allocator not interposed: malloc came from ${markers.identity}, expected ${expected}`,
    };
  }
  if (end.status === "timeout") {
    return {
      ...base,
      outcome: "timeout",
      reason: `killed after the ${end.timeoutMs} ms timeout ${markers.armed && !markers.survived ? "after" : "before"} the misuse`,
    };
  }
  if (markers.identity === null) {
    return {
      ...base,
      outcome: "error",
      reason: `${ending(end)} before reporting which malloc it uses`,
    };
  }
  if (!markers.armed) {
    return { ...base, outcome: "error", reason: `${ending(end)} before the misuse` };
  }
  if (markers.survived) {
    return end.status === "exited" && end.exitCode === 0
      ? { ...base, outcome: "not-detected", reason: "ran past the misuse to its end" }
      : {
          ...base,
          outcome: "not-detected",
          reason: `ran past the misuse to its end, then ${ending(end)}`,
        };
  }
  if (end.status === "signaled" || (end.status === "exited" && end.exitCode !== 0)) {
    return { ...base, outcome: "detected", reason: `${ending(end)} after the misuse` };
  }
  return {
    ...base,
    outcome: "error",
    reason: "exited with code 0 after the misuse without its end marker",
  };
}

/**
 * What a probe run shows, in the classes the matrix names: detected with the allocator's
 * diagnostic, died without one, not detected, or no answer (error, timeout).
 */
export type ProbeClass = "diagnostic" | "incidental" | "not-detected" | "error" | "timeout";

/** The fields of a cell or trial that decide its class (old files may lack some). */
export interface ClassInput {
  outcome: string;
  detection?: Detection | undefined;
  signal?: string | null | undefined;
  exitCode?: number | null | undefined;
  stderr?: string | undefined;
}

/**
 * Whether a detected misuse was stopped on purpose: the allocator said something on stderr (the
 * probes write nothing there), or it aborted or exited non-zero; a silent fault signal (SIGSEGV,
 * SIGBUS, SIGILL, ...) is incidental. musl's mallocng crashes on purpose without a message, and
 * is classed incidental: nothing tells the two apart from outside.
 */
export function detectionOf(end: Omit<ClassInput, "outcome" | "detection">): Detection {
  if ((end.stderr ?? "").trim() !== "") return "diagnostic";
  if (end.signal === "SIGABRT") return "diagnostic";
  if (!end.signal && typeof end.exitCode === "number" && end.exitCode !== 0) return "diagnostic";
  return "incidental";
}

/** The class of one trial or of an old single-trial cell. */
export function classOf(x: ClassInput): ProbeClass {
  switch (x.outcome) {
    case "detected":
      return x.detection ?? detectionOf(x);
    case "not-detected":
    case "error":
    case "timeout":
      return x.outcome;
    default:
      return "error";
  }
}

/** Classes in the order a summary names them. */
export const CLASS_ORDER: readonly ProbeClass[] = [
  "diagnostic",
  "incidental",
  "not-detected",
  "timeout",
  "error",
];

/** How many trials ended in each class, in {@link CLASS_ORDER}, leaving out zeros. */
export function classCounts(trials: readonly ClassInput[]): { class: ProbeClass; count: number }[] {
  const counts = new Map<ProbeClass, number>();
  for (const t of trials) counts.set(classOf(t), (counts.get(classOf(t)) ?? 0) + 1);
  return CLASS_ORDER.filter((c) => counts.has(c)).map((c) => ({
    class: c,
    count: counts.get(c) as number,
  }));
}

/**
 * The cell of repeated trials: the fields of the first trial of the most frequent class (ties:
 * the class met first), every trial, and whether they differ (flaky).
 */
export function summariseTrials<T extends ClassInput>(
  trials: readonly T[],
): { first: T; flaky: boolean } {
  const classes = trials.map(classOf);
  let best = 0;
  let bestCount = 0;
  for (const [i, c] of classes.entries()) {
    const n = classes.filter((x) => x === c).length;
    if (n > bestCount) {
      best = i;
      bestCount = n;
    }
  }
  return { first: trials[best] as T, flaky: new Set(classes).size > 1 };
}
