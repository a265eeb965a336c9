/**
 * Static renders drop the tooltips (a PNG or SVG file cannot show them): the same pixels, and the
 * spec itself (written to .vl.json, embedded in the HTML) keeps them.
 */
import { parse, View } from "vega";
import * as vega from "vega";
import { describe, expect, it } from "vitest";
import type { VlSpec } from "../../../src/report/charts/common.js";
import { buildCharts } from "../../../src/report/charts/index.js";
import { buildModel } from "../../../src/report/model.js";
import { renderSvg, svgToPng, toVega, withoutTooltips } from "../../../src/report/render.js";
import { syntheticResults } from "./synthetic.js";

/** The SVG of the spec as it is, tooltips included (what renderSvg drew before). */
async function svgWithTooltips(spec: VlSpec): Promise<string> {
  const view = new View(parse(toVega(spec)), { renderer: "none" });
  try {
    await view.runAsync();
    (vega as unknown as { resetSVGDefIds: () => void }).resetSVGDefIds();
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function hasTooltip(spec: unknown): boolean {
  return JSON.stringify(spec).includes('"tooltip"');
}

describe("withoutTooltips", () => {
  it("drops the tooltip encodings and mark properties of every view, and only those", () => {
    const values = [{ a: 1, tooltip: "a data field, kept" }];
    const spec: VlSpec = {
      data: { values },
      mark: { type: "point", tooltip: true },
      encoding: { x: { field: "a" }, tooltip: [{ field: "a" }] },
      facet: { row: { field: "a" } },
      spec: {
        layer: [
          { mark: "rule", encoding: { y: { field: "a" }, tooltip: { field: "a" } } },
          { mark: { type: "bar", tooltip: { content: "data" } }, encoding: { y: { field: "a" } } },
        ],
      },
      hconcat: [{ mark: "line", encoding: { tooltip: null } }],
    };
    const before = JSON.stringify(spec);
    const out = withoutTooltips(spec);
    expect(JSON.stringify(spec)).toBe(before); // left as it was
    expect(out).toEqual({
      data: { values },
      mark: { type: "point" },
      encoding: { x: { field: "a" } },
      facet: { row: { field: "a" } },
      spec: {
        layer: [
          { mark: "rule", encoding: { y: { field: "a" } } },
          { mark: { type: "bar" }, encoding: { y: { field: "a" } } },
        ],
      },
      hconcat: [{ mark: "line", encoding: {} }],
    });
    expect((out.data as { values: unknown }).values).toBe(values); // shared, not copied
  });

  it("gives every chart of a report the same pixels", async () => {
    const charts = buildCharts(
      buildModel([
        {
          results: syntheticResults({ latency: true, timelines: true, runs: 6 }),
          source: "r.json",
          baseline: "glibc",
        },
      ]),
    );
    expect(charts.length).toBeGreaterThan(5);
    for (const c of charts) {
      expect(hasTooltip(c.spec), c.id).toBe(true);
      expect(hasTooltip(withoutTooltips(c.spec)), c.id).toBe(false);
      const svg = await renderSvg(c.spec);
      const full = await svgWithTooltips(c.spec);
      expect(svg, c.id).not.toBe(full); // the marks' ARIA labels name fewer fields
      expect(svgToPng(svg, 2).equals(svgToPng(full, 2)), c.id).toBe(true);
    }
  }, 60_000);
});
