import { describe, expect, it } from "vitest";
import { compareAllocators } from "../../../src/analysis/comparisons.js";
import { metricInfo } from "../../../src/analysis/metrics.js";
import { buildCharts, type ChartDef } from "../../../src/report/charts/index.js";
import { ratioChartSpec } from "../../../src/report/charts/ratio.js";
import { buildModel } from "../../../src/report/model.js";
import { paletteFor } from "../../../src/report/palette.js";
import { toVega } from "../../../src/report/render.js";
import type { ResultsFile } from "../../../src/results/schema.js";
import { syntheticResults } from "../../../testkit/synthetic.js";

type Json = Record<string, unknown>;

function chartsOf(sets: ResultsFile[], baseline = "glibc"): ChartDef[] {
  return buildCharts(
    buildModel(sets.map((results, i) => ({ results, source: `f${i}.json`, baseline }))),
  );
}

function byId(charts: ChartDef[], id: string): Json {
  const chart = charts.find((c) => c.id === id);
  if (!chart) throw new Error(`no chart ${id}`);
  return chart.spec;
}

function values(spec: Json): Json[] {
  return (spec.data as { values: Json[] }).values;
}

/** Every color (and shape) scale in a spec: [domain, range] pairs. */
function scales(
  spec: unknown,
  channel: string,
  out: [string[], string[]][] = [],
): [string[], string[]][] {
  if (Array.isArray(spec)) for (const s of spec) scales(s, channel, out);
  else if (spec && typeof spec === "object") {
    for (const [k, v] of Object.entries(spec as Json)) {
      if (k === channel && v && typeof v === "object" && (v as Json).field === "allocator") {
        const scale = (v as { scale: { domain: string[]; range: string[] } }).scale;
        out.push([scale.domain, scale.range]);
      } else scales(v, channel, out);
    }
  }
  return out;
}

describe("chart specs", () => {
  const full = syntheticResults({ latency: true, timelines: true, hardening: true });

  it("builds every chart type from a full results file, each a valid Vega-Lite spec", () => {
    const charts = chartsOf([full]);
    expect(charts.map((c) => c.id).sort()).toEqual(
      [
        "distribution",
        "hardening",
        "latency",
        "memory-overhead",
        "rss-ratio",
        "rss-timeline",
        "scaling",
        "summary",
        "time-ratio",
      ].sort(),
    );
    for (const c of charts) {
      expect(() => toVega(c.spec), c.id).not.toThrow();
      expect(c.spec.title).toMatchObject({ text: expect.any(String) });
    }
  });

  it("leaves out what the results do not hold: latency, overhead, timelines, hardening", () => {
    const ids = chartsOf([syntheticResults()]).map((c) => c.id);
    expect(ids).not.toContain("latency");
    expect(ids).not.toContain("memory-overhead");
    expect(ids).not.toContain("rss-timeline");
    expect(ids).not.toContain("hardening");
    expect(ids).not.toContain("architectures");
    expect(ids).toContain("time-ratio");
  });

  it("time-ratio: one heat-map cell per compared cell with the comparison's ratio and CI, its number and direction written in it", () => {
    const results = syntheticResults({ runs: 10 });
    const report = compareAllocators(results, "glibc", {
      metric: metricInfo("seconds"),
      alpha: 0.05,
      level: 0.95,
      threshold: 0,
    });
    const spec = byId(chartsOf([results]), "time-ratio");
    const rows = values(spec);
    const compared = report.rows.filter((r) => r.result.kind === "compared");
    expect(rows).toHaveLength(compared.length);
    for (const row of compared) {
      const r = row.result as { ratio: number; lower: number; upper: number };
      const v = rows.find(
        (x) =>
          x.workload === row.workload && x.threads === row.threads && x.allocator === row.allocator,
      );
      expect(v).toMatchObject({ ratio: r.ratio, lower: r.lower, upper: r.upper });
    }
    // musl is built 2x slower, jemalloc 2x faster in the synthetic data.
    const musl = rows.filter((x) => x.allocator === "musl").map((x) => x.ratio as number);
    const jemalloc = rows.filter((x) => x.allocator === "jemalloc").map((x) => x.ratio as number);
    for (const r of musl) expect(r).toBeGreaterThan(1.8);
    for (const r of jemalloc) expect(r).toBeLessThan(0.6);
    for (const v of rows)
      expect((v.lines as string[]).join(" ")).toMatch(/^\d+\.\d+x (faster|slower)$/);
    const layer = (spec.spec as { layer: Json[] }).layer;
    expect(layer.map((l) => (l.mark as Json).type)).toEqual(["rect", "rect", "text"]);
    expect(JSON.stringify(spec.title)).toContain("glibc");
  });

  it("gives each allocator one colour and one shape in every chart, fixed for known allocators", () => {
    const charts = chartsOf([syntheticResults({ latency: true, timelines: true })]);
    const palette = paletteFor(["glibc", "musl", "jemalloc"]);
    for (const c of charts) {
      const colors = scales(c.spec, "color");
      // The ratio heat maps colour the ratio, not the allocator.
      if (c.id !== "time-ratio" && c.id !== "rss-ratio")
        expect(colors.length, c.id).toBeGreaterThan(0);
      for (const [domain, range] of colors) {
        expect(domain).toEqual(palette.domain);
        expect(range).toEqual(palette.colors);
      }
      for (const [domain, range] of scales(c.spec, "shape")) {
        expect(domain).toEqual(palette.domain);
        expect(range).toEqual(palette.shapes);
      }
    }
    const a = paletteFor(["jemalloc", "glibc"]);
    const b = paletteFor(["scudo", "jemalloc", "mimalloc", "glibc", "mine"]);
    const colorOf = (p: typeof a, name: string): string | undefined =>
      p.colors[p.domain.indexOf(name)];
    expect(colorOf(a, "jemalloc")).toBe(colorOf(b, "jemalloc"));
    expect(colorOf(a, "glibc")).toBe(colorOf(b, "glibc"));
    expect(new Set(b.colors).size).toBe(b.colors.length);
    expect(new Set(b.shapes).size).toBe(b.shapes.length);
  });

  it("binds a legend selection so the HTML can toggle allocators", () => {
    // The ratio heat maps name each allocator on their rows instead of colouring it.
    const heatMaps = ["time-ratio", "rss-ratio"];
    for (const c of chartsOf([syntheticResults({ latency: true, timelines: true })])) {
      if (heatMaps.includes(c.id)) continue;
      const text = JSON.stringify(c.spec);
      expect(text, c.id).toContain('"bind":"legend"');
      const vega = JSON.stringify(toVega(c.spec));
      expect(vega, c.id).toContain("pick");
    }
  });

  it("several testbeds become small multiples and an architectures chart, never pooled", () => {
    const x86 = syntheticResults({ arch: "x86_64", cpuModel: "CPU A", seed: 1 });
    const arm = syntheticResults({ arch: "aarch64", cpuModel: "CPU B", seed: 2 });
    const charts = chartsOf([x86, arm]);
    const ratio = byId(charts, "time-ratio");
    const panels = new Set(values(ratio).map((v) => v.panel));
    expect(panels).toEqual(
      new Set([
        "x86_64 · CPU A · 1 thread",
        "x86_64 · CPU A · 2 threads",
        "aarch64 · CPU B · 1 thread",
        "aarch64 · CPU B · 2 threads",
      ]),
    );
    // Each testbed's rows come from its own comparison: as many as one testbed alone has.
    const single = values(byId(chartsOf([x86]), "time-ratio"));
    expect(values(ratio)).toHaveLength(2 * single.length);
    const arch = byId(charts, "architectures");
    expect((arch.facet as Json).column).toMatchObject({ field: "testbed" });
    expect(new Set(values(arch).map((v) => v.testbed))).toEqual(
      new Set(["x86_64 · CPU A", "aarch64 · CPU B"]),
    );
    const scaling = byId(charts, "scaling");
    expect((scaling.facet as Json).row).toMatchObject({ field: "testbed" });
  });

  it("carries the caption (CPU, arch, kernel, libc, versions, date, runs per cell) in every chart", () => {
    for (const c of chartsOf([syntheticResults({ runs: 7 })])) {
      const subtitle = ((c.spec.title as Json).subtitle as string[]).join(" ");
      for (const part of [
        "Synthetic CPU",
        "x86_64",
        "6.1.0",
        "glibc 2.36",
        "jemalloc 1.0",
        "2026-11-25",
        "7 runs per cell",
        "CPUs 0-1",
      ])
        expect(subtitle, `${c.id}: ${part}`).toContain(part);
    }
  });

  it("distribution: boxes over every run, points thinned to at most MAX_POINTS per cell", () => {
    const spec = byId(
      chartsOf([syntheticResults({ runs: 100, workloads: ["larson"], threads: [1] })]),
      "distribution",
    );
    const rows = values(spec);
    const boxes = rows.filter((r) => r.kind === "box");
    expect(boxes).toHaveLength(3);
    for (const b of boxes) expect(b.n).toBe(100);
    const points = rows.filter((r) => r.kind === "run" && r.allocator === "glibc");
    expect(points.length).toBeLessThanOrEqual(60);
    expect(points.length).toBeGreaterThan(10);
    const box = boxes.find((b) => b.allocator === "glibc") as Json;
    const ms = points.map((p) => p.ms as number);
    expect(Math.min(...ms)).toBe(box.min);
    expect(Math.max(...ms)).toBe(box.max);
  });

  it("latency: medians of each percentile per allocator on a log axis; overhead = RSS / live bytes", () => {
    const results = syntheticResults({ latency: true, runs: 5 });
    const charts = chartsOf([results]);
    const lat = values(byId(charts, "latency"));
    const p99 = lat.filter(
      (r) =>
        r.op === "malloc" &&
        r.percentile === "p99" &&
        r.allocator === "musl" &&
        r.workload === "larson",
    );
    expect(p99).toHaveLength(1);
    const runs = results.runs.filter(
      (r) =>
        r.workload === "larson" && r.allocator === "musl" && r.threads === 2 && r.status === "ok",
    );
    const observed = runs
      .map((r) => (r.metrics as Record<string, number>)["latency.malloc.p99"] as number)
      .sort((a, b) => a - b);
    expect(p99[0]?.ns).toBe(observed[2]);
    const over = values(byId(charts, "memory-overhead"));
    for (const o of over) expect(o.overhead).toBeGreaterThan(1.9);
  });

  it("hardening: one cell per allocator and probe naming its outcome", () => {
    const spec = byId(chartsOf([syntheticResults({ hardening: true })]), "hardening");
    const rows = values(spec);
    expect(rows).toHaveLength(6);
    // A file of one trial per probe: its silent detections (no signal name, no stderr) are
    // classed as died without a diagnostic, and nothing is flaky.
    expect(new Set(rows.map((r) => r.outcome))).toEqual(
      new Set(["died (no diagnostic)", "not detected"]),
    );
    expect(JSON.stringify(spec.layer)).toContain('"text":{"field":"lines"}');
    expect(JSON.stringify(spec.title)).toContain("flakiness was not measured");
  });

  it("ratio chart builder is pure: same input, same spec", () => {
    const results = syntheticResults();
    const model = buildModel([{ results, source: "x", baseline: "glibc" }]);
    const ctx = {
      palette: paletteFor(model.allocators),
      caption: ["c"],
      multiTestbed: false,
      workloads: ["threadtest", "larson"],
    };
    const t = model.testbeds[0]!;
    const a = ratioChartSpec(
      t.timeRatios,
      { metric: "time", baselines: ["glibc"], testbeds: [t.label] },
      ctx,
    );
    const b = ratioChartSpec(
      t.timeRatios,
      { metric: "time", baselines: ["glibc"], testbeds: [t.label] },
      ctx,
    );
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
});
