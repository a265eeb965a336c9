import { existsSync } from "node:fs";
import { appendFile, chmod, copyFile, cp, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadResults } from "../../src/results/io.js";
import {
  bench,
  benchRun,
  buildFixtureLib,
  errorLines,
  FIXTURE_WORKLOADS,
  tempDir,
} from "../helpers/cli.js";

function plan(workloadDir: string, seed: string): string[] {
  return [
    "--workload-dir",
    workloadDir,
    "-w",
    "ok-tiny",
    "-t",
    "1",
    "-n",
    "2",
    "--warmup",
    "0",
    "--seed",
    seed,
    "-q",
  ];
}

async function expectRefusedResume(out: string, dir: string, pattern: RegExp): Promise<void> {
  const before = await readFile(out, "utf8");
  const result = await bench(["run", "--resume", out, "-q"], {
    env: { MALLOCBENCH_LOCK: path.join(dir, "lock") },
  });
  const lines = errorLines(String(result.stderr)).filter((l) => !l.startsWith("warning:"));
  expect(result.exitCode, String(result.all)).toBe(2);
  expect(lines, String(result.stderr)).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(await readFile(out, "utf8")).toBe(before);
}

/** Rewrite a JSON file and the header line of its journal the same way. */
async function editBoth(out: string, edit: (header: Record<string, unknown>) => void) {
  const results = JSON.parse(await readFile(out, "utf8")) as Record<string, unknown>;
  edit(results);
  await writeFile(out, JSON.stringify(results));
  const lines = (await readFile(`${out}.journal`, "utf8")).split("\n");
  const header = JSON.parse(lines[0] ?? "") as Record<string, unknown>;
  edit(header);
  lines[0] = JSON.stringify(header);
  await writeFile(`${out}.journal`, lines.join("\n"));
}

describe("--resume continues only the run that its files record", () => {
  it("a journal of another plan beside the results file is refused, naming what differs", async () => {
    const a = await benchRun([...plan(FIXTURE_WORKLOADS, "1"), "-a", "glibc"]);
    const b = await benchRun([...plan(FIXTURE_WORKLOADS, "2"), "-a", "glibc"]);
    await cp(`${b.out}.journal`, `${a.out}.journal`);
    await expectRefusedResume(
      a.out,
      a.dir,
      /cannot resume: .*results\.json\.journal belongs to another run than .*results\.json \(.*plan\.seed: 2 vs 1/,
    );
  }, 120_000);

  it("a workload whose source changed since the recorded runs is refused by name", async () => {
    const workloads = await tempDir();
    await cp(path.join(FIXTURE_WORKLOADS, "ok-tiny"), path.join(workloads, "ok-tiny"), {
      recursive: true,
    });
    const run = await benchRun([...plan(workloads, "3"), "-a", "glibc"]);
    expect(run.exitCode, run.all).toBe(0);
    await appendFile(path.join(workloads, "ok-tiny", "ok-tiny.c"), "\n/* changed */\n");
    await expectRefusedResume(
      run.out,
      run.dir,
      /cannot resume: workload ok-tiny \(glibc\) changed since the recorded runs/,
    );
  }, 120_000);

  it("an allocator library whose sha256 changed since the recorded runs is refused by name", async () => {
    const libs = await tempDir();
    const lib = await buildFixtureLib("slowdown", libs);
    const run = await benchRun([
      ...plan(FIXTURE_WORKLOADS, "4"),
      "-a",
      "slow",
      "--allocator",
      `slow=${lib}`,
    ]);
    await appendFile(lib, "trailing bytes: same code, another file");
    await expectRefusedResume(
      run.out,
      run.dir,
      /cannot resume: allocator slow \(.*libslowdown\.so\) changed since the recorded runs \(sha256/,
    );
  }, 120_000);

  it("runs recorded by another mallocbench version are refused", async () => {
    const run = await benchRun([...plan(FIXTURE_WORKLOADS, "5"), "-a", "glibc"]);
    await editBoth(run.out, (h) => {
      h["tool"] = { name: "mallocbench", version: "0.0.1" };
    });
    await expectRefusedResume(
      run.out,
      run.dir,
      /cannot resume: the recorded runs were measured by mallocbench 0\.0\.1, this is /,
    );
  }, 120_000);

  it("runs the results file holds but the journal lacks are kept, not measured again", async () => {
    const run = await benchRun([...plan(FIXTURE_WORKLOADS, "6"), "-a", "glibc", "-n", "4"]);
    expect(run.exitCode, run.all).toBe(0);
    // As after journal writes that failed: the results file has every run, the journal not.
    const lines = (await readFile(`${run.out}.journal`, "utf8")).split("\n");
    await writeFile(`${run.out}.journal`, `${lines.slice(0, 3).join("\n")}\n`);
    const resumed = await bench(["run", "--resume", run.out, "-q"], {
      env: { MALLOCBENCH_LOCK: path.join(run.dir, "lock") },
    });
    expect(resumed.exitCode, String(resumed.all)).toBe(0);
    expect((await loadResults(run.out)).runs).toEqual(run.results.runs);
    const journal = (await readFile(`${run.out}.journal`, "utf8")).split("\n").filter(Boolean);
    expect(journal).toHaveLength(1 + 4);
  }, 120_000);

  it("an external program whose binary changed since the recorded runs is refused by name", async (ctx) => {
    const lua = (process.env["PATH"] ?? "")
      .split(":")
      .map((d) => path.join(d, "lua5.4"))
      .find((f) => existsSync(f));
    if (!lua) ctx.skip();
    const bin = await tempDir();
    const copy = path.join(bin, "lua5.4");
    await copyFile(lua as string, copy);
    await chmod(copy, 0o755);
    const env = { PATH: `${bin}:${process.env["PATH"] ?? ""}` };
    const run = await benchRun(
      ["-w", "lua5.4", "-a", "glibc", "-t", "1", "-n", "1", "--warmup", "0", "--quick", "-q"],
      { env },
    );
    expect(
      run.results.builds.some((b) => b.workload === "lua5.4" && b.toolchain === "system"),
    ).toBe(true);
    await appendFile(copy, "trailing bytes: another file");
    const before = await readFile(run.out, "utf8");
    const result = await bench(["run", "--resume", run.out, "-q"], {
      env: { ...env, MALLOCBENCH_LOCK: path.join(run.dir, "lock") },
    });
    expect(result.exitCode, String(result.all)).toBe(2);
    expect(String(result.stderr)).toMatch(
      /cannot resume: program lua5\.4 changed since the recorded runs \(its binary's sha256/,
    );
    expect(await readFile(run.out, "utf8")).toBe(before);
  }, 180_000);
});
