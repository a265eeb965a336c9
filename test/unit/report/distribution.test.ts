import { describe, expect, it } from "vitest";
import { buildCharts } from "../../../src/report/charts/index.js";
import {
  buildModel,
  MIN_SPREAD_POINTS,
  tukeyWhiskers,
  type Distribution,
} from "../../../src/report/model.js";
import type { ResultsFile } from "../../../src/results/schema.js";
import { syntheticResults } from "../../../testkit/synthetic.js";

type Json = Record<string, unknown>;

interface Drawn {
  rows: Distribution[];
  /** One spec per part when the chart is split by workload (one when it is not). */
  specs: Json[];
  alt: string;
}

function distributionOf(results: ResultsFile): Drawn {
  const model = buildModel([{ results, source: "r.json", baseline: "glibc" }]);
  const charts = buildCharts(model).filter((c) => c.kind === "distribution");
  if (charts.length === 0) throw new Error("no distribution chart");
  return {
    rows: model.testbeds[0]?.distributions ?? [],
    specs: charts.map((c) => c.spec),
    alt: (charts[0] as { alt: string }).alt,
  };
}

/** The data rows of every part. */
function values(specs: Json[]): Json[] {
  return specs.flatMap((spec) => (spec.data as { values: Json[] }).values);
}

function subtitle(spec: Json): string {
  return ((spec.title as { subtitle: string[] }).subtitle ?? []).join(" ");
}

/** 480 cells of 40 runs: too many cells for 30 points each, so the chart draws outliers. */
function manyCells(): ResultsFile {
  const results = syntheticResults({
    workloads: Array.from({ length: 20 }, (_, i) => `w${i}`),
    allocators: ["glibc", "musl", "jemalloc", "tcmalloc"],
    threads: [1, 2, 3, 4, 5, 6],
    runs: 40,
  });
  // Two slow runs in one cell: 10x and 20x its typical time.
  const cell = results.runs.filter(
    (r) => r.workload === "w3" && r.allocator === "musl" && r.threads === 2 && r.status === "ok",
  );
  for (const [i, run] of cell.slice(0, 2).entries())
    if (run.status === "ok") run.metrics.seconds *= 10 * (i + 1);
  return results;
}

describe("tukeyWhiskers", () => {
  it("reaches the furthest values within 1.5 IQR of the quartiles and lists the rest", () => {
    const sorted = [1, 10, 11, 12, 13, 14, 15, 40];
    // q1 = 10.75, q3 = 14.25 (type 7): IQR 3.5, fences 5.5 and 19.5
    expect(tukeyWhiskers(sorted, 10.75, 14.25)).toEqual({ low: 10, high: 15, outliers: [1, 40] });
  });

  it("has no outliers in a sample without spread beyond the fences", () => {
    expect(tukeyWhiskers([2, 3, 4, 5], 2.75, 4.25)).toEqual({ low: 2, high: 5, outliers: [] });
  });
});

describe("distribution chart", () => {
  it("draws every run, whiskers min to max, when the cells are few", () => {
    const { rows, specs, alt } = distributionOf(syntheticResults({ runs: 12 }));
    expect(specs).toHaveLength(1);
    const spec = specs[0] as Json;
    expect(rows.every((r) => r.style === "runs")).toBe(true);
    const runs = values(specs).filter((v) => v.kind === "run");
    expect(runs).toHaveLength(rows.length * 12);
    for (const box of values(specs).filter((v) => v.kind === "box")) {
      expect(box).not.toHaveProperty("low");
      expect(box).not.toHaveProperty("high");
    }
    expect(JSON.stringify(spec)).toContain('"x2":{"field":"max"}');
    expect(subtitle(spec)).toContain(
      "Each point is one measured run; the box spans the quartiles, the tick is the median, the whisker spans min to max. Shorter is faster.",
    );
    expect(alt).toBe("Every measured run per cell as a point over a box plot.");
  });

  it("draws Tukey boxes and only the outlying runs when cells are too many for every run", () => {
    const { rows, specs, alt } = distributionOf(manyCells());
    expect(rows).toHaveLength(480);
    // 20 workloads of 3 rows of panels each: split by workload into parts (see splitParts).
    expect(specs.length).toBeGreaterThan(1);
    expect(rows.every((r) => r.style === "outliers")).toBe(true);
    const runs = values(specs).filter((v) => v.kind === "run");
    // Every drawn point is a run beyond its cell's fences, and every such run is drawn.
    const byCell = new Map<string, number[]>();
    for (const r of manyCells().runs) {
      if (r.status !== "ok") continue;
      const key = `${r.workload}\0${r.allocator}\0${r.threads}`;
      byCell.set(key, [...(byCell.get(key) ?? []), r.metrics.seconds]);
    }
    let expected = 0;
    for (const row of rows) {
      const iqr = row.q3 - row.q1;
      const beyond = (byCell.get(`${row.workload}\0${row.allocator}\0${row.threads}`) ?? []).filter(
        (s) => s < row.q1 - 1.5 * iqr || s > row.q3 + 1.5 * iqr,
      );
      expect(row.outliers).toBe(beyond.length);
      expect(row.points.map((p) => p.seconds).sort((a, b) => a - b)).toEqual(
        beyond.sort((a, b) => a - b),
      );
      expected += beyond.length;
    }
    expect(runs).toHaveLength(expected);
    expect(expected).toBeLessThan(rows.length); // far fewer points than runs (19,200)
    const cell = rows.find((r) => r.workload === "w3" && r.allocator === "musl" && r.threads === 2);
    const slow = (cell?.points ?? []).map((p) => p.seconds);
    expect(slow).toContain(cell?.max);
    expect(slow.filter((v) => v > 5 * (cell?.median as number))).toHaveLength(2);
    const box = values(specs).find(
      (v) =>
        v.kind === "box" &&
        v.workload === "w3" &&
        v.allocator === "musl" &&
        v.panel === "2 threads",
    ) as Json;
    // The whisker stops at the slowest typical run; min and max stay in the tooltip.
    expect(box.high).toBeLessThan(box.max as number);
    expect(box.high).toBeGreaterThanOrEqual(box.q3 as number);
    expect(box.low).toBe(box.min);
    expect(values(specs).filter((v) => v.kind === "box")).toHaveLength(480);
    // Every part says why: the model's reason is the 480 cells of the testbed, not the part's.
    for (const spec of specs) {
      expect(JSON.stringify(spec)).toContain('"x2":{"field":"high"}');
      expect(subtitle(spec)).toContain("Too many cells (480) to draw every run");
      expect(subtitle(spec)).toContain("1.5 × IQR");
      expect(subtitle(spec)).not.toContain("Each point is one measured run");
    }
    expect(alt).toContain("outlying runs as points");
  });

  it(`keeps evenly spread points while cells get at least ${MIN_SPREAD_POINTS} each`, () => {
    const { rows, specs } = distributionOf(
      syntheticResults({ runs: 100, workloads: ["larson"], threads: [1] }),
    );
    expect(rows.every((r) => r.style === "runs")).toBe(true);
    expect(subtitle(specs[0] as Json)).toContain(
      "(at most 60 per cell, evenly spread over the sorted runs)",
    );
  });

  it("names the testbeds drawn with outliers when only some are", () => {
    const few = syntheticResults({ runs: 12, cpuModel: "Small CPU" });
    const model = buildModel([
      { results: few, source: "a.json", baseline: "glibc" },
      { results: manyCells(), source: "b.json", baseline: "glibc" },
    ]);
    const charts = buildCharts(model).filter((c) => c.kind === "distribution");
    const [small, big] = model.testbeds;
    expect(small?.distributions.every((d) => d.style === "runs")).toBe(true);
    expect(big?.distributions.every((d) => d.style === "outliers")).toBe(true);
    // Split by workload: most parts hold the big testbed's workloads only, and still say which
    // testbed is drawn how.
    expect(charts.length).toBeGreaterThan(1);
    for (const chart of charts) {
      const text = subtitle(chart.spec);
      expect(text).toContain("Each point is one measured run");
      expect(text).toContain(`on ${big?.label} (too many cells to draw every run)`);
      expect(text).not.toContain(`on ${small?.label}`);
    }
  });
});
