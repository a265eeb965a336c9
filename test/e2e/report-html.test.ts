/**
 * The HTML report in a real browser (Debian's chromium driven by playwright-core): every chart
 * renders, tooltips show numbers, the legend toggles allocators, nothing logs an error, and names
 * from a hostile results file never run as script.
 */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bench, tempDir } from "../helpers/cli.js";
import { syntheticResults } from "../../testkit/synthetic.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** The little of the DOM the layout test reads (this project's types have no DOM). */
interface PageElement {
  getBoundingClientRect(): { bottom: number; right: number };
  textContent: string | null;
  getAttribute(name: string): string | null;
}
interface PageDocument {
  documentElement: { scrollWidth: number; clientWidth: number };
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement> & { length: number };
}

const HEAT_CELL = "g.mark-rect.role-mark path";
const HOSTILE = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`;

let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install chromium)`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});

afterAll(async () => {
  await browser?.close();
});

async function report(results: object, dir: string, extra: string[] = []): Promise<string> {
  const file = path.join(dir, "results.json");
  await writeFile(file, JSON.stringify(results));
  const out = path.join(dir, "report");
  const r = await bench(["report", file, "-o", out, "--format", "html", ...extra]);
  expect(r.exitCode, r.all).toBe(0);
  return path.join(out, "index.html");
}

interface Loaded {
  page: Page;
  errors: string[];
  dialogs: string[];
}

async function open(file: string, width = 1400, height = 1000): Promise<Loaded> {
  const page = await browser.newPage({ viewport: { width, height } });
  const errors: string[] = [];
  const dialogs: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  // Nothing may be fetched: the page is self-contained.
  page.on("request", (req) => {
    if (!req.url().startsWith("file:") && !req.url().startsWith("data:"))
      errors.push(`network request: ${req.url()}`);
  });
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector("body[data-charts-done]", { timeout: 60_000 });
  return { page, errors, dialogs };
}

/** Hover the centre of the first symbol (or heat-map cell) of a chart; the tooltip's text. */
async function tooltipOf(
  page: Page,
  chartId: string,
  mark_ = "g.mark-symbol.role-mark path",
): Promise<string> {
  const mark = page.locator(`#chart-${chartId} ${mark_}`).first();
  await mark.scrollIntoViewIfNeeded();
  const box = await mark.boundingBox();
  expect(box, chartId).not.toBeNull();
  await page.mouse.move(0, 0);
  await page.mouse.move(box!.x + box!.width / 2, box!.y + box!.height / 2);
  const tip = page.locator("#vg-tooltip-element.visible");
  await tip.waitFor({ timeout: 5_000 });
  return (await tip.textContent()) ?? "";
}

describe("HTML report in Chromium", () => {
  it("renders every chart with tooltips and legend toggles, and logs no errors", async () => {
    const dir = await tempDir();
    const file = await report(
      syntheticResults({ runs: 8, latency: true, timelines: true, hardening: true }),
      dir,
    );
    const { page, errors, dialogs } = await open(file);
    const charts = await page.locator(".chart").evaluateAll((els) =>
      els.map((el) => ({
        id: el.id,
        rendered: el.getAttribute("data-rendered"),
        error: el.getAttribute("data-error"),
        marks: el.querySelectorAll(
          "svg .mark-symbol path, svg .mark-rect path, svg .mark-line path",
        ).length,
      })),
    );
    expect(charts.map((c) => c.id).sort()).toEqual(
      [
        "chart-distribution",
        "chart-hardening",
        "chart-latency",
        "chart-memory-overhead",
        "chart-rss-ratio",
        "chart-rss-timeline",
        "chart-scaling",
        "chart-summary",
        "chart-time-ratio",
      ].sort(),
    );
    for (const c of charts) {
      expect(c.error, c.id).toBeNull();
      expect(c.rendered, c.id).toBe("true");
      expect(c.marks, c.id).toBeGreaterThan(0);
    }
    const tip = await tooltipOf(page, "time-ratio", HEAT_CELL);
    expect(tip).toMatch(/time against glibc\s*\d+\.\d+x (faster|slower)/);
    expect(tip).toMatch(/95% CI\s*\d+\.\d+-\d+\.\d+x (faster|slower)/);
    expect(await tooltipOf(page, "scaling")).toMatch(/median throughput\s*\d+(\.\d+)?M ops\/s/);

    // Clicking an allocator in the legend fades the others' marks (the first entry is glibc,
    // the baseline, which has no mark of its own in the summary).
    const opacities = async (): Promise<string[]> =>
      page
        .locator("#chart-summary g.mark-symbol.role-mark path")
        .evaluateAll((els) => els.map((e) => e.getAttribute("opacity") ?? "1"));
    expect(new Set(await opacities())).toEqual(new Set(["1"]));
    await page.locator("#chart-summary g.role-legend-symbol path").nth(1).click();
    await page.waitForTimeout(300);
    const after = await opacities();
    // musl's two marks (time and peak RSS panels) stay, jemalloc's fade.
    expect(after).toHaveLength(4);
    expect(after.filter((o) => o === "1")).toHaveLength(2);
    expect(after.filter((o) => Number(o) < 0.5)).toHaveLength(2);

    expect(errors).toEqual([]);
    expect(dialogs).toEqual([]);
    await page.close();
  });

  it("a results file with HTML in its names does not run script in the page", async () => {
    const dir = await tempDir();
    const results = syntheticResults({
      workloads: [`w${HOSTILE}`],
      allocators: ["glibc", `a${HOSTILE}`, `<img src=x onerror=alert(1)>`],
      threads: [1],
      runs: 6,
      hardening: true,
    });
    const file = await report(results, dir);
    const { page, errors, dialogs } = await open(file);
    // The names are shown as text, in the tables and in the charts.
    expect(await page.locator("table").first().textContent()).toContain(`w${HOSTILE}`);
    expect(await page.locator("#chart-time-ratio svg").textContent()).toContain("<script>");
    await tooltipOf(page, "time-ratio", HEAT_CELL);
    await tooltipOf(page, "summary");
    expect(
      await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned),
    ).toBeUndefined();
    expect(await page.locator("img").count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("at 700 and 1280 px: no horizontal overflow, the focused headline visible without scrolling, contents and folded long tables", async () => {
    const dir = await tempDir();
    const file = await report(
      // Enough workloads that the tall charts are split into parts, a workload whose memory
      // overhead is an outlier, latency intervals and a repeated hardening matrix.
      syntheticResults({
        runs: 6,
        threads: [1, 2, 4],
        workloads: ["threadtest", "larson", "xmalloc", "mstress", "cache-scratch", "tiny"],
        allocators: ["glibc", "musl", "jemalloc", "tcmalloc", "mimalloc"],
        timelines: true,
        latency: true,
        tinyLive: "tiny",
        hardening: true,
        hardeningTrials: 5,
      }),
      dir,
      ["--focus", "jemalloc:musl"],
    );
    for (const width of [700, 1280]) {
      const { page, errors } = await open(file, width, 900);
      const layout = await page.evaluate(() => {
        const document = (globalThis as unknown as { document: PageDocument }).document;
        return {
          scrollWidth: document.documentElement.scrollWidth,
          clientWidth: document.documentElement.clientWidth,
          headline: document.querySelector("h1 + p")?.getBoundingClientRect().bottom ?? Infinity,
          headlineText: document.querySelector("h1 + p")?.textContent ?? "",
          toc: [...document.querySelectorAll("nav.toc a")].map((a) => a.getAttribute("href")),
          folded: document.querySelectorAll("details:not([open]) table").length,
          // The index of a split chart: each link leads to a drawn part.
          parts: [...document.querySelectorAll("ol.parts a")].map((a) => {
            const href = a.getAttribute("href") ?? "";
            return { href, drawn: document.querySelector(`${href} svg`) !== null };
          }),
          wideCharts: [...document.querySelectorAll(".chart svg")].filter(
            (svg) => svg.getBoundingClientRect().right > document.documentElement.clientWidth,
          ).length,
        };
      });
      expect(layout.scrollWidth, `${width} px`).toBeLessThanOrEqual(layout.clientWidth);
      expect(layout.wideCharts, `${width} px`).toBe(0);
      expect(layout.headline, `${width} px`).toBeLessThanOrEqual(900);
      expect(layout.headlineText).toMatch(/jemalloc is \d+\.\d+x faster than musl \(95% CI/);
      expect(layout.toc).toContain("#time");
      expect(layout.toc).toContain("#environment");
      expect(layout.folded, `${width} px`).toBeGreaterThan(0);
      expect(layout.parts.map((p) => p.href)).toContain("#chart-distribution-2");
      for (const p of layout.parts) expect(p.drawn, p.href).toBe(true);
      const shot = await page.screenshot({ path: path.join(dir, `report-${width}.png`) });
      expect(shot.readUInt32BE(16)).toBe(width);
      expect(errors).toEqual([]);
      await page.close();
    }
  });
});
