import os from "node:os";
import { UsageError } from "../errors.js";

/**
 * The values flags and the config file take: their limits, and the parsers that turn a flag's
 * text into a number, list or duration (a bad value: one UsageError line naming the flag).
 */

/**
 * Upper bounds of the numbers a plan takes, checked before anything runs: the schedule is built
 * in memory, and a plan far beyond any real benchmark (days of runs) is a typo, not a request.
 */
export const LIMITS = {
  /** --runs, --max-runs (measured runs per cell). */
  runsPerCell: 100_000,
  /** --warmup. */
  warmup: 10_000,
  /** Every scheduled run of a plan: cells x (warmup + runs), or x max-runs when adaptive. */
  totalRuns: 1_000_000,
  /** Combinations of --param values. */
  paramCombinations: 10_000,
  /** --timeout, --max-time: 30 days. */
  durationMs: 30 * 24 * 3_600_000,
  /** --rss-interval: one hour. */
  rssIntervalMs: 3_600_000,
} as const;

/** `-w`/`--workloads`: a comma-separated list of names, or `all` (every synthetic workload). */
export function parseWorkloadList(value: string): string[] | "all" {
  return value.trim() === "all" ? "all" : parseList(value, "--workloads");
}

export function parseList(value: string, flag: string): string[] {
  const items = value.split(",").map((s) => s.trim());
  if (items.some((item) => item === "")) {
    throw new UsageError(
      `${flag} needs a comma-separated list without empty items, got "${value}"`,
    );
  }
  return items;
}

/**
 * "1,2,4", "1..16" (every integer from 1 to 16), "1-8" (powers of two doubling from the start,
 * plus the end: 1-8 -> 1,2,4,8; 1-6 -> 1,2,4,6), or a mix: "1,2,8..12".
 */
export function parseThreads(value: string): number[] {
  const out: number[] = [];
  for (const item of parseList(value, "--threads")) {
    const every = /^(\d+)\.\.(\d+)$/.exec(item);
    const doubling = /^(\d+)-(\d+)$/.exec(item);
    const range = every ?? doubling;
    if (range) {
      const lo = Number(range[1]);
      const hi = Number(range[2]);
      if (lo < 1 || hi < lo || hi > 4096)
        throw new UsageError(
          `--threads: bad range "${item}" (use e.g. 1..8 for every count, 1-8 for powers of two; at most 4096)`,
        );
      if (every) {
        for (let t = lo; t <= hi; t += 1) out.push(t);
      } else {
        for (let t = lo; t <= hi; t *= 2) out.push(t);
        if (out.at(-1) !== hi) out.push(hi);
      }
      continue;
    }
    if (!/^\d+$/.test(item))
      throw new UsageError(
        `--threads: "${item}" is not a positive integer or range (e.g. -t 1,2,4 or 1..8 or 1-16)`,
      );
    const n = Number(item);
    if (n < 1 || n > 4096) throw new UsageError(`--threads: ${n} is out of range 1..4096`);
    out.push(n);
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

/**
 * Repeated `--param name=v1[,v2...]` flags -> { name: [values] } in the order given. Values are
 * integers (the workload protocol's parameters are), written back in canonical form so "064" and
 * "64" are one value.
 */
export function parseParams(values: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const raw of values) {
    const match = /^([a-z][a-z0-9_-]*)=(.*)$/i.exec(raw.trim());
    if (!match)
      throw new UsageError(
        `--param: "${raw}" is not name=value[,value...] (e.g. --param objsize=32,64)`,
      );
    const name = match[1] as string;
    if (Object.hasOwn(out, name))
      throw new UsageError(`--param: ${name} is given twice: list its values once (${name}=a,b)`);
    const list: string[] = [];
    for (const v of parseList(match[2] as string, `--param ${name}`)) {
      if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v)))
        throw new UsageError(`--param ${name}: "${v}" is not an integer`);
      const canonical = String(Number(v));
      if (!list.includes(canonical)) list.push(canonical);
    }
    out[name] = list;
  }
  const combinations = Object.values(out).reduce((n, list) => n * list.length, 1);
  if (combinations > LIMITS.paramCombinations)
    throw new UsageError(
      `--param: ${combinations} combinations of values is above the limit of ${LIMITS.paramCombinations}: scan fewer values`,
    );
  return out;
}

export function parsePositiveInt(
  value: string,
  flag: string,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (!/^\d+$/.test(value.trim()))
    throw new UsageError(`${flag}: "${value}" is not a whole number`);
  const n = Number(value);
  if (n < min || !Number.isSafeInteger(n))
    throw new UsageError(`${flag}: ${value} must be at least ${min}`);
  if (n > max) throw new UsageError(`${flag}: ${value} is above the limit of ${max}`);
  return n;
}

/** "90", "90s", "500ms", "2m", "1h" -> milliseconds; 0 disables. */
export function parseDuration(value: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) throw new UsageError(`${flag}: "${value}" is not a duration (e.g. 30s, 500ms, 2m)`);
  const n = Number(match[1]);
  const unit = match[2] ?? "s";
  const factor = unit === "ms" ? 1 : unit === "s" ? 1000 : unit === "m" ? 60_000 : 3_600_000;
  const ms = Math.round(n * factor);
  if (!Number.isSafeInteger(ms) || ms > LIMITS.durationMs)
    throw new UsageError(`${flag}: "${value}" is longer than the limit of 30 days (720h)`);
  return ms;
}

/** "5%" or "0.05" -> 0.05: a fraction in [0, 1). */
export function parseFraction(value: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(%?)$/.exec(value.trim());
  if (!match) throw new UsageError(`${flag}: "${value}" is not a fraction (e.g. 5% or 0.05)`);
  const n = Number(match[1]) / (match[2] ? 100 : 1);
  if (!(n >= 0 && n < 1))
    throw new UsageError(`${flag}: ${value} must be at least 0% and below 100% (0 to below 1)`);
  return n;
}

/** "0,2-3" as accepted by sched_setaffinity lists; validated against the online CPUs here. */
export function parseCpus(value: string): string {
  const trimmed = value.trim();
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(trimmed)) {
    throw new UsageError(`--cpus: "${value}" is not a CPU list (e.g. 0,2-3)`);
  }
  const max = os.cpus().length - 1;
  for (const part of trimmed.split(",")) {
    const [a, b] = part.split("-").map(Number) as [number, number | undefined];
    if ((b !== undefined && b < a) || a > max || (b ?? a) > max) {
      throw new UsageError(`--cpus: "${part}" is outside this machine's CPUs 0-${max}`);
    }
  }
  return trimmed;
}
