import path from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import type { OkRun, ResultsFile, RunRecord } from "../../src/results/schema.js";
import { benchRun, FIXTURE_LIBS, FIXTURE_WORKLOADS, tempDir } from "../helpers/cli.js";

/**
 * Code in the measured process that tampers with the result: real preloaded libraries
 * (test/fixtures/libs/forge.c), each a complete allocator, through a real `bench run`. A result
 * printed to stdout is never taken; a second record on the result channel, work other than was
 * asked for, and a measured region longer than the process are failed runs of their own kind.
 */
const MODES = ["stdout", "fds", "seed", "clock", "exit"] as const;

describe("forged and implausible results", () => {
  let results: ResultsFile;
  let exitCode: number | undefined;
  let all: string;
  const libs = new Map<string, string>();

  beforeAll(async () => {
    const dir = await tempDir();
    for (const mode of MODES) {
      const lib = path.join(dir, `libforge-${mode}.so`);
      await execa("cc", [
        "-shared",
        "-fPIC",
        "-O2",
        `-DFORGE_${mode.toUpperCase()}`,
        "-o",
        lib,
        path.join(FIXTURE_LIBS, "forge.c"),
        "-ldl",
      ]);
      libs.set(mode, lib);
    }
    const run = await benchRun(
      [
        "--workload-dir",
        FIXTURE_WORKLOADS,
        "-w",
        "ok-tiny,larson,nondeterministic",
        "--quick",
        "-a",
        "glibc",
        ...MODES.flatMap((m) => ["--allocator", `forge-${m}=${libs.get(m) as string}`]),
        "-t",
        "1",
        "-n",
        "1",
        "--warmup",
        "0",
      ],
      { dir },
    );
    results = run.results;
    exitCode = run.exitCode;
    all = run.all;
  }, 600_000);

  /** Runs of the deterministic workloads under one allocator. */
  const runsOf = (allocator: string): RunRecord[] =>
    results.runs.filter((r) => r.allocator === allocator && r.workload !== "nondeterministic");

  it("ignores a perfect @result line printed to stdout by a destructor: the workload's own result is recorded", () => {
    expect(results.warnings.join("\n")).not.toMatch(/reference run/);
    for (const workload of ["ok-tiny", "larson"]) {
      const glibc = runsOf("glibc").find((r) => r.workload === workload) as OkRun;
      const forged = runsOf("forge-stdout").find((r) => r.workload === workload);
      expect(glibc.status, all).toBe("ok");
      expect(forged?.status, all).toBe("ok");
      const ok = forged as OkRun;
      expect(ok.checksum).toBe(glibc.checksum);
      expect(ok.checksum).not.toBe("0x00000000deadbeef");
      expect(ok.metrics.ops).toBe(glibc.metrics.ops);
      expect(ok.metrics.seconds).toBeLessThanOrEqual(ok.metrics.wallSeconds);
      expect(ok.identity).toMatch(/libforge-stdout\.so$/);
    }
  });

  it("does not take code 3 from a destructor, after the workload's result, as the workload's heap-corruption report", () => {
    const runs = runsOf("forge-exit");
    expect(runs.length).toBeGreaterThan(0);
    for (const run of runs) {
      expect(run.status, all).toBe("failed");
      if (run.status !== "failed") continue;
      expect(run.failure.kind).toBe("exit");
      expect(run.failure.message).toMatch(/code 3 after the workload had written its result/);
    }
  });

  it("fails a run whose result channel holds a second record (result-protocol)", () => {
    for (const r of runsOf("forge-fds")) {
      expect(r.status, all).toBe("failed");
      if (r.status === "failed") {
        expect(r.failure.kind).toBe("result-protocol");
        expect(r.failure.message).toMatch(/2 result records/);
      }
    }
  });

  it("fails a run that did other work than asked (result-mismatch)", () => {
    for (const r of runsOf("forge-seed")) {
      expect(r.status, all).toBe("failed");
      if (r.status === "failed") {
        expect(r.failure.kind).toBe("result-mismatch");
        expect(r.failure.message).toMatch(/other work/);
      }
    }
  });

  it("fails a run whose measured seconds exceed the process's wall time (result-implausible)", () => {
    for (const r of runsOf("forge-clock")) {
      expect(r.status, all).toBe("failed");
      if (r.status === "failed") {
        expect(r.failure.kind).toBe("result-implausible");
        expect(r.failure.message).toMatch(/exceed the process's wall time/);
      }
    }
  });

  it("fails every run of a workload whose checksum is not deterministic (result-mismatch)", () => {
    // The allocators that do not tamper with the channel or the arguments.
    const runs = results.runs.filter(
      (r) => r.workload === "nondeterministic" && ["glibc", "forge-stdout"].includes(r.allocator),
    );
    expect(runs).toHaveLength(2);
    for (const r of runs) {
      expect(r.status, all).toBe("failed");
      if (r.status === "failed") {
        expect(r.failure.kind).toBe("result-mismatch");
        expect(r.failure.message).toMatch(/checksum 0x[0-9a-f]{16} differs from the reference/);
      }
    }
  });

  it("shows the new kinds among the failures and exits 1", () => {
    expect(exitCode).toBe(1);
    for (const kind of ["result-protocol", "result-mismatch", "result-implausible"])
      expect(all).toContain(kind);
  });
});
