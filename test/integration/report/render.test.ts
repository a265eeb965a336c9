/**
 * Real rendering: every chart type to SVG (vega) and PNG (resvg), and `bench report` end to end
 * through the CLI.
 */
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { VlSpec } from "../../../src/report/charts/common.js";
import { buildCharts } from "../../../src/report/charts/index.js";
import { buildModel } from "../../../src/report/model.js";
import { renderSvg, svgToPng } from "../../../src/report/render.js";
import { bench, errorLines, tempDir } from "../../helpers/cli.js";
import { syntheticResults } from "../../../testkit/synthetic.js";

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe("chart rendering", () => {
  // Two testbeds so that the architectures chart exists too: every chart type.
  const model = buildModel([
    {
      results: syntheticResults({ latency: true, timelines: true, hardening: true, seed: 1 }),
      source: "a.json",
      baseline: "glibc",
    },
    {
      results: syntheticResults({
        arch: "aarch64",
        cpuModel: "Other CPU",
        latency: true,
        timelines: true,
        hardening: true,
        seed: 2,
      }),
      source: "b.json",
      baseline: "glibc",
    },
  ]);
  const charts = buildCharts(model);

  it("covers every chart type", () => {
    expect(charts.map((c) => c.id).sort()).toEqual(
      [
        "architectures",
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
  });

  for (const id of [
    "architectures",
    "distribution",
    "hardening",
    "latency",
    "memory-overhead",
    "rss-ratio",
    "rss-timeline",
    "scaling",
    "summary",
    "time-ratio",
  ]) {
    it(`${id}: non-empty SVG with its marks and title, PNG at 2x`, async () => {
      const chart = charts.find((c) => c.id === id)!;
      const svg = await renderSvg(chart.spec);
      expect(svg.startsWith("<svg")).toBe(true);
      const title = (chart.spec.title as { text: string }).text;
      expect(svg).toContain(title.replace(/&/g, "&amp;").replace(/'/g, "&#39;"));
      expect(svg).toMatch(/class="mark-(symbol|rect|line|rule|area)/);
      const width = Number(/^<svg[^>]* width="(\d+(?:\.\d+)?)"/.exec(svg)?.[1]);
      const height = Number(/^<svg[^>]* height="(\d+(?:\.\d+)?)"/.exec(svg)?.[1]);
      expect(width).toBeGreaterThan(200);
      expect(height).toBeGreaterThan(100);
      const png = svgToPng(svg, 2);
      expect(png.subarray(0, 8).equals(PNG_MAGIC)).toBe(true);
      const size = pngSize(png);
      expect(size.width).toBe(Math.ceil(width * 2));
      expect(size.height).toBe(Math.ceil(height * 2));
      expect(png.length).toBeGreaterThan(5_000);
    });
  }
});

describe("bench report", () => {
  it("writes index.md, index.html and every chart as SVG, PNG and spec", async () => {
    const dir = await tempDir();
    const file = path.join(dir, "r.json");
    await writeFile(
      file,
      JSON.stringify(syntheticResults({ runs: 8, latency: true, timelines: true })),
    );
    const out = path.join(dir, "out");
    const r = await bench(["report", file, "-o", out]);
    expect(r.exitCode, r.all).toBe(0);
    const charts = (await readdir(path.join(out, "charts"))).sort();
    for (const id of [
      "summary",
      "time-ratio",
      "scaling",
      "rss-ratio",
      "rss-timeline",
      "distribution",
      "latency",
      "memory-overhead",
    ])
      for (const ext of ["svg", "png", "vl.json"]) expect(charts).toContain(`${id}.${ext}`);
    for (const f of charts)
      expect((await stat(path.join(out, "charts", f))).size, f).toBeGreaterThan(1000);
    const md = await readFile(path.join(out, "index.md"), "utf8");
    for (const id of ["summary", "time-ratio", "latency"])
      expect(md).toContain(`(charts/${id}.png)`);
    expect(md).toMatch(/Overall the fastest is jemalloc: \d\.\d\dx faster than glibc \(95% CI/);
    expect(md).toContain("## Methodology");
    expect(md).toContain("## Environment");
    // The CLI renders on worker threads; each SVG (and PNG) is what the main thread renders from
    // its spec, whatever was rendered before it (here in reverse order).
    for (const f of charts.filter((c) => c.endsWith(".vl.json")).reverse()) {
      const spec = JSON.parse(await readFile(path.join(out, "charts", f), "utf8")) as VlSpec;
      const svg = await readFile(
        path.join(out, "charts", f.replace(/\.vl\.json$/, ".svg")),
        "utf8",
      );
      expect(await renderSvg(spec), f).toBe(svg);
      const png = await readFile(path.join(out, "charts", f.replace(/\.vl\.json$/, ".png")));
      expect(svgToPng(svg, 2).equals(png), f).toBe(true);
    }
    const html = await readFile(path.join(out, "index.html"), "utf8");
    expect(html).toContain('id="chart-time-ratio"');
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/https?:\/\/(?!vega\.github\.io\/schema)[^"\s]*\.js/);
  });

  it("--format terminal prints the table with ratios, CIs and verdict marks", async () => {
    const dir = await tempDir();
    const file = path.join(dir, "r.json");
    await writeFile(file, JSON.stringify(syntheticResults({ runs: 8 })));
    const r = await bench(["report", file, "--format", "terminal", "-o", path.join(dir, "none")]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(
      /threadtest\s+1\s+musl\s+8\/8\s+[\d.]+\s+[12]\.\d\dx slower\s+[\d.]+-[\d.]+x slower\s+-/,
    );
    expect(r.stdout).toMatch(
      /threadtest\s+1\s+jemalloc\s+8\/8\s+[\d.]+\s+[12]\.\d\dx faster\s+[\d.]+-[\d.]+x faster\s+\+/,
    );
    expect(r.stdout).toContain("time against glibc, geometric mean (95% CI):");
    await expect(stat(path.join(dir, "none"))).rejects.toThrow();
  });

  it("several files: one small multiple per testbed", async () => {
    const dir = await tempDir();
    const a = path.join(dir, "a.json");
    const b = path.join(dir, "b.json");
    await writeFile(a, JSON.stringify(syntheticResults({ seed: 1 })));
    await writeFile(
      b,
      JSON.stringify(syntheticResults({ seed: 2, arch: "aarch64", cpuModel: "Arm CPU" })),
    );
    const out = path.join(dir, "out");
    const r = await bench(["report", a, b, "-o", out, "--format", "md,svg"]);
    expect(r.exitCode, r.all).toBe(0);
    const md = await readFile(path.join(out, "index.md"), "utf8");
    expect(md).toContain("### x86\\_64 · Synthetic CPU");
    expect(md).toContain("### aarch64 · Arm CPU");
    expect(md).toContain("(charts/architectures.png)");
    const svg = await readFile(path.join(out, "charts", "architectures.svg"), "utf8");
    expect(svg).toContain("aarch64 · Arm CPU");
  });

  it("bad input: one line naming what to fix, exit 2", async () => {
    const dir = await tempDir();
    const file = path.join(dir, "r.json");
    await writeFile(file, JSON.stringify(syntheticResults()));
    for (const [args, pattern] of [
      [
        ["report", file, "--format", "pdf"],
        /--format: "pdf" is not one of md, html, svg, png, terminal/,
      ],
      [
        ["report", file, "--baseline", "nope"],
        /--baseline: allocator "nope" is not in these results/,
      ],
      [["report", path.join(dir, "missing.json")], /missing\.json: cannot read/],
      [
        ["report", file, "--allocators", "glibc,nope"],
        /--allocators: "nope" is not in these results \(have: glibc, musl, jemalloc\)/,
      ],
      [["report", file, "--workloads", "larsen"], /--workloads: "larsen" is not in these results/],
      [["report", file, "--threads", "1,64"], /--threads: "64" is not in these results/],
      [["report", file, "--threads", "two"], /--threads: "two" is not a positive whole number/],
      [["report", file, "--scale", "cubic"], /--scale: "cubic" is not one of linear, log/],
      [
        ["report", file, "--focus", "musl"],
        /--focus: give two different allocators as CANDIDATE:BASELINE/,
      ],
      [["report", file, "--focus", "scudo:glibc"], /--focus: "scudo" is not in these results/],
      [
        ["report", file, "--focus", "musl:glibc", "--baseline", "jemalloc"],
        /--focus musl:glibc compares with glibc, --baseline names jemalloc/,
      ],
      [
        ["report", file, "--focus", "musl:glibc", "--allocators", "glibc,jemalloc"],
        /--focus: "musl" is left out by --allocators/,
      ],
    ] as const) {
      const r = await bench([...args]);
      expect(r.exitCode, r.all).toBe(2);
      const lines = errorLines(r.stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
    }
  });

  it("--focus A:B opens with one sentence (number, direction, CI) and one chart; --allocators, --workloads, --threads select", async () => {
    const dir = await tempDir();
    const file = path.join(dir, "r.json");
    await writeFile(
      file,
      JSON.stringify(
        syntheticResults({
          runs: 10,
          threads: [1, 2],
          workloads: ["threadtest", "larson", "xmalloc"],
        }),
      ),
    );
    const out = path.join(dir, "rep");
    const r = await bench([
      "report",
      file,
      "-o",
      out,
      "--format",
      "md,svg",
      "--focus",
      "jemalloc:musl",
      "--allocators",
      "musl,jemalloc,glibc",
      "--workloads",
      "threadtest,larson",
      "--threads",
      "2",
    ]);
    expect(r.exitCode, r.all).toBe(0);
    const md = await readFile(path.join(out, "index.md"), "utf8");
    const [title, , headline, , chart] = md.split("\n");
    expect(title).toBe("# jemalloc against musl: malloc benchmark report");
    expect(headline).toMatch(
      /^On .*, jemalloc is \d+\.\d+x faster than musl \(95% CI \d+\.\d+-\d+\.\d+x faster\) in geometric mean over 2 cell\(s\): 2 workload\(s\) at 2 thread\(s\)\.$/,
    );
    expect(chart).toContain("charts/focus.png");
    const focus = JSON.parse(await readFile(path.join(out, "charts", "focus.vl.json"), "utf8")) as {
      data: { values: { workload: string; allocator: string; threads: number }[] };
    };
    expect(new Set(focus.data.values.map((v) => v.workload))).toEqual(
      new Set(["threadtest", "larson"]),
    );
    expect(new Set(focus.data.values.map((v) => v.allocator))).toEqual(new Set(["jemalloc"]));
    expect(new Set(focus.data.values.map((v) => v.threads))).toEqual(new Set([2]));
    // The selection reaches every table: no xmalloc, no 1-thread row, no other allocator.
    expect(md).not.toContain("xmalloc");
    expect(md).not.toMatch(/\| threadtest \| 1 \|/);
  });
});
