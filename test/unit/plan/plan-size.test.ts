import { describe, expect, it } from "vitest";
import { LIMITS } from "../../../src/config.js";
import { UsageError } from "../../../src/errors.js";
import { checkPlanSize } from "../../../src/plan/schedule.js";

describe("checkPlanSize", () => {
  const base = { workloads: 16, allocators: 8, threads: 4, runs: 10, warmup: 1 };

  it("accepts a real plan", () => {
    expect(() => checkPlanSize(base)).not.toThrow();
  });

  it("refuses a plan above the limit, naming its size and what to lower", () => {
    expect(() => checkPlanSize({ ...base, runs: 100_000 })).toThrow(UsageError);
    expect(() => checkPlanSize({ ...base, runs: 100_000 })).toThrow(
      /512 cell\(s\) x 100001 run\(s\) = 51200512 runs, above the limit of 1000000: lower -n/,
    );
  });

  it("counts --param combinations and the adaptive bound on runs", () => {
    const params = { a: ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"], b: ["1", "2"] };
    expect(() => checkPlanSize({ ...base, runs: 100, params })).toThrow(/10240 cell/);
    expect(() => checkPlanSize({ ...base, maxRuns: 10_000 })).toThrow(/x 10001 run/);
  });

  it("the limit itself passes, one more does not", () => {
    const exact = { workloads: 1, allocators: 1, threads: 1, warmup: 0 };
    expect(() => checkPlanSize({ ...exact, runs: LIMITS.totalRuns })).not.toThrow();
    expect(() => checkPlanSize({ ...exact, runs: LIMITS.totalRuns + 1 })).toThrow(UsageError);
  });
});
