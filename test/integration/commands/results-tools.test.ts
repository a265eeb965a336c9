import { spawnSync } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { readFile, symlink } from "node:fs/promises";
import { execa } from "execa";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { writeJsonAtomic } from "../../../src/results/io.js";
import type { ResultsFile, RunRecord } from "../../../src/results/schema.js";
import { BIN, bench, errorLines, tempDir } from "../../helpers/cli.js";
import { okRun, resultsHeader } from "../../../testkit/records.js";

function results(arch: string, samples: Record<string, number[]>, complete = true): ResultsFile {
  const runs: RunRecord[] = [];
  for (const [allocator, values] of Object.entries(samples)) {
    values.forEach((seconds, round) =>
      runs.push(
        okRun({
          key: `larson/${allocator}/t1#r${round}`,
          allocator,
          round,
          metrics: {
            ...okRun().metrics,
            seconds,
            wallSeconds: seconds + 0.01,
            maxRssBytes: 1000 + round,
            opsPerSecond: 100 / seconds,
          },
        }),
      ),
    );
  }
  return {
    ...resultsHeader,
    environment: { ...resultsHeader.environment, arch },
    plan: { ...resultsHeader.plan, allocators: Object.keys(samples) },
    finishedAt: null,
    complete,
    warnings: [],
    runs,
  };
}

const base = [1.0, 1.01, 0.99, 1.02, 0.98, 1.0, 1.01, 0.99];
const fast = base.map((x) => x * 0.8);

describe("merge, baseline save and export", () => {
  it("merge keeps testbeds apart and compare reports each one", async () => {
    const dir = await tempDir();
    const [x86, arm, all] = ["x86.json", "arm.json", "all.json"].map((f) => path.join(dir, f)) as [
      string,
      string,
      string,
    ];
    await writeJsonAtomic(x86, results("x86_64", { glibc: base, jemalloc: fast }));
    await writeJsonAtomic(arm, results("aarch64", { glibc: base, jemalloc: base }));
    const merged = await bench(["merge", x86, arm, "-o", all]);
    expect(merged.exitCode, String(merged.all)).toBe(0);
    expect(String(merged.stdout)).toContain("2 result set(s) from 2 testbed(s)");
    const text = await bench(["compare", all]);
    expect(text.exitCode, String(text.all)).toBe(0);
    expect(String(text.stdout)).toMatch(
      /== x86_64, cpu, 2 CPUs[\s\S]*jemalloc\s+glibc.*faster[\s\S]*== aarch64, cpu, 2 CPUs[\s\S]*jemalloc\s+glibc.*~/,
    );
    const one = await bench(["merge", x86, "-o", all]);
    expect(one.exitCode).toBe(2);
    // The same set twice (the same file, or a copy) is not more data: refused, naming both.
    for (const again of [x86, path.join(dir, "copy.json")]) {
      if (again !== x86) await writeJsonAtomic(again, JSON.parse(await readFile(x86, "utf8")));
      const twice = await bench(["merge", x86, arm, again, "-o", path.join(dir, "twice.json")]);
      expect(twice.exitCode).toBe(2);
      expect(String(twice.stderr).trim()).toMatch(
        /^bench: \S*x86\.json and \S*(x86|copy)\.json hold the same result set \(created .*\): give each once$/,
      );
    }
  });

  it("baseline save stores a complete file under its testbed id and refuses an interrupted one", async () => {
    const dir = await tempDir();
    const file = path.join(dir, "r.json");
    await writeJsonAtomic(file, results("x86_64", { glibc: base }));
    const saved = await bench(["baseline", "save", file, "--dir", path.join(dir, "baselines")]);
    expect(saved.exitCode).toBe(0);
    expect(String(saved.stdout).trim()).toBe(path.join(dir, "baselines", "x86-64-cpu-2cpu.json"));
    const partial = path.join(dir, "p.json");
    await writeJsonAtomic(partial, results("x86_64", { glibc: base }, false));
    const refused = await bench(["baseline", "save", partial]);
    expect(refused.exitCode).toBe(2);
    expect(String(refused.stderr)).toMatch(
      /is incomplete \(interrupted\): finish it with bench run --resume/,
    );
  });

  it("exports CSV per run, a JSON summary, Bencher Metric Format and github-action-benchmark JSON", async () => {
    const dir = await tempDir();
    const file = path.join(dir, "r.json");
    await writeJsonAtomic(file, results("x86_64", { glibc: base, 'je,"q"': fast }));

    const csv = String((await bench(["export", file, "--format", "csv"])).stdout)
      .trim()
      .split("\n");
    expect(csv).toHaveLength(1 + 16);
    expect(csv[0]).toMatch(
      /^key,workload,allocator,libc,threads,size,round,warmup,seq,startedAt,status,failure,identity,seconds,/,
    );
    expect(csv.some((l) => l.includes('"je,""q"""'))).toBe(true); // quoted per RFC 4180

    const summary = JSON.parse(
      String((await bench(["export", file, "--format", "json"])).stdout),
    ) as {
      cells: {
        allocator: string;
        metric: string;
        n: number;
        median: number;
        lower: number | null;
      }[];
    };
    const cell = summary.cells.find((c) => c.allocator === "glibc" && c.metric === "seconds");
    expect(cell).toMatchObject({ n: 8, median: 1 });
    expect(cell?.lower).not.toBeNull();

    const out = path.join(dir, "bmf.json");
    expect((await bench(["export", file, "--format", "bmf", "-o", out])).exitCode).toBe(0);
    const bmf = JSON.parse(await readFile(out, "utf8")) as Record<
      string,
      Record<string, { value: number; lower_value?: number; upper_value?: number }>
    >;
    expect(bmf["larson/glibc/t1"]?.["latency"]?.value).toBeCloseTo(1e9, 0);
    expect(bmf["larson/glibc/t1"]?.["max-rss"]?.value).toBeGreaterThan(1000);
    expect(bmf["larson/glibc/t1"]?.["throughput"]?.value).toBeCloseTo(100, 6);

    const gab = JSON.parse(String((await bench(["export", file, "--format", "gab"])).stdout)) as {
      name: string;
      unit: string;
      value: number;
      range?: string;
      extra: string;
    }[];
    expect(gab.find((g) => g.name === "larson/glibc/t1")).toMatchObject({ unit: "s", value: 1 });
    expect(gab[0]?.range).toMatch(/^[\d.]+\.\.[\d.]+$/);
    const bad = await bench(["export", file, "--format", "gab", "--metric", "opsPerSecond"]);
    expect(bad.exitCode).toBe(2);
  });

  it("export -o and merge -o refuse their own input (directly or through a link), even with --force", async () => {
    const dir = await tempDir();
    const a = path.join(dir, "a.json");
    const b = path.join(dir, "b.json");
    await writeJsonAtomic(a, results("x86_64", { glibc: base }));
    await writeJsonAtomic(b, results("aarch64", { glibc: fast }));
    const before = await readFile(a, "utf8");
    await symlink(a, path.join(dir, "link.json"));
    for (const args of [
      ["export", a, "-o", a, "--force"],
      ["export", a, "-o", path.join(dir, "link.json"), "--force"],
      ["merge", a, b, "-o", a, "--force"],
    ]) {
      const r = await bench(args);
      expect(r.exitCode).toBe(2);
      expect(errorLines(String(r.stderr))).toEqual([
        expect.stringMatching(/is the input .*a\.json/),
      ]);
    }
    expect(await readFile(a, "utf8")).toBe(before);
  });

  it("a full disk behind stdout is one line and exit 2; a reader that goes away is not an error", async () => {
    const dir = await tempDir();
    const a = path.join(dir, "a.json");
    await writeJsonAtomic(a, results("x86_64", { glibc: base }));
    // The descriptor itself is /dev/full (every write fails ENOSPC), as with `> /dev/full`.
    const fd = openSync("/dev/full", "w");
    let full;
    try {
      full = spawnSync("node", [BIN, "export", a], { stdio: ["ignore", fd, "pipe"] });
    } finally {
      closeSync(fd);
    }
    expect(full.status).toBe(2);
    expect(errorLines(String(full.stderr))).toEqual([
      expect.stringMatching(/cannot write stdout \(ENOSPC\)/),
    ]);
    // `bench export a.json | head -c 1`: the pipe closes early.
    const child = execa("node", [BIN, "export", a], {
      reject: false,
      stdin: "ignore",
      buffer: false,
    });
    child.stdout?.once("data", () => child.stdout?.destroy());
    const closed = await child;
    expect(String(closed.stderr ?? "")).not.toMatch(/Error|at /);
    expect(closed.exitCode).toBe(0);
  });
});
