import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runHardening, resolveHardeningAllocators } from "../../src/hardening/runner.js";
import { probesDir } from "../../src/hardening/probes.js";
import { HardeningReportSchema, type HardeningReport } from "../../src/results/hardening-schema.js";
import { loadResults } from "../../src/results/io.js";
import { execa } from "execa";
import { bench, errorLines, FIXTURE_LIBS, tempDir } from "../helpers/cli.js";

const PROBES = [
  "double-free",
  "invalid-free-interior",
  "invalid-free-stack",
  "heap-overflow",
  "use-after-free-write",
  "misaligned-free",
];
const OUTCOMES = ["detected", "not-detected", "error", "timeout"];

let dir: string;
beforeAll(async () => {
  dir = await tempDir("mallocbench-hardening-");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("bench hardening", () => {
  let report: HardeningReport;
  let stdoutJson: unknown;

  beforeAll(async () => {
    const out = path.join(dir, "matrix.json");
    const result = await bench([
      "hardening",
      "-a",
      "glibc,musl,scudo,jemalloc",
      "--trials",
      "3",
      "--json",
      "-q",
      "-o",
      out,
    ]);
    expect(result.exitCode, String(result.all)).toBe(0);
    stdoutJson = JSON.parse(String(result.stdout));
    report = HardeningReportSchema.parse(JSON.parse(await readFile(out, "utf8")));
  }, 300_000);

  it("survives every probe and gives every cell an outcome", () => {
    expect(stdoutJson).toEqual(report);
    expect(report.probes.map((p) => p.name)).toEqual(PROBES);
    expect(report.allocators.map((a) => a.name)).toEqual(["glibc", "musl", "scudo", "jemalloc"]);
    expect(report.cells).toHaveLength(4 * PROBES.length);
    for (const a of report.allocators)
      for (const p of PROBES) {
        const cell = report.cells.find((c) => c.allocator === a.name && c.probe === p);
        expect(cell, `${a.name}/${p}`).toBeDefined();
        expect(OUTCOMES).toContain(cell?.outcome);
        // Every probe ran under the allocator asked for (interposition verified per run).
        expect(cell?.outcome, `${a.name}/${p}: ${cell?.reason}`).not.toBe("error");
        expect(cell?.identity).not.toBeNull();
      }
  });

  it("repeats every probe, classes each trial, and marks a cell flaky exactly when its trials differ", () => {
    expect(report.trials).toBe(3);
    for (const c of report.cells) {
      expect(c.trials, `${c.allocator}/${c.probe}`).toHaveLength(3);
      const classes = new Set(c.trials?.map((t) => `${t.outcome}/${t.detection ?? ""}`));
      expect(c.flaky, `${c.allocator}/${c.probe}`).toBe(classes.size > 1);
      for (const t of c.trials ?? [])
        if (t.outcome === "detected") expect(["diagnostic", "incidental"]).toContain(t.detection);
        else expect(t.detection).toBeUndefined();
    }
  });

  it("scudo detects a double free and says so", () => {
    const cell = report.cells.find((c) => c.allocator === "scudo" && c.probe === "double-free");
    expect(cell).toMatchObject({ outcome: "detected", signal: "SIGABRT", flaky: false });
    expect(cell?.trials?.every((t) => t.detection === "diagnostic")).toBe(true);
    expect(cell?.stderr).toMatch(/^Scudo ERROR: invalid chunk state when deallocating address/);
    expect(cell?.identity).toMatch(/libclang_rt\.scudo_standalone/);
  });

  it("glibc detects a double free of a tcache-sized block", () => {
    const cell = report.cells.find((c) => c.allocator === "glibc" && c.probe === "double-free");
    expect(cell).toMatchObject({
      outcome: "detected",
      signal: "SIGABRT",
      stderr: "free(): double free detected in tcache 2",
    });
  });

  it("glibc and scudo reject a misaligned pointer; jemalloc does not notice it", () => {
    const of = (a: string): string | undefined =>
      report.cells.find((c) => c.allocator === a && c.probe === "misaligned-free")?.outcome;
    expect(of("glibc")).toBe("detected");
    expect(of("scudo")).toBe("detected");
    expect(of("jemalloc")).toBe("not-detected");
  });

  it("musl's probes are the musl build, whose malloc is musl's", () => {
    const cells = report.cells.filter((c) => c.allocator === "musl");
    for (const c of cells) expect(c.identity).toMatch(/musl/);
  });
});

describe("hardening probes that misbehave", () => {
  it("a probe that hangs after the misuse times out and the harness goes on", async () => {
    const fixture = path.join(dir, "fixture-probes");
    await rm(fixture, { recursive: true, force: true });
    await mkdir(fixture, { recursive: true });
    await copyFile(path.join(probesDir(), "probe.c"), path.join(fixture, "probe.c"));
    const prelude = `#include "mallocbench.h"
#include <stdlib.h>
#include <unistd.h>
void probe_start(int argc, char **argv, const char *name, const char *description);
void probe_armed(const char *name);
MB_NORETURN void probe_survived(void);
`;
    await writeFile(
      path.join(fixture, "hang.c"),
      `${prelude}int main(int argc, char **argv) {
    probe_start(argc, argv, "hang", "hangs after arming");
    probe_armed("hang");
    for (;;) pause();
}
`,
    );
    await writeFile(
      path.join(fixture, "early-crash.c"),
      `${prelude}int main(int argc, char **argv) {
    probe_start(argc, argv, "early-crash", "aborts before arming");
    abort();
}
`,
    );
    await writeFile(
      path.join(fixture, "probes.json"),
      JSON.stringify({
        common: ["probe.c"],
        probes: [
          { name: "hang", description: "hangs after arming" },
          { name: "early-crash", description: "aborts before arming" },
        ],
      }),
    );
    const { allocators } = await resolveHardeningAllocators(["glibc"]);
    const { report, interrupted } = await runHardening({
      allocators,
      probesDir: fixture,
      timeoutMs: 1500,
      trials: 2,
    });
    expect(interrupted).toBe(false);
    // It returned at all: the launcher killed the hanging probe at its timeout.
    expect(report.cells).toHaveLength(2);
    expect(report.cells[0]?.trials).toHaveLength(2);
    expect(report.cells[0]).toMatchObject({
      probe: "hang",
      outcome: "timeout",
      reason: "killed after the 1500 ms timeout after the misuse",
    });
    expect(report.cells[1]).toMatchObject({
      probe: "early-crash",
      outcome: "error",
      reason: "killed by SIGABRT before the misuse",
      signal: "SIGABRT",
    });
  }, 180_000);
});

describe("hardening markers", () => {
  it("come from the result channel only: markers a library prints to stdout change nothing", async () => {
    const lib = path.join(dir, "libforge-markers.so");
    await execa("cc", [
      "-shared",
      "-fPIC",
      "-O2",
      "-DFORGE_MARKERS",
      "-o",
      lib,
      path.join(FIXTURE_LIBS, "forge.c"),
      "-ldl",
    ]);
    const out = path.join(dir, "forged-markers.json");
    const r = await bench([
      "hardening",
      "-a",
      "glibc,forge",
      "--allocator",
      `forge=${lib}`,
      "-q",
      "-o",
      out,
    ]);
    expect(r.exitCode, String(r.all)).toBe(0);
    const cells = HardeningReportSchema.parse(JSON.parse(await readFile(out, "utf8"))).cells;
    // The library forwards every call to glibc's malloc: each probe ends as it does under glibc.
    for (const probe of PROBES) {
      const glibc = cells.find((c) => c.allocator === "glibc" && c.probe === probe);
      const forged = cells.find((c) => c.allocator === "forge" && c.probe === probe);
      expect(forged?.outcome, `${probe}: ${forged?.reason ?? ""}`).toBe(glibc?.outcome);
      expect(forged?.identity, probe).toBe(lib);
    }
  }, 300_000);
});

describe("hardening in the CLI", () => {
  it("bench run --hardening stores the matrix in the results file", async () => {
    const out = path.join(dir, "run.json");
    const result = await bench(
      [
        "run",
        "--quick",
        "-n",
        "1",
        "--warmup",
        "0",
        "-w",
        "larson",
        "-a",
        "glibc,scudo",
        "-t",
        "1",
        "-q",
        "--hardening",
        "-o",
        out,
      ],
      { env: { MALLOCBENCH_LOCK: path.join(dir, "lock") } },
    );
    expect(result.exitCode, String(result.all)).toBe(0);
    expect(String(result.stdout)).toContain("hardening probes:");
    const results = await loadResults(out);
    expect(results.hardening).toBeDefined();
    expect(results.hardening?.allocators.map((a) => a.name)).toEqual(["glibc", "scudo"]);
    expect(results.hardening?.cells).toHaveLength(2 * PROBES.length);
    expect(
      results.hardening?.cells.find((c) => c.allocator === "scudo" && c.probe === "double-free")
        ?.outcome,
    ).toBe("detected");
  }, 300_000);

  it("bench list workloads --json lists the probes as hardening probes", async () => {
    const result = await bench(["list", "workloads", "--json"]);
    const list = JSON.parse(String(result.stdout)) as {
      name: string;
      description: string;
      kind: string;
    }[];
    const probes = list.filter((w) => w.kind === "hardening-probe");
    expect(probes.map((p) => p.name)).toEqual(PROBES);
    expect(probes.every((p) => p.description.length > 0)).toBe(true);
    expect(list.find((w) => w.name === "larson")?.kind).toBe("workload");
  });

  it("bad input is one line and exit 2", async () => {
    const unknown = await bench(["hardening", "-a", "nosuchalloc", "-q"]);
    expect(unknown.exitCode).toBe(2);
    expect(errorLines(String(unknown.stderr))).toHaveLength(1);
    expect(String(unknown.stderr)).toMatch(/nosuchalloc/);
    const timeout = await bench(["hardening", "--timeout", "soon"]);
    expect(timeout.exitCode).toBe(2);
    expect(errorLines(String(timeout.stderr))).toEqual([
      'bench: --timeout: "soon" is not a duration (e.g. 30s, 500ms, 2m)',
    ]);
  });
});
