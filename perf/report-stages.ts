/**
 * npm run perf:report-stages -- <report>/charts — where a report's chart rendering spends its CPU
 * time, stage by stage, on this thread: Vega-Lite compile, Vega parse, view, dataflow run, SVG,
 * resvg's parse (with the system's fonts only where render.ts loads them), rasterising at the
 * scale of the PNG the report holds, and zlib. Each chart's `.vl.json` is rendered twice: the
 * first pass includes compiling Vega's code (what each render worker pays), the second is warm.
 * Run `bench report` first (e.g. on the file `npm run perf:report` writes).
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import v8 from "node:v8";
import zlib from "node:zlib";
import type * as ResvgModule from "@resvg/resvg-js";
import type * as VegaModule from "vega";
import type * as VegaLiteModule from "vega-lite";
import { REPORT_INTERRUPT_BUDGET } from "../src/commands/report.js";
import { rasterInput } from "../src/report/render.js";

const require = createRequire(import.meta.url);
const vega = require("vega") as typeof VegaModule;
const { compile } = require("vega-lite") as typeof VegaLiteModule;
const { Resvg } = require("@resvg/resvg-js") as typeof ResvgModule;

const dir = process.argv[2];
if (!dir) throw new Error("usage: npm run perf:report-stages -- <report directory>/charts");
v8.setFlagsFromString(`--interrupt-budget=${REPORT_INTERRUPT_BUDGET}`);
const charts = readdirSync(dir)
  .filter((f) => f.endsWith(".vl.json"))
  .map((f) => path.join(dir, f.slice(0, -".vl.json".length)));

const cpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

for (const pass of ["first (cold)", "second (warm)"]) {
  const totals = new Map<string, number>();
  const time = <T>(stage: string, f: () => T): T => {
    const start = cpuMs();
    try {
      return f();
    } finally {
      totals.set(stage, (totals.get(stage) ?? 0) + cpuMs() - start);
    }
  };
  let pixels = 0;
  for (const base of charts) {
    const spec = JSON.parse(readFileSync(`${base}.vl.json`, "utf8")) as Parameters<
      typeof compile
    >[0];
    const compiled = time("vega-lite compile", () => compile(spec).spec);
    const runtime = time("vega parse", () => vega.parse(compiled));
    const view = time("view", () => new vega.View(runtime, { renderer: "none" }));
    let start = cpuMs();
    await view.runAsync();
    totals.set("dataflow run", (totals.get("dataflow run") ?? 0) + cpuMs() - start);
    start = cpuMs();
    const svg = await view.toSVG();
    totals.set("toSVG", (totals.get("toSVG") ?? 0) + cpuMs() - start);
    view.finalize();
    // The scale of the report's PNG: its width over the SVG's.
    const png = readFileSync(`${base}.png`);
    const scale = png.readUInt32BE(16) / Number(/width="([\d.]+)"/.exec(svg)?.[1]);
    const resvg = time(
      "resvg parse",
      () =>
        // The report's own resvg input; the PNG's scale already fits the pixel budget.
        new Resvg(...rasterInput(svg, scale, Number.POSITIVE_INFINITY)),
    );
    const image = time("resvg render", () => resvg.render());
    pixels += image.width * image.height;
    time("zlib", () => zlib.deflateSync(image.pixels, { level: 1 }));
  }
  const sum = [...totals.values()].reduce((a, b) => a + b, 0);
  console.log(
    `${pass} pass, ${charts.length} charts, ${(pixels / 1e6).toFixed(1)} MP: ${[...totals]
      .map(([stage, ms]) => `${stage} ${(ms / 1000).toFixed(2)} s`)
      .join(", ")}; total ${(sum / 1000).toFixed(2)} s of CPU time`,
  );
}
