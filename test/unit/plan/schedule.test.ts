import { describe, expect, it } from "vitest";
import { cellKey, cellsOf, schedule } from "../../../src/plan/schedule.js";

describe("schedule", () => {
  const cells = cellsOf(["larson", "xmalloc"], ["glibc", "jemalloc", "musl"], [1, 2]);

  it("runs warmup rounds first, then every cell once per round", () => {
    const plan = schedule(cells, 1, 3, 42);
    expect(plan).toHaveLength(cells.length * 4);
    expect(plan.slice(0, cells.length).every((r) => r.warmup && r.round === 0)).toBe(true);
    for (let round = 0; round < 3; round++) {
      const slice = plan.slice(cells.length * (round + 1), cells.length * (round + 2));
      expect(slice.every((r) => !r.warmup && r.round === round)).toBe(true);
      expect(new Set(slice.map((r) => cellKey(r.cell))).size).toBe(cells.length);
    }
    expect(new Set(plan.map((r) => r.key)).size).toBe(plan.length);
  });

  it("is reproducible from the seed, and rounds differ in order", () => {
    expect(schedule(cells, 1, 3, 42)).toEqual(schedule(cells, 1, 3, 42));
    expect(schedule(cells, 1, 3, 42).map((r) => r.key)).not.toEqual(
      schedule(cells, 1, 3, 43).map((r) => r.key),
    );
    const plan = schedule(cells, 0, 2, 42);
    const first = plan.slice(0, cells.length).map((r) => cellKey(r.cell));
    const second = plan.slice(cells.length).map((r) => cellKey(r.cell));
    expect(first).not.toEqual(second);
  });
});
