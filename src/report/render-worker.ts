/**
 * Worker thread of {@link ./render-pool.ts}: renders the Vega-Lite specs it is sent to SVG and,
 * when asked, rasterises that SVG to PNG, with the same functions the main thread uses
 * ({@link renderSvg}, {@link svgToPng}), one chart at a time.
 */
import { parentPort } from "node:worker_threads";
import type { VlSpec } from "./charts/common.js";
import { renderSvg, svgToPng } from "./render.js";

export interface RenderRequest {
  id: number;
  spec: VlSpec;
  /** Rasterise at this scale too (null: SVG only). */
  pngScale: number | null;
}
export type RenderReply =
  { id: number; svg: string; png: Uint8Array | null } | { id: number; error: string };

parentPort?.on("message", (request: RenderRequest) => {
  renderSvg(request.spec)
    .then((svg) => {
      const png = request.pngScale === null ? null : svgToPng(svg, request.pngScale);
      // The PNG's memory moves to the main thread instead of being copied.
      const bytes = png === null ? null : new Uint8Array(png.buffer, png.byteOffset, png.length);
      parentPort?.postMessage(
        { id: request.id, svg, png: bytes } satisfies RenderReply,
        bytes && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
          ? [bytes.buffer as ArrayBuffer]
          : [],
      );
    })
    .catch((error: unknown) =>
      parentPort?.postMessage({
        id: request.id,
        error: error instanceof Error ? error.message : String(error),
      } satisfies RenderReply),
    );
});
