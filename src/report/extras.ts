/**
 * Optional parts of a results file that not every file carries: per-call latency percentiles
 * and live bytes from instrumented workloads, and the hardening matrix. Read defensively so a
 * report works on files written before these fields existed.
 */
import { z } from "zod";
import type { ResultsFile, RunRecord } from "../results/schema.js";

export type LatencyOp = "malloc" | "free";

const Percentiles = z.object({
  count: z.number().optional(),
  mean: z.number().optional(),
  p50: z.number().optional(),
  p90: z.number().optional(),
  p99: z.number().optional(),
  p999: z.number().optional(),
  max: z.number().optional(),
});
export type LatencyPercentiles = z.infer<typeof Percentiles>;

const Latency = z.object({
  unit: z.string().optional(),
  malloc: Percentiles.optional(),
  free: Percentiles.optional(),
});
export type Latency = z.infer<typeof Latency>;

function field(run: RunRecord, name: string): unknown {
  const direct = (run as unknown as Record<string, unknown>)[name];
  if (direct !== undefined) return direct;
  const metrics = run.metrics as Record<string, unknown> | undefined;
  return metrics?.[name];
}

/** The run's latency percentiles in nanoseconds, or null when it has none. */
export function latencyOf(run: RunRecord): Latency | null {
  const parsed = Latency.safeParse(field(run, "latency"));
  if (!parsed.success) return null;
  if (parsed.data.unit !== undefined && parsed.data.unit !== "ns") return null;
  return parsed.data;
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
  detail: z.string().optional(),
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
  const allocators =
    names((raw as { allocators?: unknown }).allocators) ?? [
      ...new Set(cells.data.map((c) => c.allocator)),
    ];
  const probes =
    names((raw as { probes?: unknown }).probes) ?? [...new Set(cells.data.map((c) => c.probe))];
  return { allocators, probes, cells: cells.data };
}
