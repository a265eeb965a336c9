/** Headless rendering: Vega-Lite -> Vega -> SVG (vega's own SVG renderer) -> PNG (resvg). */
import { Resvg } from "@resvg/resvg-js";
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

/** Rasterise an SVG at `scale` (2 = sharp on high-density screens). */
export function svgToPng(svg: string, scale = 2): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: {
      loadSystemFonts: true,
      defaultFontFamily: "DejaVu Sans",
      sansSerifFamily: "DejaVu Sans",
    },
  });
  return resvg.render().asPng();
}
