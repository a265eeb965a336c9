/**
 * Every input is checked before anything is measured, and paths with characters that LD_PRELOAD
 * or a program's own language would split on still work: the real CLI, real builds, real
 * allocators (whatever `bench list allocators` finds here).
 */
import { copyFile, cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { loadResults } from "../../src/results/io.js";
import { bench, errorLines, ROOT, tempDir } from "../helpers/cli.js";
import { okRun, resultsHeader } from "../../testkit/records.js";

/** A directory name with a space, both quotes and a colon: LD_PRELOAD splits at the space and
 * the colon, and a quoted path in a script ends at the quote. */
const HOSTILE_DIR = `a b'c"d:e`;

interface Listed {
  name: string;
  libc: string;
  lib: string | null;
  source: string;
}

let preloadable: Listed[] = [];

beforeAll(async () => {
  const listed = await bench(["list", "allocators", "--json"]);
  preloadable = (JSON.parse(String(listed.stdout)) as Listed[]).filter(
    (a) => a.lib !== null && a.libc === "glibc" && a.source !== "built",
  );
}, 120_000);

describe("names and values are checked before anything is measured", () => {
  it.each([
    [
      ["--baseline", "nosuch"],
      /--baseline: allocator "nosuch" is not in this run \(its allocators: glibc\)/,
    ],
    [["--param", "slots=0"], /--param slots=0: out of range for workload larson \(1\.\.\d+\)/],
    [["--param", "nosuch=1"], /--param nosuch: workload larson has no such parameter/],
  ])("run -w larson -a glibc %j: exit 2, one line, nothing written", async (extra, message) => {
    const dir = await tempDir();
    const out = path.join(dir, "r.json");
    const run = await bench(
      ["run", "-w", "larson", "-a", "glibc", "-n", "1", ...extra, "-o", out],
      {
        env: { MALLOCBENCH_LOCK: path.join(dir, "lock") },
      },
    );
    expect(run.exitCode).toBe(2);
    expect(errorLines(String(run.stderr))).toHaveLength(1);
    expect(String(run.stderr)).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it('a config allocator entry with an unknown key ("evn") is refused, naming the key path', async () => {
    const dir = await tempDir();
    const config = path.join(dir, "bench.config.json");
    await writeFile(
      config,
      JSON.stringify({ allocators: { mine: { lib: "/nonexistent.so", evn: { A: "1" } } } }),
    );
    const run = await bench(["run", "--config", config, "-o", path.join(dir, "r.json")], {
      env: { MALLOCBENCH_LOCK: path.join(dir, "lock") },
    });
    expect(run.exitCode).toBe(2);
    expect(errorLines(String(run.stderr))).toEqual([
      `bench: ${config}: allocators.mine: unknown key "evn" (did you mean "env"?)`,
    ]);
  });

  it("an unknown key in a workload manifest given with --workload-dir is refused", async () => {
    const dir = await tempDir();
    await cp(
      path.join(ROOT, "test", "fixtures", "workloads", "ok-tiny"),
      path.join(dir, "w", "ok-tiny"),
      {
        recursive: true,
      },
    );
    const manifest = path.join(dir, "w", "ok-tiny", "workload.json");
    const json = JSON.parse(await readFile(manifest, "utf8")) as { params: object[] };
    json.params[0] = { ...json.params[0], deafult: 1 };
    await writeFile(manifest, JSON.stringify(json));
    const run = await bench(
      [
        "run",
        "-w",
        "ok-tiny",
        "--workload-dir",
        path.join(dir, "w"),
        "-o",
        path.join(dir, "r.json"),
      ],
      { env: { MALLOCBENCH_LOCK: path.join(dir, "lock") } },
    );
    expect(run.exitCode).toBe(2);
    expect(String(run.stderr)).toContain(
      `${manifest}: params[0]: unknown key "deafult" (did you mean "default"?)`,
    );
  });
});

describe("workload manifests", () => {
  it("declare the parameter ranges the workloads themselves enforce (--help)", async () => {
    const built = await bench(["build", "--json"]);
    const builds = (
      JSON.parse(String(built.stdout)) as {
        builds: { status: string; binary: string; workload: string; libc: string }[];
      }
    ).builds.filter((b) => b.status === "ok" && b.libc === "glibc");
    expect(builds.length).toBeGreaterThan(0);
    for (const b of builds) {
      const manifest = JSON.parse(
        await readFile(path.join(ROOT, "workloads", b.workload, "workload.json"), "utf8"),
      ) as { params: { name: string; min?: number; max?: number }[] };
      const help = String((await execa(b.binary, ["--help"])).stdout);
      const ranges = [...help.matchAll(/^\s+--(\S+)\s.*range (-?\d+)\.\.(-?\d+)\]$/gm)].map(
        (m) => ({ name: m[1], min: Number(m[2]), max: Number(m[3]) }),
      );
      expect(manifest.params, b.workload).toEqual(ranges.map((r) => expect.objectContaining(r)));
    }
  }, 600_000);
});

describe("hostile names from a results file reach the terminal and CSV neutralised", () => {
  it("compare, the terminal report and CSV export carry no raw control character or formula", async () => {
    const dir = await tempDir();
    const evil = "=HYPERLINK(1)\u001b]0;pwned\u0007\u001b[2J\r\u202e\u0000";
    const runs = [0, 1, 2].flatMap((round) =>
      ["glibc", evil].map((allocator) =>
        okRun({ key: `larson/${allocator}/t1#r${round}`, allocator, round }),
      ),
    );
    const file = path.join(dir, "evil.json");
    await writeFile(
      file,
      JSON.stringify({
        ...resultsHeader,
        plan: { ...resultsHeader.plan, allocators: ["glibc", evil], runs: 3 },
        finishedAt: null,
        complete: true,
        warnings: [],
        runs,
      }),
    );
    // eslint-disable-next-line no-control-regex -- what the test looks for
    const raw = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/;
    for (const args of [
      ["compare", file],
      ["compare", file, "--format", "csv"],
      ["compare", file, "--format", "markdown"],
      ["report", file, "--format", "terminal", "-o", path.join(dir, "rep")],
      ["export", file, "--format", "csv"],
      ["export", file, "--format", "json"],
    ]) {
      const run = await bench(args);
      expect(run.exitCode, `${args.join(" ")}: ${String(run.all)}`).toBe(0);
      expect(raw.test(String(run.stdout)), args.join(" ")).toBe(false);
      expect(String(run.stdout)).toContain("\\u001b");
      if (args.includes("csv")) {
        for (const line of String(run.stdout).split("\n"))
          expect(line.split(",").some((cell) => /^"?=/.test(cell))).toBe(false);
        expect(String(run.stdout)).toContain("'=HYPERLINK(1)");
      }
    }
  }, 120_000);
});

describe(`paths holding ${HOSTILE_DIR}`, () => {
  it("a library and a build cache there: preloaded through a link, identity still verified", async (ctx) => {
    const lib = preloadable[0];
    if (!lib?.lib) return ctx.skip();
    const dir = path.join(await tempDir(), HOSTILE_DIR);
    await mkdir(path.join(dir, "lib dir"), { recursive: true });
    const copy = path.join(dir, "lib dir", `lib ${lib.name}'s:copy.so`);
    await copyFile(lib.lib, copy);
    const out = path.join(dir, "r.json");
    const run = await bench(
      [
        "run",
        "-w",
        "larson",
        "-a",
        "glibc",
        "--allocator",
        `mine=${copy}`,
        "-t",
        "1",
        "-n",
        "1",
        "--warmup",
        "0",
        "--quick",
        "-o",
        out,
      ],
      {
        env: {
          MALLOCBENCH_CACHE_DIR: path.join(dir, "cache"),
          MALLOCBENCH_LOCK: path.join(dir, "lock"),
        },
      },
    );
    expect(run.exitCode, String(run.all)).toBe(0);
    const results = await loadResults(out);
    const mine = results.runs.filter((r) => r.allocator === "mine");
    expect(mine.length).toBeGreaterThan(0);
    for (const r of mine) {
      expect(r.status).toBe("ok");
      expect(r.identity).toBe(copy);
    }
  }, 600_000);

  it("sqlite3 from a workload directory there reads its script relatively", async (ctx) => {
    const sqlite = await execa("sqlite3", ["-version"], { reject: false });
    if (sqlite.exitCode !== 0) return ctx.skip();
    const dir = path.join(await tempDir(), HOSTILE_DIR);
    const program = path.join(dir, "w", "external", "sq-lite");
    await mkdir(program, { recursive: true });
    const source = path.join(ROOT, "workloads", "external", "sqlite3");
    await copyFile(path.join(source, "build.sql"), path.join(program, "build.sql"));
    const manifest = JSON.parse(await readFile(path.join(source, "program.json"), "utf8")) as {
      name: string;
    };
    await writeFile(
      path.join(program, "program.json"),
      JSON.stringify({ ...manifest, name: "sq-lite" }),
    );
    const out = path.join(dir, "r.json");
    const run = await bench(
      [
        "run",
        "-w",
        "sq-lite",
        "--workload-dir",
        path.join(dir, "w"),
        "-a",
        "glibc",
        "-n",
        "1",
        "--warmup",
        "0",
        "--quick",
        "-o",
        out,
      ],
      {
        env: {
          MALLOCBENCH_CACHE_DIR: path.join(dir, "cache"),
          MALLOCBENCH_LOCK: path.join(dir, "lock"),
        },
      },
    );
    expect(run.exitCode, String(run.all)).toBe(0);
    const results = await loadResults(out);
    expect(results.runs.filter((r) => !r.warmup).map((r) => r.status)).toEqual(["ok"]);
  }, 600_000);

  it("a manifest that splices {dir} into a program's own language is refused", async () => {
    const dir = await tempDir();
    const program = path.join(dir, "w", "external", "sq-lite");
    await mkdir(program, { recursive: true });
    const source = path.join(ROOT, "workloads", "external", "sqlite3", "program.json");
    const manifest = JSON.parse(await readFile(source, "utf8")) as { args: string[] };
    await writeFile(
      path.join(program, "program.json"),
      JSON.stringify({
        ...manifest,
        name: "sq-lite",
        args: [":memory:", ".read '{dir}/build.sql'"],
      }),
    );
    const run = await bench(
      [
        "run",
        "-w",
        "sq-lite",
        "--workload-dir",
        path.join(dir, "w"),
        "-o",
        path.join(dir, "r.json"),
      ],
      { env: { MALLOCBENCH_LOCK: path.join(dir, "lock") } },
    );
    expect(run.exitCode).toBe(2);
    expect(String(run.stderr)).toMatch(
      /\{dir\} inside "\.read '\{dir\}\/build\.sql'" would splice a path/,
    );
  });
});
