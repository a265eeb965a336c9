/**
 * A report as a reader sees it, rendered for real (Vega to SVG, Markdown, HTML, terminal): every
 * ratio carries its direction word, oversubscribed thread counts are flagged and left out of the
 * summaries, quick runs keep point estimates, and every chart's text is at least 11 px in a
 * 700 px column.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { writeReport } from "../../../src/report/index.js";
import { tempDir } from "../../helpers/cli.js";
import { syntheticResults } from "../../../testkit/synthetic.js";

/** What may follow a ratio such as "2.40x": its direction in words. */
const DIRECTION =
  /^(?: ‡)?(?:\s|<[^>]*>)*(?:faster|slower|less memory|more memory|less|more|: no difference|: same|the live bytes)/;

/** Every "<number>x" in a text that is not followed by its direction word. */
function bareRatios(text: string): string[] {
  const bad: string[] = [];
  for (const m of text.matchAll(/(?<![\w.])\d+(?:\.\d+)?x(?![\w])/g)) {
    const rest = text.slice((m.index ?? 0) + m[0].length, (m.index ?? 0) + m[0].length + 40);
    if (!DIRECTION.test(rest))
      bad.push(text.slice(Math.max(0, (m.index ?? 0) - 30), (m.index ?? 0) + 50));
  }
  return bad;
}

/** The text of an SVG as read: the lines of each text element joined by spaces. */
function svgText(svg: string): string {
  return [...svg.matchAll(/<text[^>]*>([\s\S]*?)<\/text>/g)]
    .map((m) => (m[1] ?? "").replace(/<[^>]*>/g, " ").replace(/\s+/g, " "))
    .join("\n");
}

async function render(opts: Parameters<typeof syntheticResults>[0]): Promise<{
  dir: string;
  md: string;
  html: string;
  terminal: string;
  svgs: Record<string, string>;
}> {
  const dir = await tempDir("mallocbench-reading-");
  const results = syntheticResults(opts);
  // Paths of the measuring machine, as a real run records them.
  for (const l of results.environment.libcs) l.compiler = ["/opt/gcc/bin/gcc"];
  for (const a of results.allocators)
    if (a.source !== "libc") a.lib = `/home/me/build/lib${a.name}.so`;
  const out = await writeReport([{ results, source: "r.json", baseline: "glibc" }], {
    outDir: dir,
    formats: ["md", "html", "svg", "terminal"],
  });
  const svgs: Record<string, string> = {};
  for (const f of await readdir(path.join(dir, "charts")))
    if (f.endsWith(".svg")) svgs[f] = await readFile(path.join(dir, "charts", f), "utf8");
  return {
    dir,
    md: await readFile(path.join(dir, "index.md"), "utf8"),
    html: await readFile(path.join(dir, "index.html"), "utf8"),
    terminal: out.terminal ?? "",
    svgs,
  };
}

describe("a report as read", () => {
  // 2 online CPUs in the synthetic environment: 4 threads are oversubscribed.
  const full = render({
    threads: [1, 2, 4],
    runs: 10,
    latency: true,
    timelines: true,
    hardening: true,
    hardeningTrials: 5,
  });
  const quick = render({ threads: [1, 2], runs: 3, latency: true });
  // Tall enough to be split into parts, with a workload whose overhead is an outlier.
  const tall = render({
    workloads: ["threadtest", "larson", "xmalloc", "mstress", "cache-scratch", "tiny", "w7", "w8"],
    allocators: ["glibc", "musl", "jemalloc", "tcmalloc"],
    threads: [1, 2, 4],
    runs: 6,
    latency: true,
    tinyLive: "tiny",
  });

  it("every ratio shown, in md, html, svg and terminal, carries its direction word", async () => {
    for (const r of [await full, await quick, await tall]) {
      expect(bareRatios(r.md), "md").toEqual([]);
      const body = r.html.slice(0, r.html.indexOf('<script type="application/json"'));
      expect(bareRatios(body.replace(/<[^>]*>/g, " ")), "html").toEqual([]);
      expect(bareRatios(r.terminal), "terminal").toEqual([]);
      for (const [name, svg] of Object.entries(r.svgs))
        expect(bareRatios(svgText(svg)), name).toEqual([]);
    }
    const { md } = await full;
    expect(md).toMatch(/\d\.\d\dx (faster|slower) than glibc/);
    expect(md).toMatch(/\d\.\d\dx (less|more) memory/);
  });

  it("flags oversubscribed thread counts in tables, prose and charts, and leaves them out of the geometric means", async () => {
    const { md, svgs } = await full;
    expect(md).toMatch(/\| 4 † \|/);
    expect(md).not.toMatch(/\| [12] † \|/);
    expect(md).toContain("at 4 threads the threads outnumber the CPUs (oversubscribed)");
    // 2 workloads x 2 fitting thread counts per allocator; 2 cells left out.
    expect(md).toMatch(/\| jemalloc \| time \| 4 \(\+2 † left out\) \|/);
    expect(svgText(svgs["scaling.svg"] ?? "")).toContain("oversubscribed");
    expect(svgText(svgs["time-ratio.svg"] ?? "")).toContain("4 threads †");
  });

  it("quick runs: point estimates marked 'no CI: N runs', and no band promised on the chart", async () => {
    const { md, svgs } = await quick;
    expect(md).toMatch(/\| \d\.\d\dx (faster|slower) \| no CI: 3 runs \|/);
    expect(md).not.toMatch(/\| - \| - \| - \| too few runs/);
    const scaling = svgText(svgs["scaling.svg"] ?? "");
    expect(scaling).toContain("too few runs");
    expect(scaling).not.toContain("the band is");
    expect(svgText(svgs["time-ratio.svg"] ?? "")).toContain("Too few runs");
  });

  it("every chart fits a 700 px column with its text at least 11 px there", async () => {
    for (const r of [await full, await quick, await tall]) {
      for (const [name, svg] of Object.entries(r.svgs)) {
        const width = Number(/<svg[^>]*\swidth="([\d.]+)"/.exec(svg)?.[1]);
        expect(width, name).toBeGreaterThan(0);
        const scale = Math.min(1, 700 / width);
        const sizes = [...svg.matchAll(/font-size="([\d.]+)px"/g)].map((m) => Number(m[1]));
        expect(sizes.length, name).toBeGreaterThan(0);
        expect(Math.min(...sizes) * scale, name).toBeGreaterThanOrEqual(11);
      }
    }
  });

  it("tall charts are split by workload into parts with an index; overhead outliers are labelled at the axis end", async () => {
    const { md, svgs } = await tall;
    const parts = Object.keys(svgs).filter((n) => /^distribution-\d+\.svg$/.test(n));
    expect(parts.length).toBeGreaterThan(1);
    expect(svgs["distribution.svg"]).toBeUndefined();
    expect(md).toMatch(/\d charts, split by workload so that each fits the column:/);
    for (const name of parts) {
      expect(svgText(svgs[name] ?? "")).toMatch(/Part \d of \d \(by workload\)/);
      const height = Number(/<svg[^>]*\sheight="([\d.]+)"/.exec(svgs[name] ?? "")?.[1]);
      expect(height, name).toBeLessThan(2000);
    }
    const overhead = Object.entries(svgs)
      .filter(([n]) => n.startsWith("memory-overhead"))
      .map(([, svg]) => svgText(svg))
      .join("\n");
    expect(overhead).toMatch(/\d+x the live bytes →/);
    expect(overhead).toContain("drawn at the right edge");
  });

  it("latency and overhead show their interval over runs, or say there is none", async () => {
    const { md, svgs } = await full;
    expect(md).toMatch(
      /\| larson \| musl \| 10 \| \d+\.\d\d \(\d+\.\d\d-\d+\.\d\d\)x the live bytes \|/,
    );
    expect(svgText(svgs["latency.svg"] ?? "")).toContain("95% confidence");
    const q = await quick;
    expect(q.md).toContain("| 3: no CI |");
    expect(svgText(q.svgs["memory-overhead.svg"] ?? "")).toContain("No interval: too few runs");
  });

  it("hardening: repeated probes classed, flaky cells shown as flaky in the table and the chart", async () => {
    const { md, svgs } = await full;
    expect(md).toContain("Each probe ran 5 times per allocator");
    expect(md).toMatch(/\| glibc \| flaky: 4 detected, 1 not detected \| /);
    const chart = svgText(svgs["hardening.svg"] ?? "");
    expect(chart).toContain("flaky:");
    expect(chart).toContain("4 detected");
    expect(chart).toContain("flaky (trials differ)");
  });

  it("names no absolute local path in the Environment table", async () => {
    const { md } = await full;
    const env = md.slice(md.indexOf("## Environment"));
    expect(env).not.toMatch(/(^|[\s;(])\/(lib|usr|tmp|home|opt)\//m);
  });
});

describe("failed cells", () => {
  it("are marked with their reason in the tables and the ratio heat map, not left blank", async () => {
    const dir = await tempDir("mallocbench-failed-");
    const results = syntheticResults({ runs: 6, failCell: "larson/musl/2" });
    await writeReport([{ results, source: "r.json", baseline: "glibc" }], {
      outDir: dir,
      formats: ["md", "svg"],
    });
    const md = await readFile(path.join(dir, "index.md"), "utf8");
    expect(md).toMatch(/\| larson \| 2 \| musl \| [^|]+ \| - \| musl failed: signal \|/);
    const svg = svgText(await readFile(path.join(dir, "charts", "time-ratio.svg"), "utf8"));
    expect(svg).toMatch(/failed: signal/);
  });
});
