/**
 * Optional parts of a results file that not every file carries: per-call latency percentiles
 * and live bytes from instrumented workloads, and the hardening matrix. Read defensively so a
 * report works on files written before these fields existed.
 */
import { z } from "zod";
import type { ResultsFile, RunRecord } from "../results/schema.js";
import { classCounts, classOf, type ProbeClass } from "../hardening/verdict.js";
import { cellLabel, trialsOf } from "../hardening/matrix.js";

/** Operation kinds the workloads sample (the results' metrics "latency.<op>.<stat>"). */
export const LATENCY_OPS = ["malloc", "free", "realloc", "calloc", "aligned"] as const;
export type LatencyOp = (typeof LATENCY_OPS)[number];
export const LATENCY_PERCENTILES = ["p50", "p90", "p99", "p999", "max"] as const;
export type LatencyPercentile = (typeof LATENCY_PERCENTILES)[number];

export type Latency = Partial<Record<LatencyOp, Partial<Record<LatencyPercentile, number>>>>;

function field(run: RunRecord, name: string): unknown {
  const metrics = run.metrics as Record<string, unknown> | undefined;
  return metrics?.[name];
}

/** The metric names "latency.<op>.<percentile>", made once (read for every run). */
const LATENCY_FIELDS = LATENCY_OPS.map((op) =>
  LATENCY_PERCENTILES.map((p) => [p, `latency.${op}.${p}`] as const),
);

/** The run's sampled latency percentiles in nanoseconds per operation (empty when none). */
export function latencyOf(run: RunRecord): Latency {
  const out: Latency = {};
  for (const [i, op] of LATENCY_OPS.entries()) {
    for (const [p, name] of LATENCY_FIELDS[i] ?? []) {
      const v = field(run, name);
      if (typeof v === "number" && Number.isFinite(v)) (out[op] ??= {})[p] = v;
    }
  }
  return out;
}

/** How many calls of `op` the run sampled (null when the run does not say). */
export function latencySamples(run: RunRecord, op: LatencyOp): number | null {
  const sampling = (run as unknown as { latencySampling?: { samples?: Record<string, unknown> } })
    .latencySampling;
  const n = sampling?.samples?.[op];
  return typeof n === "number" ? n : null;
}

/** Peak bytes the workload held live (from its instrumented allocations), or null. */
export function liveBytesOf(run: RunRecord): number | null {
  const v = field(run, "peakLiveBytes");
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

const Trial = z.object({
  outcome: z.string(),
  detection: z.enum(["diagnostic", "incidental"]).optional(),
  reason: z.string().optional(),
  signal: z.string().nullable().optional(),
  exitCode: z.number().nullable().optional(),
  stderr: z.string().optional(),
});

const HardeningCell = Trial.extend({
  allocator: z.string(),
  probe: z.string(),
  trials: z.array(Trial).optional(),
});

/** A probe's cell as a report shows it: its class, or "flaky" when its trials differ. */
export interface HardeningCellView {
  allocator: string;
  probe: string;
  /** The raw outcome of the cell (its most frequent one). */
  outcome: string;
  class: ProbeClass | "flaky";
  /** In words: "detected", "died", "not detected", "flaky: 4 detected, 1 not detected". */
  label: string;
  /** How many trials ended in each class. */
  counts: { class: ProbeClass; count: number }[];
  trials: number;
  detail?: string;
}

export interface Hardening {
  allocators: string[];
  probes: string[];
  /** Runs of each probe per allocator (1 for files written before probes were repeated). */
  trials: number;
  cells: HardeningCellView[];
}

/** The hardening matrix of a results file, or null when absent or unreadable. */
export function hardeningOf(results: ResultsFile): Hardening | null {
  const raw = (results as unknown as Record<string, unknown>).hardening;
  if (raw === undefined || raw === null || typeof raw !== "object") return null;
  const cellsRaw = (raw as { cells?: unknown }).cells;
  const cells = z.array(HardeningCell).safeParse(cellsRaw);
  if (!cells.success || cells.data.length === 0) return null;
  const names = (list: unknown): string[] | null => {
    const p = z.array(z.union([z.string(), z.object({ name: z.string() })])).safeParse(list);
    return p.success ? p.data.map((x) => (typeof x === "string" ? x : x.name)) : null;
  };
  const allocators = names((raw as { allocators?: unknown }).allocators) ?? [
    ...new Set(cells.data.map((c) => c.allocator)),
  ];
  const probes = names((raw as { probes?: unknown }).probes) ?? [
    ...new Set(cells.data.map((c) => c.probe)),
  ];
  const trials = z
    .number()
    .int()
    .positive()
    .safeParse((raw as { trials?: unknown }).trials);
  return {
    allocators,
    probes,
    trials: trials.success ? trials.data : 1,
    cells: cells.data.map((c) => {
      const runs = trialsOf(c);
      const counts = classCounts(runs);
      return {
        allocator: c.allocator,
        probe: c.probe,
        outcome: c.outcome,
        class: counts.length > 1 ? "flaky" : classOf(c),
        label: cellLabel(c),
        counts,
        trials: runs.length,
        ...(c.reason ? { detail: c.reason } : {}),
      };
    }),
  };
}
