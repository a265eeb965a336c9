/**
 * Worker thread of {@link ./render-pool.ts}: renders the Vega-Lite specs it is sent to SVG and,
 * when asked, rasterises that SVG to PNG, with the same functions the main thread uses
 * ({@link renderSvg}, {@link svgToPng}), one chart at a time, in the order received. Every
 * worker is sent every chart; a worker renders one only if it is the first to claim it.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { VlSpec } from "./charts/common.js";
import { distributionChartSpec } from "./charts/distribution.js";
import type { Distribution } from "./model.js";
import { paletteFor } from "./palette.js";
import { renderSvg, svgToPng } from "./render.js";

export interface RenderRequest {
  id: number;
  spec: VlSpec;
  /** Rasterise at this scale too (null: SVG only). */
  pngScale: number | null;
  /** Shared by every worker: 0 while unclaimed; the claimant's index + 1 after. */
  claim: Int32Array;
}
/** Render a small chart now, for nothing but to have Vega's code compiled before real charts. */
export interface WarmUpRequest {
  warmUp: true;
}
export type RenderReply =
  { id: number; svg: string; png: Uint8Array | null } | { id: number; error: string };

const claimValue = ((workerData as { index?: number } | null)?.index ?? 0) + 1;
const queue: RenderRequest[] = [];
let busy = false;

async function render(request: RenderRequest): Promise<void> {
  try {
    const svg = await renderSvg(request.spec);
    const png = request.pngScale === null ? null : svgToPng(svg, request.pngScale);
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

/** The next chart received that no other worker has claimed, once the last one is done. */
function next(): void {
  if (busy) return;
  let request: RenderRequest | undefined;
  while ((request = queue.shift()) !== undefined) {
    if (Atomics.compareExchange(request.claim, 0, 0, claimValue) === 0) break;
  }
  if (!request) return;
  busy = true;
  void render(request).finally(() => {
    busy = false;
    next();
  });
}

/** A distribution chart of 2 allocators x 2 thread counts (facets, layers, a log scale). */
function warmUpSpec(): VlSpec {
  const allocators = ["glibc", "jemalloc"];
  const rows: Distribution[] = [1, 2].flatMap((threads) =>
    allocators.map((allocator, i) => ({
      testbed: "warm-up",
      workload: "warm-up",
      threads,
      allocator,
      n: 3,
      min: 1 + i,
      q1: 1.5 + i,
      median: 2 + i,
      q3: 2.5 + i,
      max: 3 + i,
      style: "runs" as const,
      whiskerLow: 1 + i,
      whiskerHigh: 3 + i,
      outliers: 0,
      points: [1, 2, 3].map((s, j) => ({ seconds: s + i, jitter: j / 3 - 0.5 })),
    })),
  );
  const ctx = {
    palette: paletteFor(allocators),
    caption: ["warm-up"],
    multiTestbed: false,
    workloads: ["warm-up"],
  };
  return distributionChartSpec(rows, { testbeds: ["warm-up"] }, ctx);
}

function warmUp(): void {
  if (busy || queue.length > 0) return; // real charts warm it up as well
  busy = true;
  void renderSvg(warmUpSpec())
    .catch(() => undefined)
    .finally(() => {
      busy = false;
      next();
    });
}

parentPort?.on("message", (request: RenderRequest | WarmUpRequest) => {
  if ("warmUp" in request) {
    warmUp();
    return;
  }
  queue.push(request);
  next();
});
