import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { writeJsonAtomic } from "../../../src/results/io.js";
import type { ResultsFile } from "../../../src/results/schema.js";
import { bench, tempDir } from "../../helpers/cli.js";
import { asInvocations, okRun, resultsHeader } from "../../../testkit/records.js";

/** Results files written by hand: these tests are about what check refuses, not about timing. */
function results(values: number[], size: "quick" | "default" = "quick"): ResultsFile {
  return {
    ...resultsHeader,
    plan: { ...resultsHeader.plan, size },
    finishedAt: null,
    complete: true,
    warnings: [],
    runs: values.map((seconds, round) =>
      okRun({
        key: `larson/glibc/t1#r${round}`,
        round,
        size,
        metrics: { ...okRun().metrics, seconds, wallSeconds: seconds + 0.01 },
      }),
    ),
  };
}

describe("bench check refuses what cannot be decided", () => {
  it("too few runs to ever reach alpha is exit 2, not a silent pass", async () => {
    const dir = await tempDir();
    const [a, b] = [path.join(dir, "a.json"), path.join(dir, "b.json")];
    await writeJsonAtomic(a, results([1, 1.01, 0.99]));
    await writeJsonAtomic(b, results([1.5, 1.52, 1.49]));
    const summary = path.join(dir, "summary.md");
    const r = await bench(["check", b, "--baseline", a], {
      env: { GITHUB_STEP_SUMMARY: summary },
    });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr).trim()).toBe(
      "bench: 1 cell(s) have too few runs to ever reach alpha 0.05: measure at least 4 runs per cell (bench run -n 4) in both files",
    );
    // Nothing before the refusal may read as a verdict.
    expect(String(r.stdout)).not.toMatch(/check passed|check INCONCLUSIVE|check FAILED/);
    expect(await readFile(summary, "utf8")).toMatch(
      /^## mallocbench check not decided: 1 cell\(s\) have too few runs/,
    );
  });

  it("different workload sizes are refused", async () => {
    const dir = await tempDir();
    const [a, b] = [path.join(dir, "a.json"), path.join(dir, "b.json")];
    await writeJsonAtomic(a, results([1, 1, 1, 1, 1], "quick"));
    await writeJsonAtomic(b, results([1, 1, 1, 1, 1], "default"));
    const r = await bench(["check", b, "--baseline", a]);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/ran workloads at size default and the baseline .* at quick/);
  });

  it("bad --threshold, unknown --metric, a missing baseline and impossible --pairing", async () => {
    const dir = await tempDir();
    const a = path.join(dir, "a.json");
    await writeJsonAtomic(a, results([1, 1, 1, 1, 1]));
    const cases: [string[], RegExp][] = [
      [
        ["check", a, "--baseline", a, "--threshold", "lots"],
        /--threshold: "lots" is not a fraction/,
      ],
      [
        ["check", a, "--baseline", a, "--metric", "speed"],
        /--metric: unknown metric "speed" \(valid: seconds, /,
      ],
      [["check", a, "--baseline", path.join(dir, "none")], /--baseline: .*none does not exist/],
      [
        ["check", a, "--against", "glibc", "--pairing", "sometimes"],
        /--pairing: "sometimes" is not one of auto, paired, independent/,
      ],
      [
        ["check", a, "--baseline", a, "--pairing", "paired"],
        /--pairing paired needs --against: runs of two invocations \(--baseline\) cannot be paired/,
      ],
      [["compare", a, a, "--pairing", "paired"], /--pairing paired needs one results file/],
    ];
    for (const [args, pattern] of cases) {
      const r = await bench(args);
      expect(r.exitCode, args.join(" ")).toBe(2);
      expect(String(r.stderr).trim().split("\n")).toHaveLength(1);
      expect(String(r.stderr)).toMatch(pattern);
    }
  });
});

describe("bench check says when a pass rules nothing out", () => {
  it("a noisy A/A is inconclusive (exit 3), with its power and the runs that would settle it", async () => {
    const dir = await tempDir();
    const [a, b, c] = [
      path.join(dir, "a.json"),
      path.join(dir, "b.json"),
      path.join(dir, "c.json"),
    ];
    const noisy = [1.0, 1.12, 0.9, 1.06, 0.95, 1.2, 0.85, 1.01, 1.1, 0.92];
    await writeJsonAtomic(a, results(noisy));
    await writeJsonAtomic(b, results([...noisy].reverse()));
    const r = await bench(["check", b, "--baseline", a], { env: { GITHUB_ACTIONS: "true" } });
    expect(r.exitCode, String(r.all)).toBe(3);
    expect(String(r.stdout)).toContain("check INCONCLUSIVE");
    // One invocation per side: the verdict says their drift cannot be estimated, and what to do.
    expect(String(r.stdout)).toMatch(
      /^note: baseline and current are separate invocations: the drift between invocations is not in these CIs, and the variance between invocations cannot be estimated from one invocation per side.*use --against <allocator>/m,
    );
    expect(String(r.stdout)).not.toContain("check passed");
    expect(String(r.stdout)).toMatch(
      /^power: at alpha 0\.05 with 80% power these runs could see changes of ±\d+\.\d%/m,
    );
    expect(String(r.stdout)).toMatch(
      /inconclusive: 1 cell\(s\) not flagged, but a change of \+5\.0% is not ruled out[^\n]*\n {2}larson t1 glibc: inconclusive .*MDE ±\d+\.\d%: the variance between invocations cannot be estimated from one invocation per side \(save the baseline from several invocations \(bench baseline save --add/,
    );
    expect(String(r.stdout)).toMatch(
      /^::warning title=mallocbench inconclusive::larson t1 glibc: .*cannot be estimated from one invocation per side: save the baseline from several invocations/m,
    );

    // Steady runs: one invocation per side still cannot pass; a baseline of three can.
    const steady = [1.0, 1.001, 0.999, 1.002, 0.998, 1.0005, 0.9995, 1.0015, 0.9985, 1.0];
    await writeJsonAtomic(c, results(steady));
    const alone = await bench(["check", c, "--baseline", c]);
    expect(alone.exitCode, String(alone.all)).toBe(3);
    const d = path.join(dir, "d.json");
    await writeJsonAtomic(d, asInvocations(results(steady), [0.998, 1.0, 1.002]));
    const clear = await bench(["check", c, "--baseline", d]);
    expect(clear.exitCode, String(clear.all)).toBe(0);
    expect(String(clear.stdout)).toContain("check passed");
    expect(String(clear.stdout)).toMatch(/compared invocation by invocation/);
    expect(String(clear.stdout)).not.toContain("inconclusive");
    expect(String(clear.stdout)).not.toContain("--confirm");

    // A regression against several invocations, unconfirmed: the note says how to confirm it.
    const e = path.join(dir, "e.json");
    await writeJsonAtomic(e, results(steady.map((v) => v * 1.3)));
    const slower = await bench(["check", e, "--baseline", d]);
    expect(slower.exitCode, String(slower.all)).toBe(1);
    expect(String(slower.stdout)).toMatch(
      /^note: a regression between separate invocations can be a slow period of the host during the current invocation; add --confirm/m,
    );

    // Noisy runs whose invocation medians agree by chance: the runs' own noise sets the spread,
    // and more runs per invocation would narrow it.
    const f = path.join(dir, "f.json");
    await writeJsonAtomic(f, asInvocations(results(noisy), [0.999, 1.0, 1.001]));
    // Twice as fast against that baseline: its MDE exceeds the threshold, but an improvement
    // larger than the MDE is not noise, and the check says why it passes.
    const faster = path.join(dir, "faster.json");
    await writeJsonAtomic(faster, results(noisy.map((v) => v / 2)));
    const fast = await bench(["check", faster, "--baseline", f]);
    expect(fast.exitCode, String(fast.all)).toBe(0);
    expect(String(fast.stdout)).toContain(
      "every cell ruled one out (1 by an improvement larger than its minimum detectable effect)",
    );
    const floored = await bench(["check", b, "--baseline", f]);
    expect(floored.exitCode, String(floored.all)).toBe(3);
    expect(String(floored.stdout)).toMatch(
      /the spread between invocations is ±\d+\.\d%, the runs' own noise in each invocation's median: more runs per invocation or more baseline invocations/,
    );
  });

  it("the step summary says inconclusive too, with the power line", async () => {
    const dir = await tempDir();
    const [a, b, summary] = ["a.json", "b.json", "summary.md"].map((f) => path.join(dir, f));
    const noisy = [1.0, 1.12, 0.9, 1.06, 0.95, 1.2, 0.85, 1.01, 1.1, 0.92];
    await writeJsonAtomic(a as string, results(noisy));
    await writeJsonAtomic(b as string, results([...noisy].reverse()));
    const r = await bench(["check", b as string, "--baseline", a as string], {
      env: { GITHUB_STEP_SUMMARY: summary as string },
    });
    expect(r.exitCode, String(r.all)).toBe(3);
    const text = await readFile(summary as string, "utf8");
    expect(text).toMatch(/^## mallocbench check inconclusive: 1 cell\(s\) could not rule out/m);
    expect(text).toMatch(/^power: at alpha 0\.05 with 80% power/m);
    expect(text).toMatch(/\| MDE \| verdict \|/);
    expect(text).toMatch(/\| ±\d+\.\d% \| inconclusive \|/);
  });

  it("bench compare states the MDE of every compared cell, in every format", async () => {
    const dir = await tempDir();
    const [a, b] = [path.join(dir, "a.json"), path.join(dir, "b.json")];
    const noisy = [1.0, 1.12, 0.9, 1.06, 0.95, 1.2, 0.85, 1.01, 1.1, 0.92];
    await writeJsonAtomic(a, results(noisy));
    await writeJsonAtomic(b, results(noisy.map((x) => x * 1.5)));
    const text = await bench(["compare", a, b]);
    expect(text.exitCode, String(text.all)).toBe(0);
    expect(String(text.stdout)).toMatch(
      /MDE: smallest change detectable at alpha 0\.05 with 80% power/,
    );
    expect(String(text.stdout)).toMatch(/larson\s+1\s+glibc\s+.*±\d+\.\d%\s+slower/);
    const csv = await bench(["compare", a, b, "--format", "csv"]);
    expect(String(csv.stdout).split("\n")[0]).toMatch(/,p_adjusted,mde,verdict$/);
    const json = await bench(["compare", a, b, "--format", "json"]);
    const report = JSON.parse(String(json.stdout)) as { rows: { result: { mde: number } }[] };
    expect(report.rows[0]?.result.mde).toBeGreaterThan(0);
  });
});
