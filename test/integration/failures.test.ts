import path from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import type { FailedRun, ResultsFile } from "../../src/results/schema.js";
import { benchRun, FIXTURE_LIBS, FIXTURE_WORKLOADS, tempDir } from "../helpers/cli.js";

/**
 * Failures are data: a crashing workload, a hanging one, one whose heap validation fails, and an
 * allocator whose preload cannot take effect are each recorded with a reason, while the other
 * cells complete. Real fixture programs and a real shared library.
 */
describe("failures are recorded and the run goes on", () => {
  let results: ResultsFile;
  let exitCode: number | undefined;
  let stdout: string;

  beforeAll(async () => {
    const dir = await tempDir();
    // Exports malloc (so it passes validation) under its own symbol version, which glibc's
    // dynamic linker never binds the workloads' malloc@GLIBC references to.
    const versioned = path.join(dir, "libversioned-malloc.so");
    await execa("cc", [
      "-shared",
      "-fPIC",
      "-O2",
      `-Wl,--version-script=${path.join(FIXTURE_LIBS, "versioned-malloc.map")}`,
      "-o",
      versioned,
      path.join(FIXTURE_LIBS, "versioned-malloc.c"),
    ]);
    const run = await benchRun(
      [
        "--workload-dir",
        FIXTURE_WORKLOADS,
        "-w",
        "ok-tiny,crash,hang,corrupt",
        "-a",
        "glibc",
        "--allocator",
        `versioned=${versioned}`,
        "-t",
        "1",
        "-n",
        "2",
        "--warmup",
        "0",
        "--timeout",
        "1500ms",
      ],
      { dir },
    );
    exitCode = run.exitCode;
    stdout = String(run.stdout);
    results = run.results;
  }, 300_000);

  const failed = (workload: string, allocator: string): FailedRun[] =>
    results.runs.filter(
      (r): r is FailedRun =>
        r.workload === workload && r.allocator === allocator && r.status === "failed",
    );

  it("exits 1 because some runs failed, and still completes the plan", () => {
    expect(exitCode).toBe(1);
    expect(results.complete).toBe(true);
    expect(results.runs).toHaveLength(4 * 2 * 2);
    expect(stdout).toContain("failures:");
  });

  it("keeps the healthy cell ok", () => {
    const ok = results.runs.filter((r) => r.workload === "ok-tiny" && r.allocator === "glibc");
    expect(ok).toHaveLength(2);
    expect(ok.every((r) => r.status === "ok")).toBe(true);
  });

  it("records a crash with its signal and stderr", () => {
    const runs = failed("crash", "glibc");
    expect(runs).toHaveLength(2);
    for (const r of runs) {
      expect(r.failure.kind).toBe("signal");
      expect(r.signal).toBe("SIGSEGV");
      expect(r.failure.message).toContain("SIGSEGV");
    }
  });

  it("kills a hang at its timeout", () => {
    const runs = failed("hang", "glibc");
    expect(runs).toHaveLength(2);
    for (const r of runs) {
      expect(r.failure.kind).toBe("timeout");
      expect(r.failure.message).toContain("1500 ms");
    }
  });

  it("reports heap corruption found by the workload's validation", () => {
    const runs = failed("corrupt", "glibc");
    expect(runs).toHaveLength(2);
    for (const r of runs) {
      expect(r.failure.kind).toBe("heap-corruption");
      expect(r.exitCode).toBe(3);
      expect(r.stderrTail).toContain("heap corruption detected");
    }
  });

  it("flags an allocator whose preload did not interpose malloc", () => {
    const runs = failed("ok-tiny", "versioned");
    expect(runs).toHaveLength(2);
    for (const r of runs) {
      expect(r.failure.kind).toBe("not-interposed");
      expect(r.failure.message).toMatch(/allocator not interposed: malloc came from .*libc/);
      expect(r.identity).toMatch(/libc\.so/);
    }
    expect(
      results.warnings.some((w) =>
        w.startsWith("allocator versioned: allocator not interposed: malloc came from"),
      ),
    ).toBe(true);
  });
});
