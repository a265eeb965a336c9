import { describe, expect, it } from "vitest";
import { cellOf, detectionCounts, formatMatrix } from "../../../src/hardening/matrix.js";
import {
  HardeningReportSchema,
  type HardeningCell,
  type HardeningReport,
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
      { allocator: "glibc", detected: 2, answered: 2, failed: 0 },
      { allocator: "jemalloc", detected: 0, answered: 1, failed: 1 },
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
