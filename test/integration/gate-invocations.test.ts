import { readFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { ResultsFile } from "../../src/results/schema.js";
import { bench, buildFixtureLib, runUnderSlowdown, tempDir } from "../helpers/cli.js";

/**
 * Separate invocations (issue 17, point 3): a baseline saved from several `bench run`s with
 * `bench baseline save --add`, each run tagged with its invocation, and `bench check --baseline`
 * comparing invocation by invocation. Real runs of a real workload; no timing is asserted here
 * (test/calibration/gate.test.ts checks that a large slowdown is flagged).
 */
describe("bench check against a baseline of several invocations", () => {
  let dir: string;
  let env: Record<string, string>;
  const runs: string[] = [];

  beforeAll(async () => {
    dir = await tempDir("mallocbench-invocations-");
    env = { MALLOCBENCH_LOCK: path.join(dir, "lock") };
    await buildFixtureLib("slowdown", dir);
    for (let i = 0; i < 4; i++)
      runs.push(
        await runUnderSlowdown(dir, env, `r${i}`, { spins: 0, runs: 5, warmup: 0, seed: i + 1 }),
      );
  }, 600_000);

  it("one invocation per side: says the variance between invocations cannot be estimated, never passes", async () => {
    const baselines = path.join(dir, "one");
    const saved = await bench(["baseline", "save", runs[0] as string, "--dir", baselines], { env });
    expect(saved.exitCode, String(saved.all)).toBe(0);
    const r = await bench(["check", runs[3] as string, "--baseline", baselines], {
      env: { ...env, GITHUB_ACTIONS: "true" },
    });
    // A drift between the two invocations may be flagged (1); a pass (0) is impossible, also
    // when the drift made the current side faster.
    expect([1, 3], String(r.all)).toContain(r.exitCode);
    const out = String(r.stdout);
    expect(out).toMatch(
      /^note: baseline and current are separate invocations: .*the variance between invocations cannot be estimated from one invocation per side.*bench baseline save --add.*use --against <allocator>/m,
    );
    expect(out).not.toContain("check passed");
    if (r.exitCode === 3) {
      expect(out).toMatch(
        /threadtest t1 subject: (inconclusive|faster) .*: the variance between invocations cannot be estimated from one invocation per side \(save the baseline from several invocations/,
      );
      expect(out).toMatch(
        /^::warning title=mallocbench inconclusive::threadtest t1 subject: .*cannot be estimated from one invocation per side: .*--against <allocator>/m,
      );
    }
  });

  it("--add accumulates invocations, tags each run, and check compares invocation by invocation", async () => {
    const baselines = path.join(dir, "many");
    const first = await bench(["baseline", "save", runs[0] as string, "--dir", baselines], {
      env,
    });
    const target = String(first.stdout).trim();
    for (const file of [runs[1], runs[2]]) {
      const added = await bench(["baseline", "save", file as string, "--dir", baselines, "--add"], {
        env,
      });
      expect(added.exitCode, String(added.all)).toBe(0);
    }
    const saved = JSON.parse(await readFile(target, "utf8")) as ResultsFile;
    expect(saved.invocations).toHaveLength(3);
    const ids = new Set(saved.invocations?.map((i) => i.id));
    expect(saved.runs).toHaveLength(15);
    for (const run of saved.runs) expect(ids.has(run.invocation as string)).toBe(true);
    expect(new Set(saved.runs.map((r) => r.key)).size).toBe(15);

    // The same bench run twice is one invocation, not two.
    const again = await bench(
      ["baseline", "save", runs[2] as string, "--dir", baselines, "--add"],
      { env },
    );
    expect(again.exitCode).toBe(2);
    expect(String(again.stderr)).toMatch(
      /already holds the invocation of .*: add each bench run once/,
    );

    const r = await bench(["check", runs[3] as string, "--baseline", baselines], { env });
    expect([0, 1, 3], String(r.all)).toContain(r.exitCode);
    const out = String(r.stdout);
    expect(out).toMatch(
      /^note: baseline and current are separate invocations: compared invocation by invocation \(each invocation's median one observation; Student's pooled t test over 3 baseline and 1 current invocation\(s\)\)/m,
    );
    expect(out).not.toMatch(/cannot be estimated/);
    expect(out).toMatch(/^power: at alpha 0\.05 with 80% power/m);
    if (r.exitCode === 3)
      expect(out).toMatch(
        /the spread between invocations is ±\d+\.\d%: more runs per invocation do not narrow it/,
      );
    const json = await bench(["compare", target, runs[3] as string, "--format", "json"], { env });
    expect(json.exitCode, String(json.all)).toBe(0);
    expect(String(json.stdout)).toMatch(
      /"method": ?"invocation medians: pooled t test, 1 vs 3 invocation\(s\), 2 df, spread between invocations ±\d+\.\d%( \(the runs' own noise in each median; the medians alone spread ±\d+\.\d%\))?"/,
    );

    // --keep: the newest invocations only.
    const kept = await bench(
      ["baseline", "save", runs[3] as string, "--dir", baselines, "--add", "--keep", "2"],
      { env },
    );
    expect(kept.exitCode, String(kept.all)).toBe(0);
    const window = JSON.parse(await readFile(target, "utf8")) as ResultsFile;
    expect(window.invocations).toHaveLength(2);
    expect(window.runs).toHaveLength(10);
  });

  it("refuses what cannot be one baseline", async () => {
    const baselines = path.join(dir, "bad");
    await bench(["baseline", "save", runs[0] as string, "--dir", baselines], { env });
    const keepAlone = await bench(
      ["baseline", "save", runs[1] as string, "--dir", baselines, "--keep", "3"],
      { env },
    );
    expect(keepAlone.exitCode).toBe(2);
    expect(String(keepAlone.stderr)).toMatch(/--keep bounds the invocations --add accumulates/);
    const one = await bench(
      ["baseline", "save", runs[1] as string, "--dir", baselines, "--add", "--keep", "1"],
      { env },
    );
    expect(one.exitCode).toBe(2);
    expect(String(one.stderr)).not.toMatch(/at .*\.js:\d+/);
  });
});
