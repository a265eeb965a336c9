import { describe, expect, it } from "vitest";
import {
  cellKey,
  cellsOf,
  paramVariants,
  paramsKey,
  paramsLabel,
  sameParams,
  schedule,
  workloadLabel,
  type Cell,
} from "../../../src/plan/schedule.js";

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

describe("parameter scans", () => {
  it("makes the cartesian product of the values, in the order given", () => {
    expect(paramVariants(undefined)).toEqual([{}]);
    expect(paramVariants({})).toEqual([{}]);
    expect(paramVariants({ slots: ["500", "1000"], min: ["8", "16", "32"] })).toEqual([
      { slots: "500", min: "8" },
      { slots: "500", min: "16" },
      { slots: "500", min: "32" },
      { slots: "1000", min: "8" },
      { slots: "1000", min: "16" },
      { slots: "1000", min: "32" },
    ]);
  });

  it("puts the parameters in the cell key; cells without parameters keep the old key", () => {
    const plain = cellsOf(["larson"], ["jemalloc"], [2]);
    expect(plain).toEqual([{ workload: "larson", allocator: "jemalloc", threads: 2 }]);
    expect(cellKey(plain[0] as Cell)).toBe("larson/jemalloc/t2");
    const scanned = cellsOf(["larson"], ["glibc", "jemalloc"], [1, 2], {
      slots: ["500", "1000"],
      rounds: ["3"],
    });
    expect(scanned).toHaveLength(2 * 2 * 2);
    const keys = scanned.map(cellKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain("larson/jemalloc/t2/slots=500,rounds=3");
    expect(keys).toContain("larson/glibc/t1/slots=1000,rounds=3");
  });

  it("schedules every parameter cell once per round with distinct run keys", () => {
    const cells = cellsOf(["threadtest"], ["glibc"], [1], { objsize: ["32", "64"] });
    const plan = schedule(cells, 1, 2, 7);
    expect(plan).toHaveLength(6);
    expect(new Set(plan.map((r) => r.key)).size).toBe(6);
    expect(plan.filter((r) => r.cell.params?.["objsize"] === "32")).toHaveLength(3);
    expect(plan.map((r) => r.key)).toContain("threadtest/glibc/t1/objsize=64#r1");
  });

  it("matches parameters regardless of their order, and labels them for tables", () => {
    expect(sameParams({ a: "1", b: "2" }, { b: "2", a: "1" })).toBe(true);
    expect(sameParams({ a: "1" }, { a: "2" })).toBe(false);
    expect(sameParams(undefined, {})).toBe(true);
    expect(sameParams(undefined, { a: "1" })).toBe(false);
    expect(paramsKey({ b: "2", a: "1" })).toBe("a=1,b=2");
    expect(paramsLabel({ b: "2", a: "1" })).toBe("b=2,a=1");
    expect(workloadLabel("larson", { slots: "500" })).toBe("larson[slots=500]");
    expect(workloadLabel("larson", undefined)).toBe("larson");
  });
});
