import { LIMITS } from "../config.js";
import { UsageError } from "../errors.js";
import { deriveSeed, mulberry32, shuffled } from "../util/prng.js";

export interface Cell {
  workload: string;
  allocator: string;
  threads: number;
  /** Workload parameters set by --param (name -> value); absent or empty: the size's defaults. */
  params?: Record<string, string>;
}

/** Parameter values per name, as given with --param (insertion order is the order given). */
export type ParamSpace = Record<string, readonly string[]>;

export interface ScheduledRun {
  /** Stable identity of this run within its plan; the journal and --resume key on it. */
  key: string;
  cell: Cell;
  warmup: boolean;
  /** Warmup index for warmups, measured round for the others. */
  round: number;
}

/** "slots=500,min=8" (in the order given), or "" when no parameter is set. */
export function paramsLabel(params: Record<string, string> | undefined): string {
  return Object.entries(params ?? {})
    .map(([name, value]) => `${name}=${value}`)
    .join(",");
}

/** For tables: "larson", or "larson[slots=500]" when parameters are set. */
export function workloadLabel(
  workload: string,
  params: Record<string, string> | undefined,
): string {
  const label = paramsLabel(params);
  return label ? `${workload}[${label}]` : workload;
}

/** "larson/jemalloc/t2", or "larson/jemalloc/t2/slots=500,min=8" when parameters are set. */
export function cellKey(cell: Cell): string {
  const label = paramsLabel(cell.params);
  return `${cell.workload}/${cell.allocator}/t${cell.threads}${label ? `/${label}` : ""}`;
}

/** Every combination of the given parameter values (the cartesian product); [{}] for none. */
export function paramVariants(space: ParamSpace | undefined): Record<string, string>[] {
  let variants: Record<string, string>[] = [{}];
  for (const [name, values] of Object.entries(space ?? {})) {
    variants = variants.flatMap((v) => values.map((value) => ({ ...v, [name]: value })));
  }
  return variants;
}

/** The parameters in a form independent of their order, for grouping and matching cells. */
export function paramsKey(params: Record<string, string> | undefined): string {
  return Object.keys(params ?? {})
    .sort()
    .map((name) => `${name}=${(params as Record<string, string>)[name]}`)
    .join(",");
}

/** Whether two runs/cells set the same parameters to the same values (in any order). */
export function sameParams(
  a: Record<string, string> | undefined,
  b: Record<string, string> | undefined,
): boolean {
  return paramsKey(a) === paramsKey(b);
}

/**
 * Refuse a plan whose schedule would exceed LIMITS.totalRuns before anything is built or held:
 * the schedule lives in memory, and such a plan would run for months.
 */
export function checkPlanSize(plan: {
  workloads: number;
  allocators: number;
  threads: number;
  params?: ParamSpace | undefined;
  runs: number;
  warmup: number;
  /** Adaptive sampling's bound on measured runs per cell. */
  maxRuns?: number | undefined;
}): void {
  const combinations = Object.values(plan.params ?? {}).reduce((n, v) => n * v.length, 1);
  const cells = plan.workloads * plan.allocators * plan.threads * combinations;
  const perCell = plan.warmup + Math.max(plan.runs, plan.maxRuns ?? 0);
  const total = cells * perCell;
  if (!(total <= LIMITS.totalRuns))
    throw new UsageError(
      `the plan has ${cells} cell(s) x ${perCell} run(s) = ${total} runs, above the limit of ${LIMITS.totalRuns}: lower -n/--runs, --warmup, --max-runs, or select fewer workloads, allocators, threads or --param values`,
    );
}

export function cellsOf(
  workloads: readonly string[],
  allocators: readonly string[],
  threads: readonly number[],
  params?: ParamSpace,
): Cell[] {
  const cells: Cell[] = [];
  const variants = paramVariants(params);
  for (const workload of workloads)
    for (const allocator of allocators)
      for (const t of threads)
        for (const variant of variants)
          cells.push({
            workload,
            allocator,
            threads: t,
            ...(Object.keys(variant).length > 0 ? { params: variant } : {}),
          });
  return cells;
}

/**
 * Warmup rounds first, then measured rounds; each round runs every cell once, in an order drawn
 * from its own seed (derived from the plan's seed and the round's index), so machine drift spreads
 * over every cell and the order can be reproduced.
 */
export function schedule(
  cells: readonly Cell[],
  warmup: number,
  runs: number,
  seed: number,
): ScheduledRun[] {
  const out: ScheduledRun[] = [];
  const rounds = [
    ...Array.from({ length: warmup }, (_, i) => ({ warmup: true, round: i })),
    ...Array.from({ length: runs }, (_, i) => ({ warmup: false, round: i })),
  ];
  rounds.forEach(({ warmup: isWarmup, round }, index) => {
    for (const cell of shuffled(cells, mulberry32(deriveSeed(seed, index)))) {
      out.push({
        key: `${cellKey(cell)}#${isWarmup ? "w" : "r"}${round}`,
        cell,
        warmup: isWarmup,
        round,
      });
    }
  });
  return out;
}
