/**
 * The render workers of the compiled CLI (dist/, built by the global setup): they share the
 * charts out among themselves and give the same SVG and PNG as rendering on this thread, after a
 * warm-up render or not.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { buildCharts } from "../../../src/report/charts/index.js";
import { buildModel } from "../../../src/report/model.js";
import { renderSvg, svgToPng } from "../../../src/report/render.js";
import type { RenderPool } from "../../../src/report/render-pool.js";
import { syntheticResults } from "../../../testkit/synthetic.js";

const compiled = pathToFileURL(
  path.resolve(import.meta.dirname, "../../../dist/report/render-pool.js"),
).href;

async function pool(workers: number): Promise<RenderPool> {
  const { RenderPool: Pool } = (await import(compiled)) as {
    RenderPool: new (workers: number) => RenderPool;
  };
  return new Pool(workers);
}

describe("RenderPool (worker threads)", () => {
  const charts = buildCharts(
    buildModel([
      {
        results: syntheticResults({ latency: true, timelines: true, runs: 6 }),
        source: "r.json",
        baseline: "glibc",
      },
    ]),
  );

  for (const warm of [false, true])
    it(`renders every chart as this thread does${warm ? ", after a warm-up" : ""}`, async () => {
      const p = await pool(2);
      try {
        expect(p.parallel).toBe(true);
        if (warm) p.warmUp();
        // All queued at once: each is rendered once, by whichever worker claims it first.
        const rendered = await Promise.all(charts.map((c) => p.render(c.spec, 2)));
        for (const [i, c] of charts.entries()) {
          const svg = await renderSvg(c.spec);
          expect(rendered[i]?.svg, c.id).toBe(svg);
          expect(rendered[i]?.png?.equals(svgToPng(svg, 2)), c.id).toBe(true);
        }
        // SVG only when no scale is given.
        const only = await p.render((charts[0] as (typeof charts)[number]).spec, null);
        expect(only.png).toBeNull();
      } finally {
        await p.close();
      }
    });
});
