import { mkdir, realpath, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import type { FailedRun, ResultsFile, RunRecord } from "../../src/results/schema.js";
import { findOnPath } from "../../src/targets/programs.js";
import { benchRun, buildFixtureLib, FIXTURE_LIBS, tempDir } from "../helpers/cli.js";

/**
 * Interposition is complete or the run fails. A real partial interposer
 * (test/fixtures/libs/partial.c: malloc, free and realloc, but not calloc, aligned_alloc or
 * posix_memalign) under the `aligned` workload and under sqlite3, and a real musl-built program
 * under musl's own allocator (when musl-gcc is installed), through `bench run`.
 */
const MUSL_PROGRAM = `#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  unsigned long n = argc > 1 ? strtoul(argv[1], 0, 10) : 1, sum = 0;
  for (unsigned long i = 0; i < n; i++) {
    unsigned char *p = malloc(16 + i % 100);
    if (!p) return 1;
    p[0] = (unsigned char)i;
    sum += p[0];
    free(p);
  }
  printf("ops=%lu\\nchecksum=%lu\\n", 2 * n, sum);
  return 0;
}
`;

describe("partial interposition fails the cell, found by the probe before measuring", () => {
  let results: ResultsFile;
  let output: string;
  let exitCode: number | undefined;
  let musl: boolean;

  beforeAll(async () => {
    const dir = await tempDir();
    const partial = await buildFixtureLib("partial", dir);
    // Exports malloc, free, calloc and realloc under its own symbol version: never called.
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
    musl = (await findOnPath("musl-gcc")) !== undefined;
    const root = path.join(dir, "programs");
    const workloads = ["aligned", "larson"];
    if (await findOnPath("sqlite3")) workloads.push("sqlite3");
    if (musl) {
      const programDir = path.join(root, "musl-alloc");
      await mkdir(programDir, { recursive: true });
      await writeFile(path.join(programDir, "main.c"), MUSL_PROGRAM);
      const binary = path.join(programDir, "musl-alloc");
      await execa("musl-gcc", ["-O2", "-o", binary, path.join(programDir, "main.c")]);
      await writeFile(
        path.join(programDir, "program.json"),
        JSON.stringify({
          name: "musl-alloc",
          description: "a musl-built program that allocates and frees",
          binary,
          probe: ["1"],
          args: ["100000"],
          metric: { kind: "wall", ops: "^ops=(\\d+)$", checksum: "^checksum=(\\S+)$" },
        }),
      );
      workloads.push("musl-alloc");
    }
    const run = await benchRun(
      [
        "-w",
        workloads.join(","),
        "-a",
        musl ? "glibc,musl" : "glibc",
        "--allocator",
        `partial=${partial}`,
        "--allocator",
        `versioned=${versioned}`,
        "--workload-dir",
        root,
        "-t",
        "1",
        "-n",
        "2",
        "--warmup",
        "0",
        "--quick",
      ],
      { dir },
    );
    exitCode = run.exitCode;
    output = run.all;
    results = run.results;
  }, 600_000);

  const runsOf = (workload: string, allocator: string): RunRecord[] =>
    results.runs.filter((r) => r.workload === workload && r.allocator === allocator);

  it("records every run of the partial allocator as not-interposed, naming each function and where it resolved", () => {
    expect(exitCode, output).toBe(1);
    expect(results.complete).toBe(true);
    const runs = runsOf("aligned", "partial");
    expect(runs).toHaveLength(2);
    for (const run of runs) {
      expect(run.status).toBe("failed");
      const failure = (run as FailedRun).failure;
      expect(failure.kind).toBe("not-interposed");
      expect(failure.message).toMatch(
        /^partially interposed: calloc from \S*libc\.so\.6, aligned_alloc from \S*libc\.so\.6, posix_memalign from \S*libc\.so\.6; expected \S*libpartial\.so/,
      );
      // Refused by the probe: never launched, so no metrics and no exit status.
      expect((run as FailedRun).metrics).toBeUndefined();
      expect((run as FailedRun).exitCode).toBeNull();
      expect(run.identity).toMatch(/libpartial\.so$/);
    }
    expect(
      results.warnings.some(
        (w) =>
          w.startsWith("allocator partial: partially interposed: calloc") && w.includes("aligned"),
      ),
    ).toBe(true);
    expect(output).toContain("aligned t1 partial: not-interposed: partially interposed: calloc");
  });

  it("checks only what each workload uses: larson (malloc and free) runs ok under the same library", () => {
    for (const workload of ["aligned", "larson"])
      expect(runsOf(workload, "glibc").map((r) => r.status)).toEqual(["ok", "ok"]);
    const larson = runsOf("larson", "partial");
    expect(
      larson.map((r) => r.status),
      output,
    ).toEqual(["ok", "ok"]);
    expect(larson[0]?.identity).toMatch(/libpartial\.so$/);
  });

  it("checks the entry points a program's objects import: sqlite3 under the partial library", async (context) => {
    if (!(await findOnPath("sqlite3"))) context.skip();
    // sqlite3's libtinfo imports calloc, which the library does not define.
    for (const run of runsOf("sqlite3", "partial")) {
      expect(run.status).toBe("failed");
      expect((run as FailedRun).failure.message).toMatch(
        /^partially interposed: calloc from \S*libc\.so\.6; expected \S*libpartial\.so/,
      );
    }
    const ok = runsOf("sqlite3", "glibc");
    expect(ok.map((r) => r.status)).toEqual(["ok", "ok"]);
    const entryPoints = ok[0]?.program?.interposition.entryPoints ?? {};
    const libc = await realpath("/lib/x86_64-linux-gnu/libc.so.6").catch(() => undefined);
    expect(Object.keys(entryPoints)).toEqual(expect.arrayContaining(["malloc", "free", "calloc"]));
    if (libc) for (const file of Object.values(entryPoints)) expect(file).toBe(libc);
  });

  it("a program is not fooled by a malloc exported under a foreign symbol version", async (context) => {
    if (!(await findOnPath("sqlite3"))) context.skip();
    for (const run of runsOf("sqlite3", "versioned")) {
      expect(run.status).toBe("failed");
      expect((run as FailedRun).failure.message).toMatch(
        /^allocator not interposed: malloc came from \S*libc\.so\.6, expected \S*libversioned-malloc\.so/,
      );
    }
  });

  it("verifies a musl-built program under musl's own allocator", async (context) => {
    if (!musl) context.skip();
    const runs = runsOf("musl-alloc", "musl");
    expect(
      runs.map((r) => r.status),
      output,
    ).toEqual(["ok", "ok"]);
    const via = runs[0]?.program?.interposition;
    expect(via?.verified).toBe(true);
    // musl's libc.so is also its dynamic loader (/lib/ld-musl-*.so.1 links to it).
    expect(via?.expected).toMatch(/musl.*libc\.so$|ld-musl/);
    expect(via?.malloc).toBe(via?.expected);
    expect(via?.entryPoints?.["free"]).toBe(via?.expected);
  });
});
