/** Headless rendering: Vega-Lite -> Vega -> SVG (vega's own SVG renderer) -> PNG (resvg). */
import { Resvg, renderAsync, type ResvgRenderOptions } from "@resvg/resvg-js";
import * as vegaModule from "vega";
import { parse, View } from "vega";
import { compile } from "vega-lite";
import type { VlSpec } from "./charts/common.js";

/** Compile a Vega-Lite spec to Vega (throws on an invalid spec). */
export function toVega(spec: VlSpec): ReturnType<typeof compile>["spec"] {
  return compile(spec as unknown as Parameters<typeof compile>[0]).spec;
}

/**
 * Vega numbers SVG clip paths and gradients with counters shared by every render of a thread
 * (`resetSVGDefIds`, exported at run time but missing from its type declarations).
 */
const resetSvgDefIds = (vegaModule as unknown as { resetSVGDefIds?: () => void }).resetSVGDefIds;

/** Renders run one after another, so each starts its clip-path numbering afresh. */
let previous: Promise<unknown> = Promise.resolve();

/**
 * The chart as an SVG string. Each SVG numbers its clip paths from 1, so a chart's SVG does not
 * depend on which charts were rendered before it (nor on which thread renders it).
 */
export function renderSvg(spec: VlSpec): Promise<string> {
  const next = previous.then(async () => {
    const view = new View(parse(toVega(spec)), { renderer: "none" });
    try {
      await view.runAsync();
      resetSvgDefIds?.();
      return await view.toSVG();
    } finally {
      view.finalize();
    }
  });
  previous = next.catch(() => undefined);
  return next;
}

function pngOptions(scale: number): ResvgRenderOptions {
  return {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: {
      loadSystemFonts: true,
      defaultFontFamily: "DejaVu Sans",
      sansSerifFamily: "DejaVu Sans",
    },
  };
}

/** Rasterise an SVG at `scale` (2 = sharp on high-density screens). */
export function svgToPng(svg: string, scale = 2): Buffer {
  return new Resvg(svg, pngOptions(scale)).render().asPng();
}

/** The same off the main thread (libuv's pool), so it overlaps with rendering the next SVG. */
export async function svgToPngAsync(svg: string, scale = 2): Promise<Buffer> {
  return (await renderAsync(svg, pngOptions(scale))).asPng();
}
