import { describe, expect, it } from "vitest";
import {
  compareAllocators,
  compareAllocatorsByMetric,
  compareResults,
  decideVerdict,
  inconclusiveRows,
  SequentialGate,
  type ComparisonReport,
  type ComparisonRow,
} from "../../../src/analysis/comparisons.js";
import { formatReport } from "../../../src/analysis/format.js";
import { metricInfo } from "../../../src/analysis/metrics.js";
import { testbedMismatch, testbedOf } from "../../../src/analysis/testbed.js";
import type { ResultsFile, RunRecord } from "../../../src/results/schema.js";
import { medianSamplingVariance, pairedRatioFromLogs } from "../../../src/stats/index.js";
import { asInvocations, okRun, resultsHeader, roundsFile } from "../../../testkit/records.js";

const seconds = metricInfo("seconds");
const options = { metric: seconds, alpha: 0.05, level: 0.95, threshold: 0.05 };

function results(samples: Record<string, number[]>): ResultsFile {
  return roundsFile(
    Object.fromEntries(
      Object.entries(samples).map(([a, v]) => [a, v.map((seconds) => ({ seconds }))]),
    ),
  );
}

// Deterministic samples with a clear 20% difference and little spread.
const base = [1.0, 1.01, 0.99, 1.02, 0.98, 1.0, 1.01, 0.99, 1.0, 1.02];
const slow = base.map((x) => x * 1.2);

describe("decideVerdict", () => {
  it("needs significance and the whole CI beyond the threshold", () => {
    expect(decideVerdict({ lower: 1.1, upper: 1.3 }, 0.01, options)).toBe("regressed");
    expect(decideVerdict({ lower: 1.1, upper: 1.3 }, 0.2, options)).toBe("same");
    expect(decideVerdict({ lower: 1.02, upper: 1.3 }, 0.01, options)).toBe("same");
    expect(decideVerdict({ lower: 0.7, upper: 0.9 }, 0.01, options)).toBe("improved");
  });
  it("reads direction from the metric: higher throughput is an improvement", () => {
    const throughput = { ...options, metric: metricInfo("opsPerSecond") };
    expect(decideVerdict({ lower: 1.1, upper: 1.3 }, 0.01, throughput)).toBe("improved");
    expect(decideVerdict({ lower: 0.7, upper: 0.9 }, 0.01, throughput)).toBe("regressed");
  });
});

describe("compareAllocators", () => {
  it("leaves planned skips out of the rows and lists them once per reason", () => {
    // larson has runs under glibc and jemalloc; musl's cell was skipped by the plan.
    const file = roundsFile(
      {
        glibc: base.map((seconds) => ({ seconds })),
        jemalloc: slow.map((seconds) => ({ seconds })),
      },
      {
        allocators: ["glibc", "jemalloc", "musl", "scudo-musl"],
        skipped: [
          { cell: "larson/musl/t1", reason: "program is linked against glibc" },
          { cell: "larson/scudo-musl/t1", reason: "program is linked against glibc" },
        ],
      },
    );
    const report = compareAllocators(file, "glibc", options);
    expect(report.rows.map((r) => r.allocator)).toEqual(["jemalloc"]);
    expect(report.notRun?.map((r) => [r.allocator, r.reason])).toEqual([
      ["musl", "program is linked against glibc"],
      ["scudo-musl", "program is linked against glibc"],
    ]);
    const text = formatReport(report, "text");
    expect(text).not.toMatch(/no successful runs/);
    expect(text).toMatch(
      /not run, as planned \(left out of the comparison\):\n {2}program is linked against glibc: larson \(under musl, scudo-musl at t1\)$/,
    );
    expect(formatReport(report, "markdown")).toMatch(
      /- program is linked against glibc: larson \(under musl, scudo-musl at t1\)$/,
    );
    // A skipped baseline leaves out every comparison with it.
    const noBase = compareAllocators(file, "musl", options);
    expect(noBase.rows).toEqual([]);
    expect(noBase.notRun).toHaveLength(3);
  });

  it("flags a 20% slower allocator, keeps an identical one the same, and corrects across both", () => {
    const report = compareAllocators(
      results({ glibc: base, slow, same: [...base].reverse() }),
      "glibc",
      options,
    );
    expect(report.rows).toHaveLength(2);
    const [slowRow, sameRow] = report.rows;
    expect(slowRow?.result).toMatchObject({ kind: "compared", verdict: "regressed" });
    if (slowRow?.result.kind === "compared") {
      expect(slowRow.result.ratio).toBeCloseTo(1.2, 2);
      expect(slowRow.result.adjustedP).toBeGreaterThanOrEqual(slowRow.result.p);
    }
    expect(sameRow?.result).toMatchObject({ kind: "compared", verdict: "same", ratio: 1 });
    expect(formatReport(report, "text")).toMatch(/larson\s+1\s+slow\s+glibc.*slower/);
    expect(report.summary.map((s) => s.allocator)).toEqual(["slow", "same"]);
  });

  it("says how many runs are needed when too few exist", () => {
    const report = compareAllocators(
      results({ glibc: [1, 1.1], slow: [2, 2.1] }),
      "glibc",
      options,
    );
    expect(report.rows[0]?.result).toMatchObject({ kind: "too-few-runs", runsNeeded: 4 });
    expect(formatReport(report, "text")).toContain("too few runs (need 4)");
  });

  it("escapes markdown from results files", () => {
    const report = compareAllocators(results({ glibc: base, "a|b": slow }), "glibc", options);
    expect(formatReport(report, "markdown")).toContain("a\\|b");
  });
});

describe("compareAllocatorsByMetric", () => {
  it("gives for each metric what compareAllocators gives", () => {
    const file = roundsFile({
      glibc: base.map((seconds, i) => ({ seconds, maxRssBytes: 1000 + (i % 3) })),
      slow: slow.map((seconds, i) => ({ seconds, maxRssBytes: 1100 + i })),
      same: [...base].reverse().map((seconds) => ({ seconds, maxRssBytes: 1000 })),
    });
    const metrics = [seconds, metricInfo("maxRssBytes"), metricInfo("opsPerSecond")];
    const { metric: _, ...rest } = options;
    const reports = compareAllocatorsByMetric(file, "glibc", metrics, rest);
    expect(reports).toHaveLength(3);
    metrics.forEach((metric, i) =>
      expect(reports[i]).toEqual(compareAllocators(file, "glibc", { ...options, metric })),
    );
  });
});

describe("compareResults and testbeds", () => {
  it("compares the same cell across two files", () => {
    const report = compareResults(results({ glibc: base }), results({ glibc: slow }), options);
    expect(report.rows[0]).toMatchObject({
      allocator: "glibc",
      against: "glibc (baseline)",
      result: { verdict: "regressed" },
    });
  });

  it("names what differs between testbeds", () => {
    const a = testbedOf(results({ glibc: base }));
    expect(testbedMismatch(a, a)).toBeNull();
    const other = { ...resultsHeader.environment, arch: "aarch64" };
    expect(testbedMismatch(a, testbedOf({ environment: other }))).toBe(
      "architecture x86_64 vs aarch64",
    );
    expect(
      testbedMismatch(a, testbedOf({ environment: { ...resultsHeader.environment, cores: 16 } })),
    ).toBe("2 vs 16 CPUs");
  });
});

describe("compareAllocators: runs paired by round", () => {
  // Every round has its own speed (the machine's regime: 0.6x to 1.9x), shared by both cells of
  // the round; the candidate is 5% slower than the baseline in every round, with a little jitter.
  const regime = [1.0, 1.9, 0.6, 1.4, 0.8, 1.7, 0.7, 1.2, 1.6, 0.9, 1.3, 1.1];
  const jitter = [
    1.004, 0.997, 1.002, 0.999, 1.003, 0.998, 1.001, 0.996, 1.0025, 1.0, 0.9985, 1.0035,
  ];
  const baseRounds = regime.map((r) => r * 0.1);
  const candRounds = regime.map((r, i) => r * 0.1 * 1.05 * (jitter[i] as number));
  const file = results({ base: baseRounds, cand: candRounds });
  const opts = { ...options, threshold: 0.01 };

  it("auto pairs 12 complete rounds and finds the 5% that the shared noise hides from the independent test", () => {
    const paired = compareAllocators(file, "base", opts).rows[0]?.result;
    expect(paired).toMatchObject({ kind: "compared", verdict: "regressed" });
    if (paired?.kind !== "compared") throw new Error("not compared");
    expect(paired.method).toMatch(/^paired signed-rank, 12 rounds \(exact\)/);
    expect(paired.lower).toBeGreaterThan(1.01);
    expect(paired.ratio).toBeCloseTo(1.05, 2);
    const independent = compareAllocators(file, "base", { ...opts, pairing: "independent" }).rows[0]
      ?.result;
    expect(independent).toMatchObject({ kind: "compared", verdict: "same" });
    if (independent?.kind === "compared") expect(independent.method).not.toMatch(/paired/);
  });

  it("auto stays independent below 10 rounds; paired then says how many rounds it needs", () => {
    const few = results({ base: baseRounds.slice(0, 5), cand: candRounds.slice(0, 5) });
    const auto = compareAllocators(few, "base", opts).rows[0]?.result;
    expect(auto?.kind).toBe("compared");
    if (auto?.kind === "compared") expect(auto.method).not.toMatch(/paired/);
    expect(
      compareAllocators(few, "base", { ...opts, pairing: "paired" }).rows[0]?.result,
    ).toMatchObject({
      kind: "too-few-runs",
      runsNeeded: 6,
    });
  });

  it("reads the rounds in any order and leaves out a round a cell measured twice", () => {
    const shuffled = results({ base: baseRounds, cand: candRounds });
    const again = shuffled.runs.find((r) => r.allocator === "cand" && r.round === 4);
    if (!again) throw new Error("no round 4");
    shuffled.runs = [...shuffled.runs.reverse(), { ...again, key: `${again.key}-again` }];
    const r = compareAllocators(shuffled, "base", opts).rows[0]?.result;
    if (r?.kind !== "compared") throw new Error("not compared");
    expect(r.method).toMatch(/11 rounds/);
    const kept = (v: number[]) => v.filter((_, i) => i !== 4);
    const expected = pairedRatioFromLogs(kept(candRounds), kept(baseRounds), { level: 0.95 });
    expect([r.ratio, r.lower, r.upper, r.p]).toEqual([
      expected.ratio,
      expected.lower,
      expected.upper,
      expected.p,
    ]);
  });

  it("pairs only rounds both cells completed", () => {
    const gappy = results({ base: baseRounds, cand: candRounds });
    gappy.runs = gappy.runs.filter((r) => !(r.allocator === "cand" && r.round === 3));
    const r = compareAllocators(gappy, "base", opts).rows[0]?.result;
    if (r?.kind !== "compared") throw new Error("not compared");
    expect(r.method).toMatch(/11 rounds/);
  });
});

describe("inconclusiveRows", () => {
  const cell = { n: 10, median: 1, medianLower: 0.9, medianUpper: 1.1, cv: 0.1 };
  const row = (ratio: number, lower: number, upper: number, verdict = "same"): ComparisonRow => ({
    workload: "larson",
    threads: 1,
    allocator: "cand",
    against: "base",
    candidate: cell,
    baseline: cell,
    result: {
      kind: "compared",
      ratio,
      lower,
      upper,
      p: 0.5,
      adjustedP: 0.5,
      method: "test",
      verdict: verdict as "same",
    },
  });
  const report = (rows: ComparisonRow[], metric = seconds): ComparisonReport => ({
    metric,
    alpha: 0.05,
    level: 0.95,
    threshold: 0.05,
    rows,
    summary: [],
  });

  it("a pass whose CI reaches past the threshold is inconclusive, with the runs that would clear it", () => {
    // Half-width (ln 1.09 - ln 0.95) / 2 = 0.06869; room ln 1.05 - ln 1 = 0.04879;
    // 10 * (0.06869 / 0.04879)^2 = 19.8 -> 20 runs.
    const [u] = inconclusiveRows(report([row(1, 0.95, 1.09)]));
    expect(u?.runsToClear).toBe(20);
  });

  it("a CI inside the threshold clears the cell; flagged cells are not inconclusive", () => {
    expect(inconclusiveRows(report([row(1, 0.97, 1.04)]))).toEqual([]);
    expect(inconclusiveRows(report([row(1.2, 1.1, 1.3, "regressed")]))).toEqual([]);
  });

  it("an estimate already past the threshold cannot be cleared by more runs", () => {
    const [u] = inconclusiveRows(report([row(1.06, 0.9, 1.25)]));
    expect(u?.runsToClear).toBeNull();
  });

  it("a cell whose MDE exceeds the threshold is inconclusive even when its CI stays inside", () => {
    const blind = row(0.95, 0.9, 1.04);
    if (blind.result.kind !== "compared") throw new Error("not compared");
    blind.result.mde = 0.08;
    const [u] = inconclusiveRows(report([blind]));
    expect(u?.reason).toBe("power");
    expect(u?.mde).toBe(0.08);
    // Power: 10 * (ln 1.08 / ln 1.05)^2 = 24.9; interval: half-width (ln 1.04 - ln 0.9) / 2 =
    // 0.07227, room ln 1.05 - ln 0.95 = 0.10008, 10 * (0.07227 / 0.10008)^2 = 5.2 -> 25 runs.
    expect(u?.runsToClear).toBe(25);
    // The same cell with an MDE within the threshold and its CI inside is cleared.
    blind.result.mde = 0.04;
    expect(inconclusiveRows(report([blind]))).toEqual([]);
  });

  it("a significant improvement passes only if its MDE is within the threshold or it is at least the MDE", () => {
    // An A/A pair with few noisy runs can come out "faster" by chance: that is not a pass.
    const faster = row(0.99, 0.978, 0.994, "improved");
    if (faster.result.kind !== "compared") throw new Error("not compared");
    faster.result.mde = 0.012;
    const tight = { ...report([faster]), threshold: 0.001 };
    const [u] = inconclusiveRows(tight);
    expect(u?.reason).toBe("power");
    expect(u?.mde).toBe(0.012);
    // A clear improvement measured with an MDE within the threshold passes.
    expect(inconclusiveRows({ ...tight, threshold: 0.05 })).toEqual([]);
    // So does one at least as large as its MDE: 0.7x with an MDE of 20% is not noise.
    const large = row(0.7, 0.6, 0.8, "improved");
    if (large.result.kind !== "compared") throw new Error("not compared");
    large.result.mde = 0.2;
    expect(inconclusiveRows(report([large]))).toEqual([]);
  });

  it("one notion: an MDE within the threshold but a CI reaching past it is inconclusive by interval", () => {
    const near = row(1.03, 1.0, 1.07);
    if (near.result.kind !== "compared") throw new Error("not compared");
    near.result.mde = 0.045;
    const [u] = inconclusiveRows(report([near]));
    expect(u?.reason).toBe("interval");
  });

  it("reads the bad direction from the metric: for throughput a low CI bound is the risk", () => {
    const throughput = metricInfo("opsPerSecond");
    expect(inconclusiveRows(report([row(1, 0.93, 1.2)], throughput))).toHaveLength(1);
    expect(inconclusiveRows(report([row(1, 0.97, 1.2)], throughput))).toEqual([]);
  });
});

describe("SequentialGate", () => {
  // Rounds of two interleaved allocators, with a deterministic wobble shared within each round.
  const plan = {
    ...resultsHeader.plan,
    workloads: ["larson"],
    allocators: ["a", "b"],
    threads: [1],
  };
  const runsOf = (rounds: number, ratio: (round: number) => number): RunRecord[] =>
    Array.from({ length: rounds }, (_, round) => {
      const wobble = 1 + 0.05 * Math.sin(round * 1.7);
      const seconds = 1 * wobble;
      return ["a", "b"].map((allocator) =>
        okRun({
          key: `larson/${allocator}/t1#r${round}`,
          allocator,
          round,
          metrics: {
            ...okRun().metrics,
            seconds: allocator === "a" ? seconds : seconds * ratio(round),
            wallSeconds: 10,
          },
        }),
      );
    }).flat();
  const opts = { metric: seconds, alpha: 0.05, level: 0.95, threshold: 0.05 };

  it("decides a clear slowdown at the first look and closes its cells", () => {
    const gate = new SequentialGate(plan, "a", opts, 10, 40);
    const early = gate.update(runsOf(9, () => 1.3));
    expect(early.open.sort()).toEqual(["larson/a/t1", "larson/b/t1"]);
    expect(early.report.rows[0]?.result.kind).toBe("too-few-runs");
    const state = gate.update(runsOf(10, (r) => 1.3 + 0.01 * Math.cos(r)));
    expect(state.open).toEqual([]);
    const r = state.report.rows[0]?.result;
    expect(r?.kind === "compared" && r.verdict).toBe("regressed");
    expect(r?.kind === "compared" && r.method).toMatch(/sequential look 1 of 5/);
  });

  it("clears an A/A pair once its interval and MDE are within the threshold", () => {
    const gate = new SequentialGate(plan, "a", opts, 10, 40);
    const state = gate.update(runsOf(10, (r) => 1 + 0.002 * Math.sin(r * 2.3)));
    expect(state.open).toEqual([]);
    expect(inconclusiveRows(state.report)).toEqual([]);
  });

  it("keeps a noisy pair open until the last look, then it is inconclusive", () => {
    const gate = new SequentialGate(plan, "a", opts, 10, 15);
    const noisy = (r: number): number => 1 + 0.2 * Math.sin(r * 2.3);
    expect(gate.update(runsOf(10, noisy)).open).toHaveLength(2);
    const state = gate.update(runsOf(15, noisy));
    expect(state.open).toEqual([]);
    const [u] = inconclusiveRows(state.report);
    expect(u?.reason).toBe("power");
    expect(u?.row.result.kind === "compared" && u.row.result.method).toMatch(/look 2 of 2/);
  });
});

describe("compareResults across invocations: the floor from the runs' own noise", () => {
  // Five baseline invocations whose medians agree to 0.1% by chance, each of runs spread ±3%.
  const spreadRuns = [0.97, 0.98, 0.99, 0.995, 1.0, 1.0, 1.005, 1.01, 1.02, 1.03];
  const baseline = asInvocations(
    results({ glibc: spreadRuns }),
    [1.0, 1.001, 0.999, 1.0005, 0.9995],
  );

  it("does not call a drift of 1.5% a change when the medians agree more closely than their runs allow", () => {
    const drifted = results({ glibc: spreadRuns.map((v) => v * 1.015) });
    const [row] = compareResults(baseline, drifted, { ...options, threshold: 0.01 }).rows;
    const r = row?.result;
    expect(r?.kind).toBe("compared");
    if (r?.kind !== "compared") return;
    expect(r.verdict).toBe("same");
    expect(r.p).toBeGreaterThan(0.05);
    expect(r.method).toMatch(/the runs' own noise in each median; the medians alone spread ±0\.1%/);
    // The floor is the median's sampling SD: sqrt(pi/(2n)) * 1.4826 * MAD of the log runs.
    expect(r.between?.spread).toBeGreaterThan(0.005);
    expect(r.between?.floored).toBe(true);
  });

  it("still flags a change well beyond that noise", () => {
    const slower = results({ glibc: spreadRuns.map((v) => v * 1.2) });
    const [row] = compareResults(baseline, slower, options).rows;
    expect(row?.result.kind === "compared" && row.result.verdict).toBe("regressed");
  });

  it("takes the floor from the invocations whose runs can tell: one run says nothing", () => {
    const single = results({ glibc: [1.0] });
    const [row] = compareResults(baseline, single, options).rows;
    const r = row?.result;
    // The floor is the five baseline invocations' own: the one-run invocation adds no zero.
    const own = medianSamplingVariance(spreadRuns.map((v) => Math.log(v))) as number;
    const logsAt = (scale: number): number[] => spreadRuns.map((v) => Math.log(v * scale));
    const mean =
      [1.0, 1.001, 0.999, 1.0005, 0.9995]
        .map((k) => medianSamplingVariance(logsAt(k)) as number)
        .reduce((a, b) => a + b, 0) / 5;
    expect(mean).toBeCloseTo(own, 12);
    expect(r?.kind === "compared" && r.between?.spread).toBeCloseTo(Math.sqrt(own), 12);
  });

  it("uses the medians' own spread when it is the larger", () => {
    const wide = asInvocations(results({ glibc: spreadRuns }), [1.0, 1.08, 0.93, 1.05, 0.96]);
    const [row] = compareResults(wide, results({ glibc: spreadRuns }), options).rows;
    const r = row?.result;
    expect(r?.kind === "compared" && r.method).not.toMatch(/own noise/);
    expect(r?.kind === "compared" && r.between?.floored).toBeUndefined();
  });
});
