/**
 * The gate's statistics on synthetic runs (no processes, no timing): how honest the stated MDE is,
 * and the sequential gate's false-alarm rate. Log-normal run times, a known true ratio.
 *
 *   npx tsx perf/simulate-gate.ts mde          # stated MDE vs detected, independent and paired
 *   npx tsx perf/simulate-gate.ts sequential   # --until-decided at true ratios 1, 1.05, 1.1
 *   SIM_TRIALS=1000 (trials per row)
 */
import { compareAllocators, SequentialGate, decideVerdict } from "../src/analysis/comparisons.js";
import { metricInfo } from "../src/analysis/metrics.js";
import { okRun, resultsHeader } from "../testkit/records.js";
import type { ResultsFile, RunRecord } from "../src/results/schema.js";
let seed = 12345;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return (seed + 0.5) / 2147483648;
};
const gauss = () => Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
const metric = metricInfo("seconds");
const plan = {
  ...resultsHeader.plan,
  workloads: ["larson"],
  allocators: ["a", "b"],
  threads: [1],
  runs: 10,
};
function runs(n: number, effect: number, sigma: number, from = 0, shared = 0): RunRecord[] {
  const out: RunRecord[] = [];
  for (let round = from; round < from + n; round++) {
    const common = shared * gauss();
    for (const allocator of ["a", "b"]) {
      const seconds = Math.exp(
        common + sigma * gauss() + (allocator === "b" ? Math.log1p(effect) : 0),
      );
      out.push(
        okRun({
          key: `larson/${allocator}/t1#r${round}`,
          allocator,
          round,
          metrics: { ...okRun().metrics, seconds, wallSeconds: 100 },
        }),
      );
    }
  }
  return out;
}
const mode = process.argv[2];
if (mode === "mde") {
  for (const pairing of ["independent", "paired"] as const)
    for (const n of [10, 20]) {
      let above = 0,
        aboveDet = 0,
        below = 0,
        belowDet = 0;
      const mdes: number[] = [];
      for (const effect of [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08])
        for (let t = 0; t < Number(process.env["SIM_TRIALS"] ?? 300); t++) {
          const file = {
            ...resultsHeader,
            plan,
            finishedAt: null,
            complete: true,
            warnings: [],
            runs: runs(n, effect, 0.04),
          } as ResultsFile;
          const r = compareAllocators(file, "a", {
            metric,
            alpha: 0.05,
            level: 0.95,
            threshold: 0,
            pairing,
          }).rows[0]!.result;
          if (r.kind !== "compared") continue;
          const det =
            decideVerdict(r, r.adjustedP, { alpha: 0.05, threshold: 0, metric }) === "regressed";
          mdes.push(r.mde!);
          if (effect >= r.mde!) {
            above++;
            if (det) aboveDet++;
          } else {
            below++;
            if (det) belowDet++;
          }
        }
      mdes.sort((x, y) => x - y);
      console.log(
        `${pairing} n=${n} sigma=4%: median MDE ${(mdes[mdes.length >> 1]! * 100).toFixed(1)}%; effect >= stated MDE: ${aboveDet}/${above} = ${((100 * aboveDet) / above).toFixed(0)}% detected; below: ${belowDet}/${below} = ${((100 * belowDet) / below).toFixed(0)}%`,
      );
    }
} else {
  for (const effect of [0, 0.05, 0.1]) {
    let flagged = 0,
      cleared = 0,
      open = 0;
    const used: number[] = [];
    const trials = Number(process.env["SIM_TRIALS"] ?? 1000);
    for (let t = 0; t < trials; t++) {
      const gate = new SequentialGate(
        plan,
        "a",
        { metric, alpha: 0.05, level: 0.95, threshold: 0.05 },
        10,
        60,
      );
      let all = runs(10, effect, 0.06, 0, 0.05);
      let state = gate.update(all);
      while (state.open.length > 0) {
        all = all.concat(runs(1, effect, 0.06, all.length / 2, 0.05));
        state = gate.update(all);
      }
      const r = state.report.rows[0]!.result;
      used.push(all.length / 2);
      if (r.kind === "compared" && r.verdict === "regressed") flagged++;
      else if (
        state.report.rows[0] &&
        r.kind === "compared" &&
        r.method.includes(`look 6 of 6`) &&
        r.verdict === "same"
      )
        open++;
      else cleared++;
    }
    used.sort((x, y) => x - y);
    console.log(
      `sequential, true ratio ${1 + effect}, threshold 5%, per-run sd 6% plus 5% shared by a round: flagged ${flagged}/${trials}, cleared ${cleared}, undecided-or-last-look ${open}; median rounds ${used[trials >> 1]}`,
    );
  }
}
