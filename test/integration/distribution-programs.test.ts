import { cp, mkdir, realpath } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import type { ResultsFile, RunRecord } from "../../src/results/schema.js";
import { findOnPath } from "../../src/targets/programs.js";
import { bench, benchRun, ROOT, tempDir } from "../helpers/cli.js";
import { installed } from "./allocators/helpers.js";

/**
 * The real-application suite from Debian packages (workloads/external: z3, ghostscript,
 * rocksdb's db_bench, python3; `bench setup --programs` or `apt-get install -y z3 ghostscript
 * rocksdb-tools python3`), each run once under glibc and jemalloc; and a non-PIE program that
 * takes malloc's address, whose canonical PLT stub must not pass for the allocator.
 */
const SUITE = ["z3", "ghostscript", "rocksdb", "python3"] as const;
const COMMANDS = ["z3", "gs", "db_bench", "/usr/bin/python3"];
// Where `bench run` finds jemalloc on this machine (Debian x86_64's path when it is absent).
const JEMALLOC = (await installed()).libs.jemalloc ?? "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";

/** The object a run's malloc must come from: jemalloc's library, or the libc for glibc. */
async function expectedObject(run: RunRecord, allocator: string): Promise<string | null> {
  if (allocator === "jemalloc") return realpath(JEMALLOC);
  // glibc: the libc the process mapped (the object defining __libc_start_main), libc.so.6.
  const expected = run.program?.interposition.expected ?? null;
  expect(path.basename(expected ?? "")).toMatch(/^libc[.-]/);
  return expected;
}

async function allocatorNames(): Promise<string[]> {
  const listed = JSON.parse(String((await bench(["list", "allocators", "--json"])).stdout)) as {
    name: string;
  }[];
  return listed.map((a) => a.name);
}

function runOf(results: ResultsFile, workload: string, allocator: string): RunRecord {
  const run = results.runs.find((r) => r.workload === workload && r.allocator === allocator);
  if (!run) throw new Error(`no run of ${workload} under ${allocator}`);
  return run;
}

describe("the Debian application suite", () => {
  let results: ResultsFile;
  let output: string;
  let exitCode: number | undefined;
  let out: string;
  let withMusl: boolean;

  beforeAll(async () => {
    for (const command of COMMANDS)
      if (!(await findOnPath(command)))
        throw new Error(
          `${command} is not installed: bench setup --programs (apt-get install -y z3 ghostscript rocksdb-tools python3)`,
        );
    if (!(await allocatorNames()).includes("jemalloc"))
      throw new Error("jemalloc is not installed: apt-get install -y libjemalloc2");
    withMusl = (await allocatorNames()).includes("musl");
    const run = await benchRun([
      "-w",
      SUITE.join(","),
      "-a",
      ["glibc", "jemalloc", ...(withMusl ? ["musl"] : [])].join(","),
      "-t",
      "1",
      "-n",
      "1",
      "--warmup",
      "0",
      "--quick",
    ]);
    exitCode = run.exitCode;
    output = run.all;
    results = run.results;
    out = run.out;
  }, 600_000);

  for (const program of SUITE) {
    it(`${program}: ok under glibc and jemalloc, interposition verified, same checksum`, async () => {
      expect(exitCode, output).toBe(0);
      const checksums: (string | null)[] = [];
      for (const allocator of ["glibc", "jemalloc"]) {
        const run = runOf(results, program, allocator);
        expect(run.status, JSON.stringify(run)).toBe("ok");
        if (run.status !== "ok") continue;
        expect(run.metrics.seconds).toBeGreaterThan(0);
        const via = run.program?.interposition;
        expect(via?.verified).toBe(true);
        const expected = await expectedObject(run, allocator);
        expect(via?.malloc).toBe(expected);
        expect(via?.free).toBe(expected);
        checksums.push(run.checksum);
      }
      expect(checksums[0]).toBeTruthy();
      expect(checksums[1]).toBe(checksums[0]);
    });
  }

  it("compare lists the musl cells once as not run, instead of rows without runs", async () => {
    if (!withMusl) return;
    const reasons = new Set((results.plan.skipped ?? []).map((s) => s.reason));
    expect([...reasons]).toContain("program is linked against glibc");
    const compare = await bench(["compare", out]);
    expect(compare.exitCode, String(compare.all)).toBe(0);
    const text = String(compare.stdout);
    expect(text).not.toMatch(/no successful runs/);
    expect(text).toContain("not run, as planned (left out of the comparison):");
    expect(
      text
        .split("\n")
        .filter((l) => l.includes("program is linked against glibc"))
        .map((l) => l.trim()),
    ).toEqual([
      "program is linked against glibc: z3, ghostscript, rocksdb, python3 (under musl at t1)",
    ]);
    expect(text.split("\n").filter((l) => /^\S+\s+1\s+musl\s/.test(l))).toEqual([]);
  });
});

describe("a non-PIE program that takes malloc's address", () => {
  it("is verified under jemalloc: its canonical PLT stub does not pass for the allocator", async () => {
    const gcc = await findOnPath("gcc");
    if (!gcc) throw new Error("gcc is not installed");
    const root = path.join(await tempDir(), "programs");
    await cp(path.join(ROOT, "test", "fixtures", "non-pie"), root, { recursive: true });
    await mkdir(path.join(root, "build"));
    const binary = path.join(root, "build", "fnptr");
    await execa(gcc, [
      "-O2",
      "-no-pie",
      "-fno-pie",
      "-o",
      binary,
      path.join(root, "src", "fnptr.c"),
    ]);
    // The premise: the executable defines canonical PLT stubs for malloc and free.
    const syms = await execa("readelf", ["--dyn-syms", "-W", binary], { reject: false });
    if (syms.exitCode === 0)
      expect(String(syms.stdout)).toMatch(
        /[1-9a-f][0-9a-f]* +0 FUNC +GLOBAL +DEFAULT +UND malloc@/,
      );
    const run = await benchRun([
      "-w",
      "fnptr",
      "-a",
      "glibc,jemalloc",
      "-t",
      "1",
      "-n",
      "1",
      "--warmup",
      "0",
      "--quick",
      "--workload-dir",
      root,
    ]);
    expect(run.exitCode, run.all).toBe(0);
    for (const allocator of ["glibc", "jemalloc"]) {
      const r = runOf(run.results, "fnptr", allocator);
      expect(r.status, JSON.stringify(r)).toBe("ok");
      const expected = await expectedObject(r, allocator);
      expect(r.program?.interposition.malloc).toBe(expected);
      expect(r.program?.interposition.verified).toBe(true);
    }
  }, 300_000);
});
