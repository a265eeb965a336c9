import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { metricInfo } from "../../../src/analysis/metrics.js";
import { EXPORTERS, exporterNamed } from "../../../src/export/index.js";
import { syntheticResults } from "../../../testkit/synthetic.js";

const results = syntheticResults({ workloads: ["threadtest"], threads: [1], runs: 6 });
const seconds = metricInfo("seconds");

describe("exporters", () => {
  it("every exporter has a unique name and is found by it", () => {
    const names = EXPORTERS.map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
    for (const e of EXPORTERS) expect(exporterNamed(e.name)).toBe(e);
    expect(exporterNamed("xml")).toBeUndefined();
  });

  it("the CLI's --format help lists exactly the exporters", () => {
    // cli.ts keeps its help text static so startup does not load the exporters.
    const cli = readFileSync(new URL("../../../src/cli.ts", import.meta.url), "utf8");
    expect(cli).toContain(`"--format <format>", "${EXPORTERS.map((e) => e.name).join(" | ")}"`);
  });

  it("csv: a header and one row per run", () => {
    const text = exporterNamed("csv")!.serialize(results, { metric: seconds });
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^key,workload,allocator,/);
    expect(lines).toHaveLength(results.runs.length + 1);
  });

  it("json, bmf and gab produce JSON with one entry per cell", () => {
    const cells = new Set(
      results.runs.filter((r) => !r.warmup).map((r) => `${r.workload}/${r.allocator}/${r.threads}`),
    );
    const json = JSON.parse(exporterNamed("json")!.serialize(results, { metric: seconds }));
    expect(json.plan).toEqual(results.plan);
    expect(new Set(json.cells.map((c: { allocator: string }) => c.allocator)).size).toBe(
      results.plan.allocators.length,
    );
    const bmf = JSON.parse(exporterNamed("bmf")!.serialize(results, { metric: seconds }));
    expect(Object.keys(bmf)).toHaveLength(cells.size);
    const gab = JSON.parse(exporterNamed("gab")!.serialize(results, { metric: seconds }));
    expect(gab).toHaveLength(cells.size);
    expect(gab[0].unit).toBe("s");
  });

  it("gab refuses a higher-is-better metric with a usage error", () => {
    expect(() =>
      exporterNamed("gab")!.serialize(results, { metric: metricInfo("opsPerSecond") }),
    ).toThrow(/smaller-is-better/);
  });
});
