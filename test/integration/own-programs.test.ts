import { cp, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import type { ResultsFile, RunRecord } from "../../src/results/schema.js";
import { findOnPath } from "../../src/targets/programs.js";
import { bench, benchRun, errorLines, ROOT, tempDir } from "../helpers/cli.js";

/**
 * A user's own programs (docs/programs.md), built here from the C sources in
 * test/fixtures/own-programs: a CPU program reading stdin, built for glibc and (with musl-gcc)
 * musl in one manifest; a fixed-duration multithreaded program scored by the throughput it
 * prints; a server under its own load client; and one whose declared checksum changes on every
 * run.
 */
const FIXTURE = path.join(ROOT, "test", "fixtures", "own-programs");

interface Built {
  root: string;
  musl: boolean;
  allocators: string[];
}

/** Copy the fixture tree to a temp dir and build its programs into <copy>/build. */
async function buildFixtures(): Promise<Built> {
  const root = path.join(await tempDir(), "programs");
  await cp(FIXTURE, root, { recursive: true });
  await mkdir(path.join(root, "build"));
  const cc = (await findOnPath("gcc")) ?? (await findOnPath("cc"));
  if (!cc) throw new Error("no C compiler (gcc or cc) on PATH");
  const src = (name: string): string => path.join(root, "src", `${name}.c`);
  const out = (name: string): string => path.join(root, "build", name);
  await execa(cc, ["-O2", "-o", out("crunch-glibc"), src("crunch")]);
  await execa(cc, ["-O2", "-pthread", "-o", out("throughput-glibc"), src("throughput")]);
  await execa(cc, ["-O2", "-pthread", "-o", out("kvserver-glibc"), src("kvserver")]);
  await execa(cc, ["-O2", "-o", out("kvload"), src("kvload")]);
  const muslGcc = await findOnPath("musl-gcc");
  if (muslGcc) await execa(muslGcc, ["-O2", "-o", out("crunch-musl"), src("crunch")]);
  // Allocators as the harness discovers them: glibc, musl when built, and a preloaded one.
  const listed = JSON.parse(String((await bench(["list", "allocators", "--json"])).stdout)) as {
    name: string;
  }[];
  const names = listed.map((a) => a.name);
  const allocators = [
    "glibc",
    ...(muslGcc && names.includes("musl") ? ["musl"] : []),
    ...["jemalloc", "scudo"].filter((n) => names.includes(n)),
  ];
  return { root, musl: Boolean(muslGcc) && names.includes("musl"), allocators };
}

describe("bench run with a user's own programs", () => {
  let built: Built;
  let results: ResultsFile;
  let output: string;
  let exitCode: number | undefined;

  beforeAll(async () => {
    built = await buildFixtures();
    const run = await benchRun([
      "-w",
      "crunch,throughput,kv",
      "-a",
      built.allocators.join(","),
      "-t",
      "1",
      "-n",
      "2",
      "--warmup",
      "0",
      "--quick",
      "--workload-dir",
      built.root,
    ]);
    exitCode = run.exitCode;
    output = run.all;
    results = run.results;
  }, 300_000);

  const runsOf = (workload: string, allocator: string): RunRecord[] => {
    const runs = results.runs.filter((r) => r.workload === workload && r.allocator === allocator);
    if (runs.length === 0) throw new Error(`no run of ${workload} under ${allocator}:\n${output}`);
    return runs;
  };

  it("completes, and names the libcs' versions though no synthetic workload was built", () => {
    expect(exitCode, output).toBe(0);
    for (const libc of results.environment.libcs) expect(libc.version, libc.libc).not.toBeNull();
  });

  it("crunch: stdin from the manifest's directory, verified under every allocator, musl's own build under musl", () => {
    for (const allocator of built.allocators) {
      for (const run of runsOf("crunch", allocator)) {
        expect(run.status, JSON.stringify(run)).toBe("ok");
        expect(run.program?.interposition.verified).toBe(true);
        const binary = path.basename(run.program?.command[0] ?? "");
        expect(binary).toBe(allocator === "musl" ? "crunch-musl" : "crunch-glibc");
      }
    }
    const checksums = new Set(
      results.runs
        .filter((r) => r.workload === "crunch" && r.status === "ok")
        .map((r) => (r.status === "ok" ? r.checksum : null)),
    );
    expect(checksums.size).toBe(1);
  });

  it("throughput: scored by the value it prints (seconds = 1/value), not its fixed wall time", () => {
    for (const allocator of built.allocators.filter((a) => a !== "musl")) {
      for (const run of runsOf("throughput", allocator)) {
        if (run.status !== "ok") throw new Error(JSON.stringify(run));
        const reported = run.program?.figures?.["ops/s"] as number;
        expect(reported).toBeGreaterThan(0);
        expect(run.metrics.opsPerSecond).toBe(reported);
        expect(run.metrics.seconds).toBeCloseTo(1 / reported, 15);
      }
    }
  });

  it("kv: a server loaded by its client (paths relative to the manifest), in use during the load", () => {
    for (const allocator of built.allocators.filter((a) => a !== "musl")) {
      for (const run of runsOf("kv", allocator)) {
        if (run.status !== "ok") throw new Error(JSON.stringify(run));
        expect(run.program?.interposition.verified).toBe(true);
        expect(run.program?.interposition.mappedDuringLoad).toBe(true);
        expect(run.program?.figures?.["rps SET"]).toBeGreaterThan(0);
        expect(run.program?.figures?.["rps GET"]).toBeGreaterThan(0);
      }
    }
  });

  it("flaky: a declared checksum that differs from the reference run fails result-mismatch", async () => {
    const run = await benchRun([
      "-w",
      "flaky",
      "-a",
      "glibc",
      "-t",
      "1",
      "-n",
      "2",
      "--warmup",
      "0",
      "--quick",
      "--workload-dir",
      built.root,
    ]);
    expect(run.results.runs).toHaveLength(2);
    for (const r of run.results.runs) {
      expect(r.status).toBe("failed");
      if (r.status === "failed") {
        expect(r.failure.kind).toBe("result-mismatch");
        expect(r.failure.message).toMatch(/checksum \S+ differs from \S+ of the reference run/);
      }
    }
  }, 120_000);

  it("musl is skipped for the glibc-only programs, with the reason", () => {
    if (!built.musl) return;
    const skipped = results.plan.skipped ?? [];
    expect(skipped).toContainEqual({
      cell: "throughput/musl/t1",
      reason: "program is linked against glibc",
    });
  });

  it("--param scans a program's parameter", async () => {
    const run = await benchRun([
      "-w",
      "crunch",
      "-a",
      "glibc",
      "-t",
      "1",
      "-n",
      "1",
      "--warmup",
      "0",
      "--quick",
      "--param",
      "rounds=1,3",
      "--workload-dir",
      built.root,
    ]);
    expect(run.exitCode, run.all).toBe(0);
    const ok = run.results.runs.filter((r) => r.status === "ok");
    expect(ok.map((r) => r.params?.["rounds"]).sort()).toEqual(["1", "3"]);
    expect(ok.map((r) => path.basename(r.program?.command[1] ?? "")).sort()).toEqual(["1", "3"]);
  }, 120_000);

  it("bench program init writes a manifest that runs, proposing the reported throughput", async () => {
    const dir = path.join(await tempDir(), "mine");
    const binary = path.join(built.root, "build", "throughput-glibc");
    const init = await bench(["program", "init", "tp", "--dir", dir, "--", binary, "1", "50"]);
    expect(init.exitCode, String(init.all)).toBe(0);
    expect(String(init.stdout)).toMatch(/metric: the value it reports \(higher is better\)/);
    const again = await bench(["program", "init", "tp", "--dir", dir, "--", binary, "1", "50"]);
    expect(again.exitCode).toBe(2);
    expect(String(again.stderr)).toMatch(/program\.json already exists; edit it, or pass --force/);
    const run = await benchRun([
      "-w",
      "tp",
      "-a",
      "glibc",
      "-n",
      "1",
      "--warmup",
      "0",
      "-t",
      "1",
      "--workload-dir",
      dir,
    ]);
    expect(run.exitCode, run.all).toBe(0);
    const [record] = run.results.runs;
    expect(record?.status).toBe("ok");
    expect(record?.program?.figures?.["ops/s"]).toBeGreaterThan(0);
  }, 120_000);

  it("bench program init refuses a command that fails, writing nothing", async () => {
    const dir = path.join(await tempDir(), "mine");
    const binary = path.join(built.root, "build", "crunch-glibc");
    const init = await bench(["program", "init", "cr", "--dir", dir, "--", binary, "1"]);
    expect(init.exitCode).toBe(2);
    expect(errorLines(String(init.stderr))).toEqual([
      expect.stringMatching(
        /^bench: program init: .*crunch-glibc 1 failed \(exit 2\): crunch: no numbers on stdin; a measured program must exit 0$/,
      ),
    ]);
    const withStdin = await bench([
      "program",
      "init",
      "cr",
      "--dir",
      dir,
      "--stdin",
      path.join(built.root, "crunch", "input.txt"),
      "--",
      binary,
      "1",
    ]);
    expect(withStdin.exitCode, String(withStdin.all)).toBe(0);
    expect(String(withStdin.stdout)).toMatch(/metric: wall time, with ops=\d+ and checksum=/);
  }, 60_000);

  it("--param outside the range a program declares: exit 2 before measuring", async () => {
    const result = await bench([
      "run",
      "-w",
      "crunch",
      "--param",
      "rounds=0",
      "--workload-dir",
      built.root,
      "-o",
      path.join(await tempDir(), "r.json"),
    ]);
    expect(result.exitCode).toBe(2);
    expect(errorLines(String(result.stderr))).toEqual([
      "bench: --param rounds=0: out of range for program crunch (1..100000)",
    ]);
  });

  it("--param a program does not declare: exit 2 naming the program", async () => {
    const result = await bench([
      "run",
      "-w",
      "crunch",
      "--param",
      "objsize=32",
      "--workload-dir",
      built.root,
      "-o",
      path.join(await tempDir(), "r.json"),
    ]);
    expect(result.exitCode).toBe(2);
    expect(errorLines(String(result.stderr))).toEqual([
      expect.stringMatching(/^bench: --param objsize: program crunch has no such parameter/),
    ]);
  });
});

describe("program names and nothing to run", () => {
  it("a program named like a built-in workload is refused, naming both definitions", async () => {
    const dir = path.join(await tempDir(), "programs");
    await mkdir(path.join(dir, "larson"), { recursive: true });
    const manifest = {
      name: "larson",
      description: "a user's larson",
      binary: "sh",
      probe: ["-c", "true"],
      args: ["-c", "true"],
      metric: { kind: "wall" },
    };
    await writeFile(path.join(dir, "larson", "program.json"), JSON.stringify(manifest));
    for (const args of [
      ["run", "-w", "larson", "--workload-dir", dir, "-o", path.join(dir, "r.json")],
      ["list", "workloads", "--workload-dir", dir],
    ]) {
      const result = await bench(args);
      expect(result.exitCode, String(result.all)).toBe(2);
      const lines = errorLines(String(result.stderr));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(path.join(dir, "larson", "program.json"));
      expect(lines[0]).toMatch(/workloads\/larson\/workload\.json/);
    }
  });

  it("when every requested program is absent: exit 2 with the reason, nothing measured", async () => {
    const dir = await tempDir();
    const result = await bench(
      [
        "run",
        "-w",
        "absent-program",
        "-a",
        "glibc",
        "--workload-dir",
        path.join(ROOT, "test", "fixtures", "programs"),
        "-o",
        path.join(dir, "r.json"),
      ],
      { env: { MALLOCBENCH_LOCK: path.join(dir, "lock") } },
    );
    expect(result.exitCode, String(result.all)).toBe(2);
    expect(String(result.stderr)).toMatch(
      /^bench: nothing to run: absent-program: absent: \/nonexistent\/mallocbench-absent-program does not exist/m,
    );
    expect(String(result.stdout)).not.toMatch(/measuring/);
  });
});
