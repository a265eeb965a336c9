import { existsSync } from "node:fs";
import { mkdir, readFile, rmdir, stat, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { loadResults, readJournal } from "../../src/results/io.js";
import {
  bench,
  benchRun,
  BIN,
  errorLines,
  FIXTURE_WORKLOADS,
  ROOT,
  tempDir,
} from "../helpers/cli.js";

const PLAN = [
  "--workload-dir",
  FIXTURE_WORKLOADS,
  "-w",
  "ok-tiny",
  "-a",
  "glibc",
  "-t",
  "1",
  "-n",
  "2",
  "--warmup",
  "0",
  "--seed",
  "5",
  "-q",
];

/** A directory nothing can be created in, even by root (sysfs); undefined where there is none. */
async function unwritableDir(): Promise<string | undefined> {
  try {
    await writeFile("/sys/mallocbench-probe", "");
    return undefined;
  } catch {
    return (await stat("/sys").catch(() => undefined))?.isDirectory() ? "/sys" : undefined;
  }
}

/** Every way a path can be unusable; `file` kinds are for commands that write one file. */
async function badPaths(dir: string, forFile: boolean): Promise<[string, string, RegExp][]> {
  await writeFile(path.join(dir, "a-file"), "not a directory\n");
  await mkdir(path.join(dir, "a-dir"), { recursive: true });
  await symlink(path.join(dir, "missing-target"), path.join(dir, "dangling")).catch(() => {});
  const kinds: [string, string, RegExp][] = [
    ["the parent is a file", path.join(dir, "a-file", "out"), /a-file is not a directory/],
    [
      "a parent is a dangling symlink",
      path.join(dir, "dangling", "sub", "out"),
      /dangling is a symbolic link to nothing/,
    ],
    [
      "a parent of a missing parent is a file",
      path.join(dir, "a-file", "x", "y", "out"),
      /a-file is not a directory/,
    ],
  ];
  if (forFile) {
    kinds.push(["the path is a directory", path.join(dir, "a-dir"), /is a directory/]);
    kinds.push([
      "the path is a dangling symlink",
      path.join(dir, "dangling"),
      /symbolic link to nothing/,
    ]);
  } else {
    kinds.push(["the path is a file", path.join(dir, "a-file"), /a-file is not a directory/]);
  }
  const ro = await unwritableDir();
  if (ro) kinds.push(["the directory is not writable", path.join(ro, "out"), /not writable/]);
  return kinds;
}

async function expectRefused(args: string[], pattern: RegExp, env: Record<string, string>) {
  const result = await bench(args, { env });
  const lines = errorLines(String(result.stderr));
  expect(result.exitCode, String(result.all)).toBe(2);
  expect(lines, String(result.stderr)).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(String(result.stderr)).not.toMatch(/\n\s+at /);
  return result;
}

describe("every command checks where it writes before doing the work", () => {
  let dir: string;
  let env: Record<string, string>;
  let results: string;

  beforeAll(async () => {
    dir = await tempDir();
    env = { MALLOCBENCH_LOCK: path.join(dir, "lock") };
    const run = await benchRun(PLAN, { dir: await tempDir() });
    expect(run.exitCode, run.all).toBe(0);
    results = run.out;
  }, 120_000);

  const commands: [string, boolean, (target: string) => string[]][] = [
    ["run -o", true, (t) => ["run", ...PLAN, "-o", t]],
    ["export -o", true, (t) => ["export", results, "-o", t]],
    ["merge -o", true, (t) => ["merge", results, results, "-o", t]],
    ["hardening -o", true, (t) => ["hardening", "-a", "glibc", "-q", "-o", t]],
    ["report -o", false, (t) => ["report", results, "--format", "md", "-o", t]],
    ["baseline save --dir", false, (t) => ["baseline", "save", results, "--dir", t]],
  ];

  for (const [name, forFile, args] of commands) {
    it(`${name}: each bad path is one line, exit 2, nothing measured or written`, async () => {
      const own = await tempDir();
      for (const [kind, target, pattern] of await badPaths(own, forFile)) {
        const result = await expectRefused(args(target), pattern, env);
        expect(String(result.stdout), kind).toBe("");
      }
      // Nothing was measured: no journal anywhere under the temp dir.
      expect(existsSync(path.join(own, "a-dir", "out.journal"))).toBe(false);
    }, 120_000);
  }

  it("an unusable build cache (MALLOCBENCH_CACHE_DIR) is one line for build, run and hardening", async () => {
    const own = await tempDir();
    const out = path.join(own, "never.json");
    for (const [kind, target, pattern] of await badPaths(own, false)) {
      for (const args of [
        ["build"],
        ["run", ...PLAN, "-o", out],
        ["hardening", "-a", "glibc", "-q"],
      ]) {
        const result = await expectRefused(args, pattern, {
          ...env,
          MALLOCBENCH_CACHE_DIR: target,
        });
        expect(String(result.stderr), kind).toMatch(/^bench: MALLOCBENCH_CACHE_DIR /);
      }
    }
    expect(existsSync(out)).toBe(false);
  }, 180_000);

  it("missing parent directories are created", async () => {
    const own = await tempDir();
    const deep = path.join(own, "x", "y", "out.csv");
    const result = await bench(["export", results, "-o", deep], { env });
    expect(result.exitCode, String(result.all)).toBe(0);
    expect(await readFile(deep, "utf8")).toMatch(/workload/);
  });

  it("run -o refuses an existing results file, and its journal alone, unless --force", async () => {
    const own = await tempDir();
    const out = path.join(own, "r.json");
    const first = await bench(["run", ...PLAN, "-o", out], { env });
    expect(first.exitCode, String(first.all)).toBe(0);
    const before = await readFile(out, "utf8");
    await expectRefused(
      ["run", ...PLAN, "-o", out],
      /r\.json: already exists.*--resume.*--force/,
      env,
    );
    expect(await readFile(out, "utf8")).toBe(before);

    // A journal left by a killed run, with no results file: refused too.
    const journalOnly = path.join(own, "j.json");
    await writeFile(`${journalOnly}.journal`, await readFile(`${out}.journal`, "utf8"));
    await expectRefused(
      ["run", ...PLAN, "-o", journalOnly],
      /its journal .*j\.json\.journal: already exists/,
      env,
    );

    // --force starts over: a fresh journal and a new results file.
    const forced = await bench(["run", ...PLAN, "--seed", "9", "-o", out, "--force"], { env });
    expect(forced.exitCode, String(forced.all)).toBe(0);
    expect((await loadResults(out)).plan.seed).toBe(9);
    const journal = await readJournal(`${out}.journal`);
    expect(journal.header.plan.seed).toBe(9);
    expect(journal.runs).toHaveLength(2);
  }, 120_000);

  it("export and merge refuse to overwrite a results file unless --force", async () => {
    const own = await tempDir();
    const copy = path.join(own, "copy.json");
    await writeFile(copy, await readFile(results, "utf8"));
    const before = await readFile(copy, "utf8");
    await expectRefused(["export", results, "-o", copy], /holds measured runs/, env);
    await expectRefused(["merge", results, results, "-o", copy], /holds measured runs/, env);
    expect(await readFile(copy, "utf8")).toBe(before);
    const forced = await bench(["export", results, "-o", copy, "--force"], { env });
    expect(forced.exitCode).toBe(0);
    // Any other file is replaced as before.
    const csv = path.join(own, "runs.csv");
    await writeFile(csv, "old\n");
    expect((await bench(["export", results, "-o", csv], { env })).exitCode).toBe(0);
  }, 60_000);

  it("when the final write fails the journal keeps every run and --resume completes", async () => {
    const own = await tempDir();
    const out = path.join(own, "r.json");
    const lock = path.join(own, "lock");
    const long = PLAN.map((a) => (a === "2" ? "30" : a));
    const child = execa("node", [BIN, "run", ...long, "-o", out], {
      cwd: ROOT,
      reject: false,
      env: { MALLOCBENCH_LOCK: lock },
      stdin: "ignore",
    });
    // Something takes the results file's place while the run measures.
    for (;;) {
      const text = await readFile(`${out}.journal`, "utf8").catch(() => "");
      if (text.includes('"type":"run"')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await mkdir(out);
    child.kill("SIGINT");
    const first = await child;
    expect(first.exitCode, String(first.all)).toBe(2);
    const lines = errorLines(String(first.stderr)).filter((l) => l.startsWith("bench:"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`cannot write the results file ${out}`);
    expect(lines[0]).toContain(`bench run --resume ${out}`);
    expect(String(first.stderr)).not.toMatch(/\n\s+at /);
    const kept = await readJournal(`${out}.journal`);
    expect(kept.runs.length).toBeGreaterThan(0);

    await rmdir(out);
    const second = await bench(["run", "--resume", out], { env: { MALLOCBENCH_LOCK: lock } });
    expect(second.exitCode, String(second.all)).toBe(0);
    const full = await loadResults(out);
    expect(full.complete).toBe(true);
    expect(full.runs).toHaveLength(30);
    expect(full.runs.slice(0, kept.runs.length)).toEqual(kept.runs);
  }, 300_000);

  it("a disk that fills up mid-run: the error says how to resume, and --resume completes", async (ctx) => {
    // A small private tmpfs in a mount namespace of its own; skipped where that is not allowed.
    const probe = await execa("unshare", ["-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], {
      reject: false,
    }).catch(() => undefined);
    if (probe?.exitCode !== 0) ctx.skip();
    const own = await tempDir();
    const mnt = path.join(own, "m");
    const script = path.join(own, "full.sh");
    await writeFile(
      script,
      [
        'm="$1"; bench="$2"; out="$3"; shift 3',
        'mkdir -p "$m" && mount -t tmpfs -o size=48k tmpfs "$m" || exit 99',
        'node "$bench" run "$@" -o "$m/r.json" 2>"$out/first.err"; echo $? >"$out/first.code"',
        'ls -A "$m" >"$out/left"',
        'mount -o remount,size=16m "$m"',
        'node "$bench" run --resume "$m/r.json" -q >/dev/null 2>"$out/second.err"',
        'echo $? >"$out/second.code"',
        'cp "$m/r.json" "$out/r.json"',
      ].join("\n"),
    );
    const long = PLAN.slice(0).map((a) => (a === "2" ? "40" : a));
    const shell = await execa("unshare", ["-m", "sh", script, mnt, BIN, own, ...long], {
      cwd: ROOT,
      reject: false,
      env: { MALLOCBENCH_LOCK: path.join(own, "lock") },
    });
    expect(shell.exitCode, shell.stderr).toBe(0);
    const read = (name: string) => readFile(path.join(own, name), "utf8");
    expect((await read("first.code")).trim()).toBe("2");
    const lines = errorLines(await read("first.err")).filter((l) => l.startsWith("bench:"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/ENOSPC/);
    expect(lines[0]).toContain(`bench run --resume ${mnt}/r.json`);
    expect(await read("first.err")).not.toMatch(/\n\s+at /);
    expect((await read("left")).split("\n").filter(Boolean)).toEqual(["r.json.journal"]);
    expect((await read("second.code")).trim()).toBe("0");
    const full = await loadResults(path.join(own, "r.json"));
    expect(full.complete).toBe(true);
    expect(full.runs).toHaveLength(40);
    expect(new Set(full.runs.map((r) => r.key)).size).toBe(40);
  }, 300_000);
});
