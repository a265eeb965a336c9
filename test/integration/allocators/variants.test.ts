/**
 * Allocator variants on real runs: a glibc tunables variant and a Scudo options variant run
 * side by side with their bases, labelled in results, with their settings recorded; a
 * setting the allocator rejects shows that settings reach the allocator; bad syntax is a
 * usage error (exit 2, one line).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { ResultsFile } from "../../../src/results/schema.js";
import { bench, benchRun, errorLines, tempDir } from "../../helpers/cli.js";
import { installed } from "./helpers.js";

const TUNABLES = "glibc.malloc.tcache_count=0";
const SCUDO_OPTIONS = "zero_contents=0:release_to_os_interval_ms=-1";
// Where `bench run` finds jemalloc on this machine (Debian x86_64's path when it is absent).
const JEMALLOC = (await installed()).libs.jemalloc ?? "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";

describe("variants on a real run", () => {
  let results: ResultsFile;
  let stdout: string;
  let exitCode: number | undefined;
  let all: string;

  beforeAll(async () => {
    const run = await benchRun([
      "-w",
      "larson",
      "-a",
      "glibc,scudo",
      "--variant",
      `glibc-notcache=glibc:GLIBC_TUNABLES=${TUNABLES}`,
      "--variant",
      `scudo-nozero=scudo:SCUDO_OPTIONS=${SCUDO_OPTIONS}`,
      "-t",
      "1",
      "-n",
      "2",
      "--warmup",
      "0",
      "--quick",
    ]);
    exitCode = run.exitCode;
    stdout = String(run.stdout);
    all = String(run.all);
    results = run.results;
  }, 600_000);

  it("runs each variant side by side with its base, all ok", () => {
    if (exitCode !== 0) console.error(all);
    expect(exitCode).toBe(0);
    expect(results.plan.allocators).toEqual(["glibc", "scudo", "glibc-notcache", "scudo-nozero"]);
    for (const a of results.plan.allocators) {
      const runs = results.runs.filter((r) => r.allocator === a);
      expect(runs, a).toHaveLength(2);
      expect(runs.every((r) => r.status === "ok")).toBe(true);
    }
  });

  it("records the variant's base and settings, and the environment it ran with", () => {
    const glibc = results.allocators.find((a) => a.name === "glibc");
    const notcache = results.allocators.find((a) => a.name === "glibc-notcache");
    expect(glibc?.variant).toBeUndefined();
    expect(notcache?.variant).toEqual({ base: "glibc", env: { GLIBC_TUNABLES: TUNABLES } });
    expect(notcache?.env).toEqual({ GLIBC_TUNABLES: TUNABLES });
    expect(notcache?.libc).toBe("glibc");
    expect(notcache?.lib).toBeUndefined();

    const scudo = results.allocators.find((a) => a.name === "scudo");
    const nozero = results.allocators.find((a) => a.name === "scudo-nozero");
    expect(nozero?.variant).toEqual({ base: "scudo", env: { SCUDO_OPTIONS } });
    expect(nozero?.env).toEqual({ SCUDO_OPTIONS });
    // Same library as its base: only the settings differ.
    expect(nozero?.lib).toBe(scudo?.lib);
    expect(nozero?.sha256).toBe(scudo?.sha256);
    expect(nozero?.family).toBe("scudo");
  });

  it("the environment records what glibc's own malloc is", () => {
    const glibc = results.environment.libcs.find((l) => l.libc === "glibc");
    expect(glibc?.systemAllocator?.allocator).toBe("ptmalloc2");
    expect(glibc?.systemAllocator?.libcVersion).toBe(glibc?.version);
    expect(glibc?.systemAllocator?.description).toBe(`ptmalloc2 (glibc ${glibc?.version ?? ""})`);
  });

  it("variant runs report the base's identity", () => {
    const identityOf = (name: string): Set<string | null> =>
      new Set(results.runs.filter((r) => r.allocator === name).map((r) => r.identity));
    expect(identityOf("glibc-notcache")).toEqual(identityOf("glibc"));
    expect(identityOf("scudo-nozero")).toEqual(identityOf("scudo"));
    const scudoLib = results.allocators.find((a) => a.name === "scudo")?.realLib ?? "";
    expect([...identityOf("scudo-nozero")]).toEqual([scudoLib]);
  });

  it("the summary labels the variants with their settings", () => {
    expect(stdout).toMatch(/larson\s+1\s+glibc-notcache\s/);
    expect(stdout).toMatch(/larson\s+1\s+scudo-nozero\s/);
    expect(stdout).toContain(`glibc-notcache: variant of glibc with GLIBC_TUNABLES=${TUNABLES}`);
    expect(stdout).toContain(`scudo-nozero: variant of scudo with SCUDO_OPTIONS=${SCUDO_OPTIONS}`);
  });
});

describe("variant settings reach the allocator", () => {
  it.skipIf(!existsSync(JEMALLOC))(
    "jemalloc with abort_conf and an unknown option aborts, while plain jemalloc runs",
    async () => {
      const run = await benchRun([
        "-w",
        "larson",
        "-a",
        "jemalloc",
        "--variant",
        "je-strict=jemalloc:MALLOC_CONF=abort_conf:true,no_such_option:1",
        "-t",
        "1",
        "-n",
        "1",
        "--warmup",
        "0",
        "--quick",
      ]);
      // Failed runs are data: exit 1, not a usage error.
      expect(run.exitCode).toBe(1);
      const results = run.results;
      const status = (a: string): string[] =>
        results.runs.filter((r) => r.allocator === a).map((r) => r.status);
      expect(status("jemalloc")).toEqual(["ok"]);
      const strict = results.runs.filter((r) => r.allocator === "je-strict");
      expect(strict).toHaveLength(1);
      const failed = strict[0];
      expect(failed?.status).toBe("failed");
      if (failed?.status === "failed") expect(failed.stderrTail).toContain("no_such_option");
    },
    300_000,
  );
});

describe("bad variants are usage errors", () => {
  it.each([
    [["--variant", "nobase"], "--variant"],
    [["--variant", "x=glibc:LD_PRELOAD=/tmp/x.so"], "LD_PRELOAD"],
    [["--variant", "x=hoard:K=V"], 'unknown base allocator "hoard"'],
    [["--variant", "jemalloc=glibc:K=V"], "already an allocator"],
    [["--variant", "x=glibc:A=1", "--variant", "x=jemalloc:B=2"], "two bases"],
  ])("%j exits 2 with one line", async (args, fragment) => {
    const dir = await tempDir();
    const run = await bench(
      [
        "run",
        "-w",
        "larson",
        "-a",
        "glibc",
        "-n",
        "1",
        "--quick",
        ...args,
        "-o",
        path.join(dir, "x.json"),
      ],
      { env: { MALLOCBENCH_LOCK: path.join(dir, "lock") } },
    );
    expect(run.exitCode).toBe(2);
    const lines = errorLines(String(run.stderr));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(fragment);
    expect(String(run.stderr)).not.toMatch(/\n\s+at /);
  });

  it("list allocators shows variants with their settings and each libc's own allocator", async () => {
    const run = await bench([
      "list",
      "allocators",
      "--json",
      "--variant",
      `glibc-notcache=glibc:GLIBC_TUNABLES=${TUNABLES}`,
    ]);
    expect(run.exitCode).toBe(0);
    const listed = JSON.parse(String(run.stdout)) as {
      name: string;
      variant?: { base: string; env: Record<string, string> };
      system?: { allocator: string; description: string } | null;
    }[];
    expect(listed.find((a) => a.name === "glibc-notcache")?.variant).toEqual({
      base: "glibc",
      env: { GLIBC_TUNABLES: TUNABLES },
    });
    expect(listed.find((a) => a.name === "glibc")?.system?.allocator).toBe("ptmalloc2");
    expect(listed.find((a) => a.name === "glibc-notcache")?.system?.allocator).toBe("ptmalloc2");
    const text = await bench([
      "list",
      "allocators",
      "--variant",
      `g0=glibc:GLIBC_TUNABLES=${TUNABLES}`,
    ]);
    expect(String(text.stdout)).toMatch(
      /glibc\s+glibc\s+\(the libc's own malloc: ptmalloc2 \(glibc 2\.\d+\)\)/,
    );
    expect(String(text.stdout)).toContain(`variant of glibc: GLIBC_TUNABLES=${TUNABLES}`);
  });
});
