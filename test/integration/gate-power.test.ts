import { writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { bench, buildFixtureLib, tempDir } from "../helpers/cli.js";

/**
 * The gate's power on real runs: a real workload under the slowdown shim (test/fixtures/libs),
 * with a slowdown far below what the runs can resolve. Nothing here asserts a time: only what
 * the gate says about the runs it was given.
 */
describe("bench check states its power", () => {
  let dir: string;
  let env: Record<string, string>;
  let config: string;

  beforeAll(async () => {
    dir = await tempDir("mallocbench-power-");
    env = { MALLOCBENCH_LOCK: path.join(dir, "lock") };
    const shim = await buildFixtureLib("slowdown", dir);
    config = path.join(dir, "config.json");
    await writeFile(
      config,
      JSON.stringify({
        allocators: {
          a: { lib: shim, env: { MB_SLOWDOWN_SPINS: "0" } },
          // One spin every 1000 mallocs: a slowdown far below a 0.1% threshold's reach.
          tiny: { lib: shim, env: { MB_SLOWDOWN_SPINS: "1", MB_SLOWDOWN_EVERY: "1000" } },
          slow: { lib: shim, env: { MB_SLOWDOWN_SPINS: "240" } },
        },
      }),
    );
  }, 600_000);

  it("a slowdown smaller than the minimum detectable effect is inconclusive (exit 3), not a pass", async () => {
    const out = path.join(dir, "tiny.json");
    const run = await bench(
      [
        "run",
        "-w",
        "threadtest",
        "-a",
        "a,tiny",
        "-t",
        "1",
        "-n",
        "5",
        "--warmup",
        "1",
        "--quick",
        "--config",
        config,
        "-o",
        out,
      ],
      { env },
    );
    expect(run.exitCode, String(run.all)).toBe(0);
    const r = await bench(["check", out, "--against", "a", "--threshold", "0.1%"], {
      env: { ...env, GITHUB_ACTIONS: "true" },
    });
    // Five runs a side cannot resolve 0.1% on any real machine, so the gate must not pass, not
    // even when the pair comes out "faster" by chance. (A chance flag, exit 1, is the test's
    // false alarm at alpha, not a pass.)
    expect(r.exitCode, String(r.all)).not.toBe(0);
    expect([1, 3], String(r.all)).toContain(r.exitCode);
    const stdout = String(r.stdout);
    expect(stdout).toMatch(
      /^power: at alpha 0\.05 with 80% power these runs could see changes of ±/m,
    );
    if (r.exitCode === 3) {
      expect(stdout).toContain("check INCONCLUSIVE");
      const mde =
        /threadtest t1 tiny: (?:faster, )?inconclusive .*: could only see changes ≥ (\d+\.\d)%/.exec(
          stdout,
        );
      expect(mde, stdout).not.toBeNull();
      expect(Number(mde?.[1])).toBeGreaterThan(0.1);
      expect(stdout).toMatch(/^::warning title=mallocbench inconclusive::threadtest t1 tiny: /m);
    }
  }, 300_000);

  it("--until-decided adds interleaved rounds and stops once a clear slowdown and an A/A pair are decided", async () => {
    const out = path.join(dir, "pair.json");
    const run = await bench(
      [
        "run",
        "-w",
        "threadtest",
        "-a",
        "a,tiny,slow",
        "-t",
        "1",
        "-n",
        "3",
        "--warmup",
        "1",
        "--quick",
        // Pinned, as docs/ci.md recommends: unpinned single-thread runs on a small shared VM
        // are bimodal (±35% seen here), too wide to decide an A/A pair in a test's time.
        "--cpus",
        String(os.availableParallelism() - 1),
        "--config",
        config,
        "-o",
        out,
      ],
      { env },
    );
    expect(run.exitCode, String(run.all)).toBe(0);
    // tiny is an A/A pair at a 90% threshold (a test of the procedure, not of its power: the
    // power is docs/gate-calibration.md's; a threshold wide enough that a heavily loaded machine
    // still clears it); slow is about 3.8 times slower than a.
    const r = await bench(
      ["check", out, "--against", "a", "--until-decided", "--threshold", "90%", "--max-runs", "40"],
      { env },
    );
    expect(r.exitCode, String(r.all)).toBe(1);
    const stdout = String(r.stdout);
    expect(stdout).toMatch(
      /check FAILED: 1 regression\(s\) in seconds:\n {2}threadtest t1 slow: slower/,
    );
    expect(stdout).not.toContain("inconclusive:");
    const rounds = /--until-decided measured (\d+) interleaved round\(s\)/.exec(stdout);
    expect(rounds, stdout).not.toBeNull();
    // Decided before the last planned look: it stopped, it did not just run out of rounds.
    expect(Number(rounds?.[1])).toBeLessThan(40);
    expect(stdout).toMatch(/sequential look \d of 5: paired signed-rank/);
  }, 600_000);

  it("--until-decided refuses what it cannot do, before measuring anything", async () => {
    const file = path.join(dir, "tiny.json");
    const cases: [string[], RegExp][] = [
      [["check", file, "--baseline", file, "--until-decided"], /--until-decided needs --against/],
      [
        ["check", file, "--against", "a", "--max-runs", "20"],
        /--max-runs and --max-time bound --until-decided/,
      ],
      [
        ["check", file, "--against", "a", "--until-decided", "--max-runs", "5"],
        /--max-runs 5 is below the sequential gate's first look \(10 rounds\)/,
      ],
      [["check", file, "--against", "a", "--until-decided", "--confirm"], /drop --confirm/],
      [["check", file, "--against", "a", "--until-decided", "--max-time", "soon"], /--max-time/],
    ];
    for (const [args, pattern] of cases) {
      const r = await bench(args, { env });
      expect(r.exitCode, args.join(" ")).toBe(2);
      expect(String(r.stderr).trim().split("\n")).toHaveLength(1);
      expect(String(r.stderr)).toMatch(pattern);
    }
  });
});
