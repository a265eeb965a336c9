/**
 * Loading a large results file on worker threads (src/results/parallel-load.ts), for real: the
 * compiled worker script (dist/, built by `npm ci`), real threads, the real CLI.
 */
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseResults } from "../../src/results/io.js";
import { bench, ROOT, tempDir } from "../helpers/cli.js";
import { syntheticResults } from "../unit/report/synthetic.js";

interface ParallelLoad {
  PARALLEL_LOAD_MIN_BYTES: number;
  parallelLoadAvailable(): boolean;
  readShared(file: string): Promise<Uint8Array>;
  parseInParallel(bytes: Uint8Array, threads?: number): Promise<unknown>;
}

let dir: string;
let file: string;
let text: string;

beforeAll(async () => {
  dir = await tempDir("mallocbench-parallel-load-");
  // 5 workloads x 5 allocators x 5 thread counts x 100 rounds, with timelines and latency:
  // about 17 MB, past the size where the CLI loads in parallel.
  const results = syntheticResults({
    workloads: ["w1", "w2", "w3", "w4", "w5"],
    allocators: ["glibc", "musl", "jemalloc", "tcmalloc", "mimalloc"],
    threads: [1, 2, 4, 8, 16],
    runs: 100,
    latency: true,
    timelines: true,
    seed: 11,
  });
  text = JSON.stringify(results, null, 1);
  file = path.join(dir, "big.json");
  await writeFile(file, text);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("parallel load of a large results file", () => {
  it("worker threads give the value parsing the whole file gives", async () => {
    const mod = (await import(
      path.join(ROOT, "dist", "results", "parallel-load.js")
    )) as ParallelLoad;
    expect(Buffer.byteLength(text)).toBeGreaterThan(mod.PARALLEL_LOAD_MIN_BYTES);
    expect(mod.parallelLoadAvailable()).toBe(true);
    const bytes = await mod.readShared(file);
    const expected = parseResults(JSON.parse(text), file);
    for (const threads of [2, 4]) {
      const parallel = await mod.parseInParallel(bytes, threads);
      expect(parallel).not.toBeNull();
      expect(parallel).toEqual(expected);
    }
  });

  it("the CLI reports the same with and without it", async () => {
    const args = ["report", file, "--format", "terminal", "--baseline", "glibc"];
    const parallel = await bench(args);
    const serial = await bench(args, { env: { MALLOCBENCH_SERIAL_LOAD: "1" } });
    expect(parallel.exitCode, parallel.all).toBe(0);
    expect(serial.exitCode, serial.all).toBe(0);
    expect(parallel.stdout).toContain("glibc");
    expect(parallel.stdout).toBe(serial.stdout);
  });
});
