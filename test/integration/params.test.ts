import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { bench, benchRun, errorLines, tempDir } from "../helpers/cli.js";

/** --param scans: real workload binaries get the values; each value is its own cell. */
describe("bench run --param", () => {
  it("makes one cell per value, with distinct keys and the parameter recorded", async () => {
    const run = await benchRun([
      "--quick",
      "-n",
      "1",
      "-w",
      "threadtest",
      "-a",
      "glibc",
      "-t",
      "1",
      "--param",
      "objsize=32,64",
    ]);
    expect(run.exitCode, run.all).toBe(0);
    const results = run.results;
    expect(results.plan.params).toEqual({ objsize: ["32", "64"] });
    const measured = results.runs.filter((r) => !r.warmup);
    expect(measured).toHaveLength(2);
    expect(measured.every((r) => r.status === "ok")).toBe(true);
    const keys = measured.map((r) => r.key.replace(/#.*$/, "")).sort();
    expect(keys).toEqual(["threadtest/glibc/t1/objsize=32", "threadtest/glibc/t1/objsize=64"]);
    expect(measured.map((r) => r.params?.["objsize"]).sort()).toEqual(["32", "64"]);
    // Each warmup belongs to its cell too.
    expect(
      results.runs
        .filter((r) => r.warmup)
        .map((r) => r.params?.["objsize"])
        .sort(),
    ).toEqual(["32", "64"]);
    expect(run.stdout).toContain("threadtest[objsize=32]");
    expect(run.stdout).toContain("threadtest[objsize=64]");
  });

  it("checks each value against the manifest's range before anything is built or measured", async () => {
    const dir = await tempDir();
    const out = path.join(dir, "r.json");
    const run = await bench(
      [
        "run",
        "--quick",
        "-w",
        "threadtest",
        "-a",
        "glibc",
        "-t",
        "1",
        "--param",
        "objsize=0,16",
        "-o",
        out,
      ],
      { env: { MALLOCBENCH_LOCK: path.join(dir, "lock") } },
    );
    expect(run.exitCode).toBe(2);
    expect(errorLines(String(run.stderr))).toEqual([
      expect.stringMatching(
        /^bench: --param objsize=0: out of range for workload threadtest \(1\.\.\d+\)$/,
      ),
    ]);
    expect(existsSync(out)).toBe(false);
  });

  it("rejects a parameter a selected workload does not declare, naming it and its parameters", async () => {
    const dir = await tempDir();
    const run = await bench(
      [
        "run",
        "--quick",
        "-n",
        "1",
        "-w",
        "threadtest,larson",
        "-a",
        "glibc",
        "-t",
        "1",
        "--param",
        "objsize=32",
        "-o",
        path.join(dir, "p.json"),
      ],
      { env: { MALLOCBENCH_LOCK: path.join(dir, "lock") } },
    );
    expect(run.exitCode).toBe(2);
    const lines = errorLines(run.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/objsize/);
    expect(lines[0]).toMatch(/larson/);
    expect(lines[0]).toMatch(/slots/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("rejects a malformed --param with exit 2", async () => {
    const run = await bench(["run", "--quick", "-w", "threadtest", "--param", "objsize"]);
    expect(run.exitCode).toBe(2);
    expect(errorLines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(/--param/);
  });
});
