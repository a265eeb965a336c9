import { describe, expect, it } from "vitest";
import { buildCharts } from "../../../src/report/charts/index.js";
import { buildDocument, describeRatio, summaryText } from "../../../src/report/document.js";
import { escapeHtml, jsonForScript, renderHtml } from "../../../src/report/html.js";
import { escapeMarkdown, renderMarkdown } from "../../../src/report/markdown.js";
import { MEMORY_WORDS, TIME_WORDS } from "../../../src/analysis/direction.js";
import { buildModel } from "../../../src/report/model.js";
import { syntheticResults } from "../../../testkit/synthetic.js";

const HOSTILE = `</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"><!--`;

describe("report text", () => {
  it("writes the summary from the numbers: geometric means and the largest differences with CIs", () => {
    const results = syntheticResults({ runs: 10 });
    const model = buildModel([{ results, source: "r.json", baseline: "glibc" }]);
    const t = model.testbeds[0]!;
    const text = summaryText(t);
    const jemalloc = t.summary.find((s) => s.metric === "time" && s.allocator === "jemalloc")!;
    expect(text).toContain(
      `Overall the fastest is jemalloc: ${describeRatio(jemalloc.geomean, jemalloc.lower, jemalloc.upper, TIME_WORDS, "glibc")}`,
    );
    expect(text).toMatch(
      /The slowest is musl: \d\.\d\dx slower than glibc \(95% CI \d\.\d\d-\d\.\d\dx slower\)/,
    );
    expect(text).toMatch(
      /The largest significant speed-up: at \d threads?, jemalloc is \d\.\d\dx faster than glibc \(95% CI [\d.]+-[\d.]+x faster\) on (threadtest|larson)/,
    );
    expect(text).toContain("8 of 8 tested comparisons are significant");
  });

  it("counts only the allocators that ran, and names those whose every cell was skipped", () => {
    const results = syntheticResults({ runs: 10 });
    results.plan.allocators.push("scudo-musl");
    const model = buildModel([{ results, source: "r.json", baseline: "glibc" }]);
    const text = summaryText(model.testbeds[0]!);
    expect(text).toMatch(/, 3 allocators ran 2 workload\(s\)/);
    expect(text).toContain("; scudo-musl ran no cell: the plan skipped each of theirs");
    const all = summaryText(
      buildModel([{ results: syntheticResults({ runs: 10 }), source: "r.json", baseline: "glibc" }])
        .testbeds[0]!,
    );
    expect(all).toMatch(/, 3 allocators ran 2 workload\(s\) .*compared with glibc\./);
    expect(all).not.toContain("ran no cell");
  });

  it("folds every ratio to >= 1 with its direction word, CIs included", () => {
    expect(describeRatio(0.5, 0.4, 0.625, TIME_WORDS, "musl")).toBe(
      "2.00x faster than musl (95% CI 1.60-2.50x faster)",
    );
    expect(describeRatio(11.3, 10.8, 11.9, TIME_WORDS, "glibc")).toBe(
      "11.3x slower than glibc (95% CI 10.8-11.9x slower)",
    );
    expect(describeRatio(1.3, 1.2, 1.4, MEMORY_WORDS, "glibc")).toBe(
      "1.30x more memory than glibc (95% CI 1.20-1.40x more memory)",
    );
    expect(describeRatio(0.9, 0.8, 1.1, TIME_WORDS, "glibc")).toBe(
      "1.11x faster than glibc (95% CI 1.25x faster to 1.10x slower)",
    );
    expect(describeRatio(1.001, null, null, TIME_WORDS, "glibc", 3)).toBe(
      "1.00x: no difference from glibc (no CI: 3 runs)",
    );
  });

  it("quick runs keep point estimates (ratio of medians), marked 'no CI: N runs'", () => {
    const model = buildModel([
      { results: syntheticResults({ runs: 3 }), source: "r", baseline: "glibc" },
    ]);
    const t = model.testbeds[0]!;
    expect(t.timeRatios).toHaveLength(8);
    for (const r of t.timeRatios) {
      expect(r.lower).toBeNull();
      expect(r.ratio).toBeCloseTo(r.medianRatio, 12);
    }
    expect(summaryText(t)).toContain("8 of 8 time comparisons have too few runs");
    expect(t.summary.filter((s) => s.metric === "time")).toHaveLength(2);
    const md = renderMarkdown(buildDocument(model, []));
    expect(md).toMatch(/\| \d\.\d\dx (faster|slower) \| no CI: 3 runs \|/);
  });
});

describe("escaping", () => {
  it("HTML: no markup survives", () => {
    expect(escapeHtml(HOSTILE)).not.toMatch(/[<>"']/);
    expect(escapeHtml("a&b")).toBe("a&amp;b");
  });

  it("JSON in a script element: no '<' at all, and it parses back unchanged", () => {
    const value = { name: HOSTILE, other: "\u2028\u2029&>" };
    const text = jsonForScript(value);
    expect(text).not.toContain("<");
    expect(text).not.toContain(">");
    expect(text).not.toMatch(/[\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });

  it("Markdown: no raw HTML and no table breaks", () => {
    const md = escapeMarkdown(`${HOSTILE} | [x](javascript:alert(1))`);
    expect(md).not.toContain("<");
    expect(md).not.toMatch(/(^|[^\\])\|/);
    expect(md).not.toMatch(/(^|[^\\])\[/);
  });

  it("a report of a results file with hostile names carries them only escaped", () => {
    const results = syntheticResults({
      workloads: [`w${HOSTILE}`],
      allocators: ["glibc", `a${HOSTILE}`],
      threads: [1],
      runs: 6,
      hardening: true,
    });
    const model = buildModel([{ results, source: `s${HOSTILE}.json`, baseline: "glibc" }]);
    const blocks = buildDocument(model, buildCharts(model));
    const md = renderMarkdown(blocks);
    expect(md).not.toContain("<script");
    expect(md).not.toContain("<img");
    const html = renderHtml(blocks, `t${HOSTILE}`);
    // The page's own script elements: the specs (JSON), three inlined libraries, the loader.
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    expect(scripts).toEqual([
      '<script type="application/json" id="mb-specs">',
      "<script>",
      "<script>",
      "<script>",
      "<script>",
    ]);
    // What comes from the results, outside the inlined libraries (whose code has its own strings).
    const own = html.replace(/<script>\/\* vega[^]*?<\/script>/g, "");
    expect(own.length).toBeLessThan(html.length / 2);
    expect(own.includes("<img")).toBe(false);
    expect(own.includes("window.__pwned=1</script>")).toBe(false);
    expect(own.includes("<!--")).toBe(false);
    expect(own.includes("&lt;/script&gt;&lt;script&gt;window.__pwned=1")).toBe(true);
    const specs = /<script type="application\/json" id="mb-specs">([^<]*)<\/script>/.exec(own);
    expect(specs).not.toBeNull();
    const parsed = JSON.parse(specs![1]!) as Record<
      string,
      { data: { values: { allocator?: string }[] } }
    >;
    const names = parsed["time-ratio"]!.data.values.map((v) => v.allocator);
    expect(names.includes(`a${HOSTILE}`)).toBe(true);
  });
});
