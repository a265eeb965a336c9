import { readFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { hostMachine } from "../../src/platform/elf.js";
import { loadResults } from "../../src/results/io.js";
import type { ResultsFile } from "../../src/results/schema.js";
import { bench, tempDir } from "../helpers/cli.js";

/**
 * The acceptance run: larson under glibc, jemalloc, scudo and musl at 1 and 2 threads,
 * three quick runs each. Real compilers, real allocators, real processes.
 */
describe("bench run on real allocators", () => {
  let results: ResultsFile;
  let stdout: string;
  let exitCode: number | undefined;
  let out: string;

  beforeAll(async () => {
    const dir = await tempDir();
    out = path.join(dir, "x.json");
    const run = await bench(
      [
        "run",
        "-w",
        "larson",
        "-a",
        "glibc,jemalloc,scudo,musl",
        "-t",
        "1,2",
        "-n",
        "3",
        "--quick",
        "-o",
        out,
      ],
      {
        env: { MALLOCBENCH_LOCK: path.join(dir, "lock") },
      },
    );
    stdout = String(run.stdout);
    exitCode = run.exitCode;
    if (run.exitCode !== 0) console.error(run.all);
    results = await loadResults(out);
  }, 600_000);

  it("exits 0 and prints a summary naming every allocator", () => {
    expect(exitCode).toBe(0);
    for (const name of ["glibc", "jemalloc", "scudo", "musl"])
      expect(stdout).toMatch(new RegExp(`larson\\s+\\d\\s+${name}\\s`));
    expect(stdout).toContain("results: ");
  });

  it("records every planned run, all ok, warmups flagged", () => {
    const measured = results.runs.filter((r) => !r.warmup);
    expect(measured).toHaveLength(4 * 2 * 3);
    expect(results.runs.filter((r) => r.warmup)).toHaveLength(4 * 2 * 1);
    expect(results.runs.every((r) => r.status === "ok")).toBe(true);
    expect(results.complete).toBe(true);
    expect(new Set(results.runs.map((r) => r.key)).size).toBe(results.runs.length);
  });

  it("proves each allocator was the one really in use", () => {
    const byName = new Map(results.allocators.map((a) => [a.name, a]));
    const musl = results.environment.libcs.find((l) => l.libc === "musl");
    const glibc = results.environment.libcs.find((l) => l.libc === "glibc");
    for (const run of results.runs) {
      const allocator = byName.get(run.allocator);
      expect(allocator).toBeDefined();
      if (allocator?.realLib) expect(run.identity).toBe(allocator.realLib);
      else if (run.allocator === "musl") expect(run.identity).toBe(musl?.systemMalloc);
      else expect(run.identity).toBe(glibc?.systemMalloc);
    }
    expect(byName.get("jemalloc")?.realLib).toMatch(/libjemalloc\.so/);
    expect(byName.get("scudo")?.realLib).toMatch(/scudo_standalone/);
    expect(byName.get("jemalloc")?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("runs musl cells against the musl build and glibc-linked preloads against glibc", () => {
    for (const run of results.runs)
      expect(run.libc).toBe(run.allocator === "musl" ? "musl" : "glibc");
    const musl = results.environment.libcs.find((l) => l.libc === "musl");
    expect(musl?.systemMalloc).toMatch(/musl|ld-musl/);
    expect(musl?.version).toMatch(/^\d+\.\d+/);
  });

  it("measures every run from outside with positive memory and the workload's own numbers", () => {
    for (const run of results.runs) {
      if (run.status !== "ok") continue;
      expect(run.metrics.maxRssBytes).toBeGreaterThan(0);
      expect(run.metrics.wallSeconds).toBeGreaterThan(0);
      expect(run.metrics.ops).toBeGreaterThan(0);
      expect(run.metrics.seconds).toBeGreaterThan(0);
      expect(run.metrics.seconds).toBeLessThanOrEqual(run.metrics.wallSeconds);
      expect(run.metrics.minorFaults).toBeGreaterThan(0);
    }
  });

  it("gives identical checksums for one seed and thread count across allocators", () => {
    const byThreads = new Map<number, Set<string | null>>();
    for (const run of results.runs) {
      if (run.status !== "ok") continue;
      const set = byThreads.get(run.threads) ?? new Set();
      set.add(run.checksum);
      byThreads.set(run.threads, set);
    }
    for (const set of byThreads.values()) expect(set.size).toBe(1);
  });

  it("records the testbed and the plan", () => {
    expect(results.environment.arch).toBe(hostMachine());
    expect(results.environment.cores).toBeGreaterThan(0);
    expect(results.environment.libcs.map((l) => l.libc).sort()).toEqual(["glibc", "musl"]);
    expect(results.plan).toMatchObject({
      workloads: ["larson"],
      threads: [1, 2],
      runs: 3,
      warmup: 1,
      size: "quick",
    });
    expect(results.schemaVersion).toBe(1);
  });

  it("keeps a journal with the header and one line per run", async () => {
    const lines = (await readFile(`${out}.journal`, "utf8")).trim().split("\n");
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ type: "header", schemaVersion: 1 });
    expect(lines).toHaveLength(1 + results.runs.length);
  });
});
