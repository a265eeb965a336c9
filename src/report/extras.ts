/**
 * Optional parts of a results file that not every file carries: per-call latency percentiles
 * and live bytes from instrumented workloads, and the hardening matrix. Read defensively so a
 * report works on files written before these fields existed.
 */
import { z } from "zod";
import type { ResultsFile, RunRecord } from "../results/schema.js";

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

const HardeningCell = z.object({
  allocator: z.string(),
  probe: z.string(),
  outcome: z.string(),
  reason: z.string().optional(),
});

export interface Hardening {
  allocators: string[];
  probes: string[];
  cells: { allocator: string; probe: string; outcome: string; detail?: string }[];
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
  return {
    allocators,
    probes,
    cells: cells.data.map((c) => ({
      allocator: c.allocator,
      probe: c.probe,
      outcome: c.outcome,
      ...(c.reason ? { detail: c.reason } : {}),
    })),
  };
}
