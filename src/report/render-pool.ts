/**
 * Rendering of a report's charts (SVG by Vega, PNG by resvg) on worker threads, so charts render
 * side by side on a machine with several CPUs and the main thread stays free (Vega renders on one
 * thread, and resvg encodes PNGs on the calling thread). Each worker loads Vega once and renders
 * whole charts with the same code as the main thread ({@link renderSvg}, {@link svgToPng}), so
 * the files are the same bytes. Workers start when the pool is created, so loading Vega overlaps
 * with loading the results and the statistics. Where the compiled worker script is missing
 * (running from the TypeScript sources, as the unit tests do) or a worker cannot start, charts
 * render on the main thread, PNGs on libuv's pool.
 */
import { existsSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { VlSpec } from "./charts/common.js";
import type { RenderReply, RenderRequest } from "./render-worker.js";

/** At most this many render workers, whatever the CPU count (each holds its own Vega). */
export const MAX_RENDER_WORKERS = 4;

export interface RenderedChart {
  svg: string;
  /** Null when no PNG was asked for. */
  png: Buffer | null;
}

interface Job {
  id: number;
  spec: VlSpec;
  pngScale: number | null;
  resolve: (chart: RenderedChart) => void;
  reject: (error: Error) => void;
}

/** On this thread: the SVG by Vega, the PNG on libuv's pool. */
async function renderHere(spec: VlSpec, pngScale: number | null): Promise<RenderedChart> {
  // Loaded on first use: with workers the main thread never needs Vega (about 0.5 s to load).
  const { renderSvg, svgToPngAsync } = await import("./render.js");
  const svg = await renderSvg(spec);
  return { svg, png: pngScale === null ? null : await svgToPngAsync(svg, pngScale) };
}

interface Slot {
  worker: Worker;
  busy: Job | null;
}

export class RenderPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private broken: Error | null = null;

  /** `workers` defaults to the CPUs available (at most {@link MAX_RENDER_WORKERS}). */
  constructor(workers = Math.min(MAX_RENDER_WORKERS, os.availableParallelism())) {
    const script = new URL("./render-worker.js", import.meta.url);
    if (workers < 1 || !existsSync(fileURLToPath(script))) return;
    for (let i = 0; i < workers; i++) {
      let worker: Worker;
      try {
        worker = new Worker(script);
      } catch {
        break;
      }
      const slot: Slot = { worker, busy: null };
      worker.on("message", (reply: RenderReply) => this.settle(slot, reply));
      worker.on("error", (error) => this.fail(slot, error));
      worker.on("exit", (code) => {
        if (code !== 0) this.fail(slot, new Error(`render worker exited with code ${code}`));
      });
      this.slots.push(slot);
    }
  }

  /** Whether charts render on worker threads (false: on the calling thread). */
  get parallel(): boolean {
    return this.slots.length > 0 && this.broken === null;
  }

  /**
   * The chart's SVG, and its PNG at `pngScale` unless that is null; rendered by the next free
   * worker, in submission order.
   */
  render(spec: VlSpec, pngScale: number | null): Promise<RenderedChart> {
    if (!this.parallel) return renderHere(spec, pngScale);
    return new Promise<RenderedChart>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, spec, pngScale, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const job = this.queue.shift();
      if (!job) return;
      slot.busy = job;
      slot.worker.postMessage({
        id: job.id,
        spec: job.spec,
        pngScale: job.pngScale,
      } satisfies RenderRequest);
    }
  }

  private settle(slot: Slot, reply: RenderReply): void {
    const job = slot.busy;
    if (!job || job.id !== reply.id) return;
    slot.busy = null;
    if ("svg" in reply)
      job.resolve({
        svg: reply.svg,
        png:
          reply.png === null
            ? null
            : Buffer.from(reply.png.buffer, reply.png.byteOffset, reply.png.byteLength),
      });
    else job.reject(new Error(reply.error));
    this.dispatch();
  }

  /** A worker died: its chart and every queued one render on this thread instead. */
  private fail(slot: Slot, error: Error): void {
    this.broken ??= error;
    const jobs = [...(slot.busy ? [slot.busy] : []), ...this.queue.splice(0)];
    slot.busy = null;
    for (const other of this.slots) {
      if (other.busy) {
        jobs.push(other.busy);
        other.busy = null;
      }
    }
    for (const job of jobs) renderHere(job.spec, job.pngScale).then(job.resolve, job.reject);
  }
}
