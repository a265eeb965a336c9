import { describe, expect, it } from "vitest";
import { cellLabel, cellOf, detectionCounts, formatMatrix } from "../../../src/hardening/matrix.js";
import { classOf, detectionOf, summariseTrials } from "../../../src/hardening/verdict.js";
import {
  HardeningReportSchema,
  type HardeningCell,
  type HardeningReport,
  type ProbeTrial,
} from "../../../src/results/hardening-schema.js";
import { ResultsFileSchema } from "../../../src/results/schema.js";

function cell(allocator: string, probe: string, outcome: HardeningCell["outcome"]): HardeningCell {
  return {
    allocator,
    probe,
    outcome,
    reason: outcome === "detected" ? "killed by SIGABRT after the misuse" : "ran to its end",
    signal: outcome === "detected" ? "SIGABRT" : null,
    exitCode: outcome === "detected" ? null : 0,
    stderr: outcome === "detected" ? `${allocator} said no` : "",
    identity: `/lib/${allocator}.so`,
  };
}

const report: HardeningReport = {
  createdAt: "2026-11-25T00:00:00.000Z",
  timeoutMs: 10_000,
  probes: [
    { name: "double-free", description: "twice" },
    { name: "misaligned-free", description: "p + 1" },
  ],
  allocators: [
    { name: "glibc", libc: "glibc", lib: null },
    { name: "jemalloc", libc: "glibc", lib: "/lib/jemalloc.so" },
  ],
  cells: [
    cell("glibc", "double-free", "detected"),
    cell("glibc", "misaligned-free", "detected"),
    cell("jemalloc", "double-free", "not-detected"),
    cell("jemalloc", "misaligned-free", "timeout"),
  ],
  warnings: ["something was skipped"],
};

describe("hardening matrix", () => {
  it("finds cells by allocator and probe", () => {
    expect(cellOf(report, "jemalloc", "double-free")?.outcome).toBe("not-detected");
    expect(cellOf(report, "mimalloc", "double-free")).toBeUndefined();
  });

  it("counts detections among the probes that answered", () => {
    expect(detectionCounts(report)).toEqual([
      { allocator: "glibc", detected: 2, answered: 2, failed: 0, flaky: 0 },
      { allocator: "jemalloc", detected: 0, answered: 1, failed: 1, flaky: 0 },
    ]);
  });

  it("prints rows per allocator, columns per probe, then every cell's details", () => {
    const lines = formatMatrix(report).split("\n");
    expect(lines[0]).toBe("allocator  double-free   misaligned-free");
    expect(lines[2]).toBe("glibc      detected      detected");
    expect(lines[3]).toBe("jemalloc   not detected  timeout");
    expect(lines).toContain(
      '  glibc / double-free: detected (killed by SIGABRT after the misuse): "glibc said no"',
    );
    expect(lines).toContain("  jemalloc / double-free: not detected (ran to its end)");
    expect(lines.at(-1)).toBe("warning: something was skipped");
  });

  it("shows a missing cell as a dash", () => {
    const partial = { ...report, cells: report.cells.slice(0, 1) };
    expect(formatMatrix(partial).split("\n")[3]).toBe("jemalloc   -            -");
  });

  it("the report validates, and results files accept it as optional `hardening`", () => {
    expect(HardeningReportSchema.parse(report)).toEqual(report);
    const bad = { ...report, cells: [{ ...report.cells[0], outcome: "maybe" }] };
    expect(HardeningReportSchema.safeParse(bad).success).toBe(false);
    const shape = ResultsFileSchema.shape.hardening;
    expect(shape.safeParse(undefined).success).toBe(true);
    expect(shape.safeParse(report).success).toBe(true);
  });
});

const abort: ProbeTrial = {
  outcome: "detected",
  detection: "diagnostic",
  reason: "killed by SIGABRT after the misuse",
  signal: "SIGABRT",
  exitCode: null,
  stderr: "free(): double free detected in tcache 2",
};
const segv: ProbeTrial = {
  outcome: "detected",
  detection: "incidental",
  reason: "killed by SIGSEGV after the misuse",
  signal: "SIGSEGV",
  exitCode: null,
  stderr: "",
};
const ran: ProbeTrial = {
  outcome: "not-detected",
  reason: "ran past the misuse to its end",
  signal: null,
  exitCode: 0,
  stderr: "",
};

describe("repeated probes", () => {
  it("class a detection as diagnostic (said so, aborted, exited non-zero) or incidental (a silent fault)", () => {
    expect(
      detectionOf({ signal: "SIGSEGV", exitCode: null, stderr: "Scudo ERROR: corrupted" }),
    ).toBe("diagnostic");
    expect(detectionOf({ signal: "SIGABRT", exitCode: null, stderr: "" })).toBe("diagnostic");
    expect(detectionOf({ signal: null, exitCode: 3, stderr: "" })).toBe("diagnostic");
    for (const signal of ["SIGSEGV", "SIGBUS", "SIGILL"])
      expect(detectionOf({ signal, exitCode: null, stderr: "  " })).toBe("incidental");
    // Files written before probes were repeated have no detection field: derived the same way.
    expect(classOf({ outcome: "detected", signal: "SIGSEGV", stderr: "" })).toBe("incidental");
    expect(classOf({ outcome: "detected", signal: "SIGABRT", stderr: "" })).toBe("diagnostic");
    expect(classOf({ outcome: "not-detected" })).toBe("not-detected");
    expect(classOf({ outcome: "something new" })).toBe("error");
  });

  it("a cell is its most frequent class's first trial, flaky when the trials differ", () => {
    expect(summariseTrials([abort, abort, abort])).toEqual({ first: abort, flaky: false });
    expect(summariseTrials([ran, abort, abort, segv, abort])).toEqual({
      first: abort,
      flaky: true,
    });
    // A tie goes to the class met first.
    expect(summariseTrials([segv, abort, abort, segv])).toEqual({ first: segv, flaky: true });
    // Detected every time, once without a diagnostic: still flaky, the classes differ.
    expect(cellLabel({ ...abort, trials: [abort, abort, segv] })).toBe("flaky: 2 detected, 1 died");
    expect(cellLabel({ ...abort, trials: [abort, ran, abort, abort, abort] })).toBe(
      "flaky: 4 detected, 1 not detected",
    );
    expect(cellLabel({ ...segv, trials: [segv, segv] })).toBe("died");
  });

  it("prints flaky cells with every trial, and counts them apart", () => {
    const repeated: HardeningReport = {
      ...report,
      trials: 3,
      cells: [
        {
          ...cell("glibc", "double-free", "detected"),
          ...abort,
          trials: [abort, abort, abort],
          flaky: false,
        },
        {
          ...cell("glibc", "misaligned-free", "detected"),
          ...segv,
          trials: [segv, ran, segv],
          flaky: true,
        },
        {
          ...cell("jemalloc", "double-free", "not-detected"),
          trials: [ran, ran, ran],
          flaky: false,
        },
        {
          ...cell("jemalloc", "misaligned-free", "not-detected"),
          trials: [ran, ran, ran],
          flaky: false,
        },
      ],
    };
    expect(HardeningReportSchema.parse(repeated)).toEqual(repeated);
    const lines = formatMatrix(repeated).split("\n");
    expect(lines[2]).toBe("glibc      detected      flaky: 2 died, 1 not detected");
    expect(lines).toContain("    trial 2: not detected (ran past the misuse to its end)");
    expect(
      lines.some((l) => l.startsWith("3 trial(s) per probe. detected: detected with a diagnostic")),
    ).toBe(true);
    expect(detectionCounts(repeated)).toEqual([
      { allocator: "glibc", detected: 1, answered: 2, failed: 0, flaky: 1 },
      { allocator: "jemalloc", detected: 0, answered: 2, failed: 0, flaky: 0 },
    ]);
  });

  it("old results files (one trial, no classes) still load", () => {
    const old = { ...report };
    expect("trials" in old).toBe(false);
    expect(ResultsFileSchema.shape.hardening.safeParse(old).success).toBe(true);
    expect(formatMatrix(old).split("\n")).toContain(
      "1 trial(s) per probe. detected: detected with a diagnostic (the allocator said so, aborted or exited non-zero); died: died incidentally (killed by a signal without the allocator's diagnostic); flaky: the trials differ.",
    );
  });
});
