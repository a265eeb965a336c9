/**
 * Worker thread of {@link ./render-pool.ts}: renders the Vega-Lite specs it is sent to SVG
 * ({@link renderSvg}) and, when asked, rasterises that SVG to PNG ({@link svgToPngStreaming}:
 * the same bytes as the main thread's functions), one chart at a time, the costliest of those
 * waiting first. Every worker is sent every chart; a worker renders one only if it is the first
 * to claim it.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { VlSpec } from "./charts/common.js";
import { PNG_MAX_PIXELS, renderSvg, svgToPngStreaming } from "./render.js";

export interface RenderRequest {
  id: number;
  spec: VlSpec;
  /** Rasterise at this scale too (null: SVG only). */
  pngScale: number | null;
  /** Share of the PNG pixel budget (PNG_MAX_PIXELS) it gets: less for a part of a split chart. */
  pixelShare?: number;
  /** Shared by every worker: 0 while unclaimed; the claimant's index + 1 after. */
  claim: Int32Array;
  /** Expected rendering cost (any unit): of the charts waiting, the costliest is rendered first. */
  cost: number;
}
/**
 * Render this small chart now, for nothing but to have Vega's code compiled before real charts.
 * (Built by the pool, so the worker loads no chart or model code, only the renderer.)
 */
export interface WarmUpRequest {
  warmUp: true;
  spec: VlSpec;
}
export type RenderReply =
  { id: number; svg: string; png: Uint8Array | null } | { id: number; error: string };

const claimValue = ((workerData as { index?: number } | null)?.index ?? 0) + 1;
const queue: RenderRequest[] = [];
let busy = false;

async function render(request: RenderRequest): Promise<void> {
  try {
    const svg = await renderSvg(request.spec);
    const png =
      request.pngScale === null
        ? null
        : await svgToPngStreaming(
            svg,
            request.pngScale,
            PNG_MAX_PIXELS * (request.pixelShare ?? 1),
          );
    // The PNG's memory moves to the main thread instead of being copied.
    const bytes = png === null ? null : new Uint8Array(png.buffer, png.byteOffset, png.length);
    parentPort?.postMessage(
      { id: request.id, svg, png: bytes } satisfies RenderReply,
      bytes && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
        ? [bytes.buffer as ArrayBuffer]
        : [],
    );
  } catch (error) {
    parentPort?.postMessage({
      id: request.id,
      error: error instanceof Error ? error.message : String(error),
    } satisfies RenderReply);
  }
}

/**
 * Of the charts waiting in `queue` (in the order received), the costliest that no other worker
 * has claimed (the first received of equal cost), claimed with `claimValue` and taken out of the
 * queue, with every chart found claimed by another worker; undefined when none is left.
 * Longest first, so no long chart is left to render alone at the end while the other workers
 * wait.
 */
export function claimCostliest(
  queue: RenderRequest[],
  claimValue: number,
): RenderRequest | undefined {
  while (queue.length > 0) {
    let best = 0;
    for (let i = 1; i < queue.length; i++)
      if ((queue[i] as RenderRequest).cost > (queue[best] as RenderRequest).cost) best = i;
    const [candidate] = queue.splice(best, 1) as [RenderRequest];
    if (Atomics.compareExchange(candidate.claim, 0, 0, claimValue) === 0) return candidate;
  }
  return undefined;
}

/** The next chart ({@link claimCostliest}), once the last one is done. */
function next(): void {
  if (busy) return;
  const request = claimCostliest(queue, claimValue);
  if (!request) return;
  busy = true;
  void render(request).finally(() => {
    busy = false;
    next();
  });
}

function warmUp(spec: VlSpec): void {
  if (busy || queue.length > 0) return; // real charts warm it up as well
  busy = true;
  void renderSvg(spec)
    .catch(() => undefined)
    .finally(() => {
      busy = false;
      next();
    });
}

parentPort?.on("message", (request: RenderRequest | WarmUpRequest) => {
  if ("warmUp" in request) {
    warmUp(request.spec);
    return;
  }
  queue.push(request);
  next();
});
