import { deriveSeed, mulberry32, shuffled } from "../util/prng.js";

export interface Cell {
  workload: string;
  allocator: string;
  threads: number;
}

export interface ScheduledRun {
  /** Stable identity of this run within its plan; the journal and --resume key on it. */
  key: string;
  cell: Cell;
  warmup: boolean;
  /** Warmup index for warmups, measured round for the others. */
  round: number;
}

export function cellKey(cell: Cell): string {
  return `${cell.workload}/${cell.allocator}/t${cell.threads}`;
}

export function cellsOf(
  workloads: readonly string[],
  allocators: readonly string[],
  threads: readonly number[],
): Cell[] {
  const cells: Cell[] = [];
  for (const workload of workloads)
    for (const allocator of allocators)
      for (const t of threads) cells.push({ workload, allocator, threads: t });
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
