/**
 * Intervals for latency percentiles and memory overhead (medians over runs with their
 * order-statistic CI, pinned to SciPy), overhead outliers drawn at the axis end, and charts
 * split by workload into parts that fit a blog column.
 */
import { describe, expect, it } from "vitest";
import { buildCharts, splitParts, type ChartDef } from "../../../src/report/charts/index.js";
import { overheadClip } from "../../../src/report/charts/overhead.js";
import { buildDocument } from "../../../src/report/document.js";
import { buildModel, runInterval } from "../../../src/report/model.js";
import { renderMarkdown } from "../../../src/report/markdown.js";
import { syntheticResults, type SyntheticOptions } from "../../../testkit/synthetic.js";

type Json = Record<string, unknown>;

function model(opts: SyntheticOptions) {
  return buildModel([{ results: syntheticResults(opts), source: "r.json", baseline: "glibc" }]);
}

/** The subtitle as one line (it is wrapped into several). */
function subtitle(chart: ChartDef | undefined): string {
  return ((chart?.spec.title as { subtitle: string[] }).subtitle ?? []).join(" ");
}

function valuesOf(chart: ChartDef | undefined): Json[] {
  return (chart?.spec.data as { values: Json[] }).values;
}

describe("median over runs with its 95% CI", () => {
  it("is the order-statistic interval SciPy gives (scipy.stats.quantile_test(...).confidence_interval(0.95))", () => {
    // SciPy 1.17.1: quantile_test(x, q=median, p=0.5).confidence_interval(0.95)
    const cases: [number[], number, number][] = [
      [[812, 790, 845, 801, 830, 799, 860, 805, 822, 815], 799, 845],
      [[3.1, 2.9, 3.3, 3.0, 3.2, 2.8, 3.4], 2.8, 3.4],
      [[5, 1, 9, 3, 7, 2, 8, 4, 6, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 6, 15],
    ];
    for (const [x, lower, upper] of cases) {
      const r = runInterval(x);
      expect(r?.lower).toBe(lower);
      expect(r?.upper).toBe(upper);
      expect(r?.n).toBe(x.length);
    }
  });

  it("has no interval below 6 runs, and says how many there were", () => {
    expect(runInterval([1, 2, 3, 4, 5])).toMatchObject({ n: 5, lower: null, upper: null });
    expect(runInterval([7])).toMatchObject({ n: 1, median: 7, lower: null, upper: null });
    expect(runInterval([])).toBeNull();
  });

  it("latency percentiles and overhead carry it in the model, the charts and the tables", () => {
    const m = model({ latency: true, runs: 8 });
    const t = m.testbeds[0]!;
    expect(t.latency.length).toBeGreaterThan(0);
    for (const r of t.latency) {
      expect(r.n).toBe(8);
      expect(r.lower).not.toBeNull();
      expect(r.lower!).toBeLessThanOrEqual(r.ns);
      expect(r.upper!).toBeGreaterThanOrEqual(r.ns);
    }
    for (const r of t.overhead) {
      expect(r.lower!).toBeLessThanOrEqual(r.overhead);
      expect(r.upper!).toBeGreaterThanOrEqual(r.overhead);
    }
    const charts = buildCharts(m);
    const latency = charts.find((c) => c.id === "latency")!;
    expect(JSON.stringify(latency.spec)).toContain('"y2":{"field":"upper"}');
    expect(subtitle(latency)).toContain("distribution-free, from order statistics");
    const overhead = charts.find((c) => c.id === "memory-overhead")!;
    expect(JSON.stringify(overhead.spec)).toContain('"x2":{"field":"upper"}');
    const md = renderMarkdown(buildDocument(m, charts));
    expect(md).toContain("### Memory overhead, at 2 threads");
    expect(md).toContain("### Latency percentiles, at 2 threads");
    // A value and its interval in brackets in every row.
    expect(md).toMatch(
      /\| larson \| musl \| 8 \| \d+\.\d\d \(\d+\.\d\d-\d+\.\d\d\)x the live bytes \|/,
    );
    expect(md).toMatch(/\| larson \| malloc \| musl \| 8 \| [\d,]+ \([\d,]+-[\d,]+\) \|/);
  });

  it("with too few runs: no bar, 'no CI: N runs' or 'single run', never an interval", () => {
    for (const runs of [1, 3]) {
      const m = model({ latency: true, runs });
      const t = m.testbeds[0]!;
      for (const r of [...t.latency, ...t.overhead]) expect(r.lower).toBeNull();
      const charts = buildCharts(m);
      const latency = charts.find((c) => c.id === "latency")!;
      expect(JSON.stringify(latency.spec)).not.toContain('"y2":{"field":"upper"}');
      const title = subtitle(latency);
      expect(title).toContain(runs === 1 ? "a single run per cell" : "too few runs (3 per cell");
      const tips = valuesOf(charts.find((c) => c.id === "memory-overhead")).map((v) => v.ci);
      expect(new Set(tips)).toEqual(new Set([runs === 1 ? "single run" : "no CI: 3 runs"]));
      const md = renderMarkdown(buildDocument(m, charts));
      expect(md).toContain(runs === 1 ? "| 1: single run |" : "| 3: no CI |");
    }
  });
});

describe("memory overhead outliers", () => {
  it("a few tiny-live-set workloads are clipped at a nice axis end, the rest keep their axis", () => {
    expect(overheadClip([1.2, 1.5, 1.8, 2.1, 2.5, 3, 1.4, 1.9, 2400, 3100])).toBe(5);
    expect(overheadClip([1.2, 1.5, 1.8, 2.1, 2.5, 3, 9])).toBeNull();
    expect(overheadClip([2, 3])).toBeNull();
  });

  it("draws each clipped value at the axis end with its number and an arrow, never dropping one", () => {
    const m = model({
      latency: true,
      runs: 6,
      workloads: ["threadtest", "larson", "xmalloc", "mstress", "tiny"],
      tinyLive: "tiny",
    });
    const chart = buildCharts(m).find((c) => c.kind === "memory-overhead")!;
    const values = valuesOf(chart);
    expect(values).toHaveLength(m.testbeds[0]!.overhead.length);
    const clipped = values.filter((v) => v.clipped);
    expect(clipped.map((v) => v.workload)).toEqual(["tiny", "tiny", "tiny"]);
    const end = Math.max(...values.map((v) => v.x as number));
    for (const v of clipped) {
      expect(v.x).toBe(end);
      expect(v.overhead as number).toBeGreaterThan(end);
      expect(v.label).toMatch(/^\d+x the live bytes →$/);
    }
    expect(subtitle(chart)).toContain("drawn at the right edge");
  });
});

describe("charts split by workload", () => {
  it("groups workloads evenly within the height budget", () => {
    const w = ["a", "b", "c", "d", "e", "f", "g"];
    expect(splitParts(w, () => 100, 1000)).toEqual([w]);
    expect(splitParts(w, () => 300, 1000)).toEqual([["a", "b", "c"], ["d", "e", "f"], ["g"]]);
    expect(splitParts(w, () => 400, 1000)).toEqual([["a", "b"], ["c", "d"], ["e", "f"], ["g"]]);
    // One workload taller than the budget is a part of its own, never dropped.
    expect(splitParts(["a", "b"], () => 2000, 1000)).toEqual([["a"], ["b"]]);
  });

  it("a tall chart becomes parts, each with its workloads, every cell in exactly one part, and an index", () => {
    const workloads = Array.from({ length: 12 }, (_, i) => `w${i + 1}`);
    const m = model({
      workloads,
      threads: [1, 2, 4],
      runs: 3,
      allocators: ["glibc", "musl", "jemalloc", "tcmalloc"],
    });
    const charts = buildCharts(m);
    const parts = charts.filter((c) => c.kind === "distribution");
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.map((p) => p.id)).toEqual(parts.map((_, i) => `distribution-${i + 1}`));
    expect(parts.flatMap((p) => p.part!.workloads)).toEqual(workloads);
    const drawn = parts.flatMap((p) =>
      valuesOf(p)
        .filter((v) => v.kind === "box")
        .map((v) => `${v.workload}/${v.panel}/${v.allocator}`),
    );
    expect(drawn).toHaveLength(m.testbeds[0]!.distributions.length);
    expect(new Set(drawn).size).toBe(drawn.length);
    for (const p of parts)
      expect((p.spec.title as { subtitle: string[] }).subtitle[0]).toMatch(
        new RegExp(
          `^Part ${p.part!.index} of ${parts.length} \\(by workload\\): ${p.part!.workloads[0]}`,
        ),
      );
    const md = renderMarkdown(buildDocument(m, charts));
    expect(md).toContain(`${parts.length} charts, split by workload so that each fits the column:`);
    for (const p of parts) expect(md).toContain(`](charts/${p.id}.png)`);
  });
});
