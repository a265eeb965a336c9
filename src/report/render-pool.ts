/**
 * Rendering of a report's charts (SVG by Vega, PNG by resvg) on worker threads, so charts render
 * side by side on a machine with several CPUs and the main thread stays free (Vega renders on one
 * thread, and resvg encodes PNGs on the calling thread). Each worker loads Vega once and renders
 * whole charts with the same code as the main thread ({@link renderSvg}; the PNG encoder of
 * {@link svgToPngAsync}, in {@link svgToPngStreaming}), so the files are the same bytes. Workers start when the pool is created, so loading Vega overlaps
 * with loading the results and the statistics.
 *
 * Every chart is posted to every worker at once, with a shared claim flag: each worker renders
 * the charts it receives one after the other, in order, skipping those another worker claimed
 * first. So the workers share the charts out between themselves while this thread is busy (with
 * the statistics of the next charts, say) and cannot hand out work. Where the compiled worker script is missing
 * (running from the TypeScript sources, as the unit tests do) or a worker cannot start, charts
 * render on the main thread, PNGs on libuv's pool.
 */
import { existsSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { VlSpec } from "./charts/common.js";
import { distributionChartSpec } from "./charts/distribution.js";
import type { Distribution } from "./model.js";
import { paletteFor } from "./palette.js";
import type { RenderReply, RenderRequest, WarmUpRequest } from "./render-worker.js";

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
  pixelShare: number | undefined;
  /** 0: free; i + 1: claimed by worker i; {@link HERE}: rendered on this thread. */
  claim: Int32Array;
  resolve: (chart: RenderedChart) => void;
  reject: (error: Error) => void;
}

/** Claim value of a job rendered on this thread. */
const HERE = -1;

/** On this thread: the SVG by Vega, the PNG on libuv's pool. */
async function renderHere(
  spec: VlSpec,
  pngScale: number | null,
  pixelShare?: number,
): Promise<RenderedChart> {
  // Loaded on first use: with workers the main thread never needs Vega (about 0.5 s to load).
  const { renderSvg, svgToPngAsync, PNG_MAX_PIXELS } = await import("./render.js");
  const svg = await renderSvg(spec);
  return {
    svg,
    png:
      pngScale === null
        ? null
        : await svgToPngAsync(svg, pngScale, PNG_MAX_PIXELS * (pixelShare ?? 1)),
  };
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

export class RenderPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Job>();
  private nextId = 0;
  private broken: Error | null = null;
  private closed = false;

  /** `workers` defaults to the CPUs available (at most {@link MAX_RENDER_WORKERS}). */
  constructor(workers = Math.min(MAX_RENDER_WORKERS, os.availableParallelism())) {
    const script = new URL("./render-worker.js", import.meta.url);
    if (workers < 1 || !existsSync(fileURLToPath(script))) return;
    for (let i = 0; i < workers; i++) {
      let worker: Worker;
      try {
        worker = new Worker(script, { workerData: { index: i } });
      } catch {
        break;
      }
      worker.on("message", (reply: RenderReply) => this.settle(reply));
      worker.on("error", (error) => this.fail(i, error));
      worker.on("exit", (code) => {
        if (code !== 0) this.fail(i, new Error(`render worker exited with code ${code}`));
      });
      this.workers.push(worker);
    }
  }

  /** Whether charts render on worker threads (false: on the calling thread). */
  get parallel(): boolean {
    return this.workers.length > 0 && this.broken === null;
  }

  /**
   * The chart's SVG, and its PNG at `pngScale` unless that is null; rendered by the first worker
   * free, the costliest waiting chart first (`cost`: an estimate, any unit; equal costs in
   * submission order); `pixelShare` is the part of the PNG pixel budget it gets (render.ts, `pngScaleFor`).
   */
  render(
    spec: VlSpec,
    pngScale: number | null,
    cost = 0,
    pixelShare?: number,
  ): Promise<RenderedChart> {
    if (!this.parallel) return renderHere(spec, pngScale, pixelShare);
    return new Promise<RenderedChart>((resolve, reject) => {
      const claim = new Int32Array(new SharedArrayBuffer(4));
      const job: Job = { id: this.nextId++, spec, pngScale, pixelShare, claim, resolve, reject };
      this.pending.set(job.id, job);
      for (const worker of this.workers)
        worker.postMessage({
          id: job.id,
          spec,
          pngScale,
          ...(pixelShare === undefined ? {} : { pixelShare }),
          claim,
          cost,
        } satisfies RenderRequest);
    });
  }

  /**
   * Have each worker render a small chart now, so Vega's code is compiled before the first real
   * chart arrives: worth it while this thread loads a large results file (the workers would
   * wait anyway), not for a small one (its first chart would wait).
   */
  warmUp(): void {
    if (!this.parallel) return;
    const spec = warmUpSpec();
    for (const worker of this.workers)
      worker.postMessage({ warmUp: true, spec } satisfies WarmUpRequest);
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private settle(reply: RenderReply): void {
    const job = this.pending.get(reply.id);
    if (!job) return;
    this.pending.delete(reply.id);
    if ("svg" in reply)
      job.resolve({
        svg: reply.svg,
        png:
          reply.png === null
            ? null
            : Buffer.from(reply.png.buffer, reply.png.byteOffset, reply.png.byteLength),
      });
    else job.reject(new Error(reply.error));
  }

  /**
   * Worker `index` died: the chart it was rendering and every chart no worker has claimed yet
   * render on this thread instead (charts other workers claimed finish there).
   */
  private fail(index: number, error: Error): void {
    if (this.closed) return; // terminated by close()
    this.broken ??= error;
    for (const job of this.pending.values()) {
      const was = Atomics.compareExchange(job.claim, 0, 0, HERE);
      if (was !== 0 && was !== index + 1) continue;
      Atomics.store(job.claim, 0, HERE);
      this.pending.delete(job.id);
      renderHere(job.spec, job.pngScale, job.pixelShare).then(job.resolve, job.reject);
    }
  }
}
