/** Headless rendering: Vega-Lite -> Vega -> SVG (vega's own SVG renderer) -> PNG (resvg). */
import { Resvg, renderAsync, type ResvgRenderOptions } from "@resvg/resvg-js";
import { parse, View } from "vega";
import { compile } from "vega-lite";
import type { VlSpec } from "./charts/common.js";

/** Compile a Vega-Lite spec to Vega (throws on an invalid spec). */
export function toVega(spec: VlSpec): ReturnType<typeof compile>["spec"] {
  return compile(spec as unknown as Parameters<typeof compile>[0]).spec;
}

export async function renderSvg(spec: VlSpec): Promise<string> {
  const view = new View(parse(toVega(spec)), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
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
