import { realpath } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { ResultsFile, RunRecord } from "../../src/results/schema.js";
import { findOnPath } from "../../src/targets/programs.js";
import { bench, benchRun, ROOT, tempDir } from "../helpers/cli.js";
import { installed } from "./allocators/helpers.js";

/**
 * External programs under real allocators: the Debian sqlite3, lua5.4 and redis-server binaries
 * (apt-get install sqlite3 lua5.4 redis-server redis-tools), each run once under glibc and
 * jemalloc; musl and an absent program must be skipped with their reasons.
 */
const FIXTURES = path.join(ROOT, "test", "fixtures", "programs");
// Where `bench run` finds jemalloc on this machine (Debian x86_64's path when it is absent).
const JEMALLOC = (await installed()).libs.jemalloc ?? "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
const PROGRAMS = ["sqlite3", "lua5.4", "redis"] as const;

describe("bench run with external programs", () => {
  let results: ResultsFile;
  let output: string;
  let exitCode: number | undefined;

  beforeAll(async () => {
    for (const command of ["sqlite3", "lua5.4", "redis-server", "redis-benchmark", "redis-cli"]) {
      if (!(await findOnPath(command)))
        throw new Error(
          `${command} is not installed: apt-get install -y sqlite3 lua5.4 redis-server redis-tools`,
        );
    }
    const dir = await tempDir();
    const run = await benchRun(
      [
        "-w",
        "sqlite3,lua5.4,redis,absent-program",
        "-a",
        "glibc,jemalloc,musl",
        "-t",
        "1",
        "-n",
        "1",
        "--warmup",
        "0",
        "--quick",
        "--workload-dir",
        FIXTURES,
      ],
      { dir },
    );
    exitCode = run.exitCode;
    output = String(run.all);
    results = run.results;
  }, 600_000);

  const runOf = (workload: string, allocator: string): RunRecord => {
    const run = results.runs.find((r) => r.workload === workload && r.allocator === allocator);
    if (!run) throw new Error(`no run of ${workload} under ${allocator}:\n${output}`);
    return run;
  };

  it("completes and records every program in the plan", () => {
    expect(exitCode, output).toBe(0);
    expect(results.complete).toBe(true);
    expect(results.plan.workloads).toEqual(["sqlite3", "lua5.4", "redis", "absent-program"]);
    // 3 programs x (glibc, jemalloc); musl and the absent program are not run.
    expect(results.runs).toHaveLength(6);
  });

  for (const program of PROGRAMS) {
    for (const allocator of ["glibc", "jemalloc"]) {
      it(`${program} under ${allocator}: ok, with its metric and verified interposition`, async () => {
        const run = runOf(program, allocator);
        expect(run.status, JSON.stringify(run)).toBe("ok");
        if (run.status !== "ok") return;
        expect(run.metrics.seconds).toBeGreaterThan(0);
        expect(run.metrics.ops).toBeGreaterThan(0);
        expect(run.metrics.opsPerSecond).toBeGreaterThan(0);
        expect(run.metrics.maxRssBytes).toBeGreaterThan(0);
        const via = run.program?.interposition;
        expect(via?.verified).toBe(true);
        expect(via?.mapped).toBe(true);
        const expected =
          allocator === "jemalloc"
            ? await realpath(JEMALLOC)
            : await realpath("/lib/x86_64-linux-gnu/libc.so.6");
        expect(via?.expected).toBe(expected);
        expect(via?.malloc).toBe(expected);
        expect(via?.free).toBe(expected);
        expect(run.identity).toBe(expected);
        if (allocator === "jemalloc") expect(via?.preload.split(":")[0]).toBe(JEMALLOC);
      });
    }
  }

  it("redis: the server was loaded, its maps read during the load, its rates recorded", () => {
    for (const allocator of ["glibc", "jemalloc"]) {
      const run = runOf("redis", allocator);
      expect(run.program?.interposition.mappedDuringLoad).toBe(true);
      const figures = run.program?.figures ?? {};
      expect(figures["rps SET"]).toBeGreaterThan(0);
      expect(figures["rps GET"]).toBeGreaterThan(0);
      expect(figures["serverCpuSeconds"]).toBeGreaterThan(0);
      expect(run.program?.command).toContain("--io-threads");
    }
    // Debian's redis-server links libjemalloc; its glibc runs preload the libc so malloc is glibc's.
    expect(runOf("redis", "glibc").program?.interposition.preload).toMatch(/^\S*libc\.so\.6:/);
    expect(results.warnings.some((w) => w.includes("redis") && w.includes("libjemalloc"))).toBe(
      true,
    );
  });

  it("sqlite3 and lua5.4 print the same checksum under both allocators", () => {
    for (const program of ["sqlite3", "lua5.4"]) {
      const a = runOf(program, "glibc");
      const b = runOf(program, "jemalloc");
      expect(a.status === "ok" && a.checksum).toBeTruthy();
      expect(a.status === "ok" && b.status === "ok" && a.checksum === b.checksum).toBe(true);
    }
  });

  it("skips musl (the programs are glibc-linked) and the absent program, with reasons", () => {
    const reasons = Object.fromEntries((results.plan.skipped ?? []).map((s) => [s.cell, s.reason]));
    for (const program of PROGRAMS)
      expect(reasons[`${program}/musl/t1`]).toBe("program is linked against glibc");
    for (const allocator of ["glibc", "jemalloc", "musl"])
      expect(reasons[`absent-program/${allocator}/t1`]).toBe(
        "absent: /nonexistent/mallocbench-absent-program does not exist",
      );
    expect(output).toMatch(/program absent-program skipped: absent: /);
  });
});

describe("bench list workloads with programs", () => {
  it("lists programs with kind program, and an absent one with its reason", async () => {
    const run = await bench(["list", "workloads", "--json", "--workload-dir", FIXTURES]);
    expect(run.exitCode, String(run.all)).toBe(0);
    const list = JSON.parse(String(run.stdout)) as {
      name: string;
      kind: string;
      status?: string;
      description: string;
    }[];
    const programs = list.filter((w) => w.kind === "program");
    expect(programs.map((p) => p.name).sort()).toEqual([
      "absent-program",
      "ghostscript",
      "lua5.4",
      "python3",
      "redis",
      "rocksdb",
      "sqlite3",
      "z3",
    ]);
    expect(programs.find((p) => p.name === "sqlite3")?.status).toBe("available");
    expect(programs.find((p) => p.name === "absent-program")?.status).toBe(
      "absent: /nonexistent/mallocbench-absent-program does not exist",
    );
  });

  it("an unknown workload name lists the programs among the valid ones", async () => {
    const dir = await tempDir();
    const run = await bench(
      ["run", "-w", "no-such-thing", "-a", "glibc", "-o", path.join(dir, "x.json")],
      {
        env: { MALLOCBENCH_LOCK: path.join(dir, "lock") },
      },
    );
    expect(run.exitCode).toBe(2);
    expect(String(run.stderr)).toMatch(/unknown workload "no-such-thing" \(valid: .*sqlite3/);
  });
});
