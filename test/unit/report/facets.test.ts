import { describe, expect, it } from "vitest";
import { workloadFacet, type ChartContext } from "../../../src/report/charts/common.js";
import { paletteFor } from "../../../src/report/palette.js";

const ctx = (multiTestbed: boolean): ChartContext => ({
  palette: paletteFor(["glibc", "musl"]),
  caption: [],
  multiTestbed,
  workloads: ["larson", "xmalloc", "tree", "aligned", "rptest"],
});

describe("workloadFacet", () => {
  it("wraps one testbed's workload panels two to a row (a 700 px column), in plan order", () => {
    expect(workloadFacet(ctx(false), ["a"])).toEqual({
      facet: {
        field: "workload",
        type: "nominal",
        title: null,
        sort: ["larson", "xmalloc", "tree", "aligned", "rptest"],
      },
      columns: 2,
    });
  });

  it("lays several testbeds out as rows by workload columns (no wrapping)", () => {
    const spec = workloadFacet(ctx(true), ["x86_64", "aarch64"], { header: { labelAngle: 0 } });
    expect(spec["columns"]).toBeUndefined();
    expect(spec["facet"]).toMatchObject({
      column: { field: "workload" },
      row: { field: "testbed", sort: ["x86_64", "aarch64"], header: { labelAngle: 0 } },
    });
  });
});
