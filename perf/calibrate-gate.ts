/**
 * npm run perf:gate — how the CI gate behaves on this machine.
 *
 * For n = 5, 10, 20 runs per cell, repeat R times (a "trial"): measure the slowdown shim with 0
 * spins as the baseline and, as the current side, the shim with the spins that inject 0% (A/A),
 * 2%, 5% and 10%, then apply `bench check`'s decision (a test after Benjamini-Hochberg, and the
 * whole 95% ratio CI beyond the threshold). Reports the false-alarm rate (A/A flagged), the
 * detection rate per slowdown and the slowdown actually measured (median ratio of its trials).
 *
 * Two modes, as a CI job can measure:
 * - separate: baseline and current are separate invocations (`bench check --baseline file`).
 *   A chain of invocations per run count: at each step one A invocation (0 spins) and one
 *   invocation per slowdown; each is checked against a baseline of the GATE_INVOCATIONS A
 *   invocations before it (`bench baseline save --add --keep K`: the invocation-level test), and
 *   against the single A invocation before it (one invocation per side: the run-level test);
 *   then the step's A invocation joins the rolling baseline. A flagged invocation is measured
 *   again and checked against the same baseline (`--confirm`); the same invocations are also
 *   decided without the floor from the runs' own noise. Trials of one chain share baseline
 *   invocations, as the checks of a CI job with a rolling baseline do.
 * - interleaved: both in one invocation, runs interleaved (`bench check --against allocator`).
 *   Its decision is the default one (pairing "auto": runs of a round are paired from 10 rounds
 *   on); the table also shows what the independent test would have said on the same runs.
 *
 * Environment:
 * - sequential: interleaved, rounds added until decided (`bench check --against allocator
 *   --until-decided --max-runs GATE_MAX_RUNS`, default 60): the verdict and the rounds it took.
 *
 *   GATE_MODE      separate | interleaved | sequential (default all three)
 *   GATE_REPS      trials per row (default 20)
 *   GATE_CPUS      CPUs to run trials on, comma-separated: one stream of trials per CPU, each
 *                  pinned to its CPU (default: the last CPU; "" leaves runs unpinned, one stream).
 *                  Choose CPUs of different cores when the machine has SMT.
 *   GATE_RUNS      runs per cell to calibrate, comma-separated (default 5,10,20)
 *   GATE_WORKLOAD  (threadtest), GATE_SIZE (quick), GATE_THRESHOLD (0.01), GATE_ALPHA (0.05)
 *   GATE_INVOCATIONS  baseline invocations of the separate mode (default 5)
 *   GATE_PER_SPIN  the cost of one spin as a fraction of the run, instead of the fit (e.g. 0.0014)
 *   GATE_OUT       directory for the tables (gate-calibration.md) and every trial (trials.json);
 *                  default a new temporary directory
 */
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { median } from "simple-statistics";
import {
  compareAllocators,
  compareResults,
  decideCountedVerdict,
  decideVerdict,
  inconclusiveRow,
  PAIRED_MIN_PAIRS,
  SequentialGate,
  type ComparisonResult,
} from "../src/analysis/comparisons.js";
import { measuredValue, metricInfo } from "../src/analysis/metrics.js";
import { parseAllocatorArg } from "../src/allocators/index.js";
import type { Size } from "../src/config.js";
import { addInvocation } from "../src/results/invocations.js";
import { pooledTTest } from "../src/stats/invocations.js";
import type { ResultsFile } from "../src/results/schema.js";
import { runBenchmark, type RunOptions } from "../src/run/runner.js";
import { buildFixtureLib } from "../testkit/fixture-lib.js";

type Mode = "separate" | "interleaved" | "sequential" | "exact";

const REPS = Number(process.env["GATE_REPS"] ?? 20);
const WORKLOAD = process.env["GATE_WORKLOAD"] ?? "threadtest";
const SIZE = (process.env["GATE_SIZE"] ?? "quick") as Size;
const THRESHOLD = Number(process.env["GATE_THRESHOLD"] ?? 0.01);
const ALPHA = Number(process.env["GATE_ALPHA"] ?? 0.05);
const MODES: Mode[] =
  process.env["GATE_MODE"] === "separate" ||
  process.env["GATE_MODE"] === "interleaved" ||
  process.env["GATE_MODE"] === "sequential" ||
  process.env["GATE_MODE"] === "exact"
    ? [process.env["GATE_MODE"]]
    : ["separate", "interleaved", "sequential", "exact"];
/** The exact mode: instruction changes injected, trials per change (GATE_EXACT_REPS, default 5). */
const EXACT_CHANGES = [0.005, 0.01];
const EXACT_REPS = Number(process.env["GATE_EXACT_REPS"] ?? 5);
const EXACT_TOLERANCES = [0.001, 0.0025, 0.005];
/** Most rounds of the sequential gate (its --max-runs); its trials ignore GATE_RUNS. */
const MAX_RUNS = Number(process.env["GATE_MAX_RUNS"] ?? 60);
/** Pinned by default: unpinned single-thread runs on a 2-vCPU VM were bimodal (0.09 s or 0.15 s). */
const STREAM_CPUS: (string | null)[] =
  process.env["GATE_CPUS"] === ""
    ? [null]
    : (process.env["GATE_CPUS"] ?? String(os.availableParallelism() - 1))
        .split(",")
        .map((c) => c.trim())
        .filter(Boolean);
const RUNS = (process.env["GATE_RUNS"] ?? "5,10,20").split(",").map(Number);
const SLOWDOWNS = [0, 0.02, 0.05, 0.1];
const INVOCATIONS = Number(process.env["GATE_INVOCATIONS"] ?? 5);
const EVERY = "10";

let dir = "";
let shim = "";
let counter = 0;

async function measure(
  allocators: Record<string, Record<string, string>>,
  runs: number,
  cpu: string | null,
  sequential?: RunOptions["sequential"],
  exact?: { seed: number },
): Promise<ResultsFile> {
  const n = counter++;
  const outcome = await runBenchmark({
    workloads: [WORKLOAD],
    allocators: Object.keys(allocators),
    userAllocators: Object.entries(allocators).map(([name, env]) => ({
      ...parseAllocatorArg(`${name}=${shim}`),
      env,
    })),
    threads: [1],
    preset: SIZE,
    size: SIZE,
    runs,
    // Counted runs are deterministic: no warm-up, and the seed a CI job fixes (--seed).
    warmup: exact ? 0 : 1,
    seed: exact ? exact.seed : 1 + n,
    ...(exact ? { measure: "instructions" as const } : {}),
    timeoutMs: 120_000,
    cpus: cpu,
    rssIntervalMs: 0,
    output: path.join(dir, `r${n}.json`),
    workloadDirs: [],
    // One lock per stream: streams on different CPUs run at the same time on purpose.
    lockFile: path.join(dir, `lock-${cpu ?? "any"}`),
    ...(sequential ? { sequential } : {}),
  });
  return outcome.results;
}

/** The second metric every trial is also decided on: CPU time, the candidate narrower spread. */
const CPU_METRIC = "userSeconds";

const OPTIONS = (
  pairing: "auto" | "independent" = "auto",
  metric: "seconds" | typeof CPU_METRIC = "seconds",
) => ({
  metric: metricInfo(metric),
  alpha: ALPHA,
  level: 0.95,
  threshold: THRESHOLD,
  pairing,
});

type Compared = Extract<ComparisonResult, { kind: "compared" }>;

function only(result: ComparisonResult | undefined): Compared {
  if (!result || result.kind !== "compared")
    throw new Error(`no comparison: ${JSON.stringify(result)}`);
  return result;
}

/** One decision of a trial: the default one, and (interleaved) the independent test's. */
interface Decision {
  result: Compared;
  user?: Compared;
  independent?: Compared;
  rounds?: number;
}

interface Trial {
  mode: Mode;
  runs: number;
  slowdown: number;
  cpu: string | null;
  ratio: number;
  lower: number;
  upper: number;
  p: number;
  method: string;
  flagged: boolean;
  confirmed: boolean;
  independentFlagged?: boolean;
  independentConfirmed?: boolean;
  /** Separate: what the run-level test said against one baseline invocation (the old gate). */
  singleFlagged?: boolean;
  /** Separate: the invocation-level test on the same invocations without the runs' floor. */
  unflooredFlagged?: boolean;
  singleVerdict?: GateVerdict;
  /** ... and whether it called the current side faster (exit 3 now: the drift is unknown). */
  singleImproved?: boolean;
  /** bench check's verdict for the cell (exit 1, 3, 0): regressed, inconclusive, or pass. */
  verdict: GateVerdict;
  /** The minimum detectable effect the verdict stated (relative change, e.g. 0.03). */
  mde: number | null;
  /** A change from 1 at all: adjusted p < alpha and the CI excludes 1 (the MDE's own test). */
  detected: boolean;
  /** The same runs decided on user CPU time (userSeconds) instead of seconds. */
  user?: { ratio: number; flagged: boolean; verdict: GateVerdict; mde: number | null };
  /** Sequential: the rounds measured before it stopped. */
  rounds?: number;
}

type GateVerdict = "regressed" | "inconclusive" | "pass";

/** What bench check says about one compared cell, with its stated MDE. */
function gateVerdict(
  result: Compared,
  metricName: "seconds" | typeof CPU_METRIC = "seconds",
): Pick<Trial, "verdict" | "mde" | "detected"> {
  const metric = metricInfo(metricName);
  const row = {
    workload: WORKLOAD,
    threads: 1,
    allocator: "cand",
    against: "base",
    candidate: null,
    baseline: null,
    result,
  };
  const verdict: GateVerdict =
    result.verdict === "regressed"
      ? "regressed"
      : inconclusiveRow(row, { threshold: THRESHOLD, metric })
        ? "inconclusive"
        : "pass";
  return {
    verdict,
    mde: result.mde ?? null,
    // A sequential look has no adjusted p: its CI is already at the look's spent alpha.
    detected: sequentialLook(result)
      ? result.lower > 1 || result.upper < 1
      : decideVerdict(result, result.adjustedP, { alpha: ALPHA, threshold: 0, metric }) !== "same",
  };
}

/**
 * A "pass" that is a significant improvement beyond the threshold (exit 0 too): on an A/A pair,
 * a false alarm in the other direction.
 */
function improved(t: Trial): boolean {
  // p is NaN for a sequential look (null once read back from trials.json): its CI decides.
  const significant = !((t.p as number | null) !== null && t.p >= ALPHA);
  return t.verdict === "pass" && significant && t.upper < 1 / (1 + THRESHOLD);
}

/** A sequential gate's look: its CI is at the look's level, and it has no adjusted p. */
function sequentialLook(result: Compared): boolean {
  return Number.isNaN(result.adjustedP) && result.method.startsWith("sequential look");
}

/**
 * The invocation-level decision without the floor from the runs' own noise: SciPy's pooled t
 * test on the invocation medians alone, one cell (adjusted p = p), CI above 1 + threshold.
 */
function unflooredRegressed(baseline: ResultsFile, current: ResultsFile): boolean {
  const medians = (file: ResultsFile): number[] => {
    const by = new Map<string, number[]>();
    for (const run of file.runs) {
      const v = measuredValue(run, "seconds");
      if (v === null) continue;
      const id = run.invocation ?? "";
      by.set(id, [...(by.get(id) ?? []), v]);
    }
    return [...by.values()].map((values) => Math.log(median(values)));
  };
  const t = pooledTTest(medians(current), medians(baseline), 0.95);
  return t.p < ALPHA && Math.exp(t.lower) > 1 + THRESHOLD;
}

/**
 * A stored verdict under bench check's rule: a "pass" that was a significant improvement smaller
 * than an MDE beyond the threshold is inconclusive (trials stored before that rule say "pass").
 */
function currentRule(verdict: GateVerdict, ratio: number, mde: number | null): GateVerdict {
  if (verdict !== "pass" || mde === null || mde <= THRESHOLD) return verdict;
  return -Math.log(ratio) >= Math.log1p(mde) ? "pass" : "inconclusive";
}

function mdeMedian(mdes: readonly (number | null)[]): string {
  const known = mdes.filter((m): m is number => m !== null);
  return known.length === 0 ? "-" : `${(median(known) * 100).toFixed(1)}%`;
}

function userOf(result: Compared): NonNullable<Trial["user"]> {
  const v = gateVerdict(result, CPU_METRIC);
  return {
    ratio: result.ratio,
    flagged: result.verdict === "regressed",
    verdict: v.verdict,
    mde: v.mde,
  };
}

async function main(): Promise<void> {
  const from = process.env["GATE_TABLES"];
  if (from) {
    // The tables of a calibration's trials.json, also of one stopped early.
    const trials = (JSON.parse(await readFile(from, "utf8")) as Trial[]).map((t) => {
      // A sequential look's CI is at its spent alpha: it alone says whether a change was seen.
      const read = t.mode === "sequential" ? { ...t, detected: t.lower > 1 || t.upper < 1 } : t;
      return {
        ...read,
        verdict: currentRule(read.verdict, read.ratio, read.mde),
        ...(read.user
          ? {
              user: {
                ...read.user,
                verdict: currentRule(read.user.verdict, read.user.ratio, read.user.mde),
              },
            }
          : {}),
      };
    });
    const meta = await readFile(path.join(path.dirname(from), "meta.txt"), "utf8").catch(() => "");
    const perRow = new Map<string, number>();
    for (const t of trials) {
      const key = `${t.mode} ${t.runs} ${t.slowdown}`;
      perRow.set(key, (perRow.get(key) ?? 0) + 1);
    }
    console.log(
      `${meta}Trials per row: ${Math.min(...perRow.values())} to ${Math.max(...perRow.values())} (from ${from}).\n\n${tablesOf(trials).join("\n\n")}`,
    );
    return;
  }
  dir = await mkdtemp(path.join(os.tmpdir(), "mallocbench-gate-"));
  const out = process.env["GATE_OUT"] ? path.resolve(process.env["GATE_OUT"]) : dir;
  await mkdir(out, { recursive: true });
  shim = await buildFixtureLib("slowdown", dir);
  if (MODES.length === 1 && MODES[0] === "exact") {
    const section = await exactCalibration(STREAM_CPUS[0] ?? null);
    await writeFile(path.join(out, "gate-calibration.md"), `${section}\n`);
    console.log(`\n${section}`);
    return;
  }

  // The spins (per 10 mallocs) that inject each target: one invocation runs 0 and several spin
  // levels interleaved, 20 runs each; a least-squares line through the origin of (ratio - 1)
  // against spins gives the cost of a spin, robust to the noise of any single level.
  // GATE_PER_SPIN skips the fit (to add trials to an earlier calibration with the same spins).
  const given = Number(process.env["GATE_PER_SPIN"] ?? Number.NaN);
  const LEVELS = given > 0 ? [] : [10, 20, 40, 80, 160];
  const probe = await measure(
    Object.fromEntries(
      [0, ...LEVELS].map((spins) => [
        `s${spins}`,
        { MB_SLOWDOWN_SPINS: String(spins), MB_SLOWDOWN_EVERY: EVERY },
      ]),
    ),
    given > 0 ? 3 : 20,
    STREAM_CPUS[0] ?? null,
  );
  // The fit reads CPU time (user + sys): a spin costs CPU cycles whether or not the machine is
  // shared, while wall time under other jobs' load jumps by tens of percent between runs.
  const medianOf = (name: string, of: "cpu" | "wall"): number =>
    median(
      probe.runs.flatMap((r) =>
        r.allocator === name && !r.warmup && r.status === "ok"
          ? [of === "wall" ? r.metrics.seconds : r.metrics.userSeconds + r.metrics.sysSeconds]
          : [],
      ),
    );
  const zero = medianOf("s0", "cpu");
  let sxy = 0;
  let sxx = 0;
  for (const spins of LEVELS) {
    const excess = medianOf(`s${spins}`, "cpu") / zero - 1;
    const wall = medianOf(`s${spins}`, "wall") / medianOf("s0", "wall") - 1;
    console.log(
      `${spins} spins every ${EVERY} mallocs: CPU time ${(excess * 100).toFixed(1)}%, wall ${(wall * 100).toFixed(1)}%`,
    );
    sxy += spins * excess;
    sxx += spins * spins;
  }
  const fitted = sxy / sxx;
  const perSpin = given > 0 ? given : fitted;
  const fit =
    given > 0
      ? `GATE_PER_SPIN: one spin per ${EVERY} mallocs costs ${(given * 100).toFixed(3)}% of the run's CPU time (no fit; s0 median ${(medianOf("s0", "wall") * 1e3).toFixed(1)} ms wall, ${(zero * 1e3).toFixed(1)} ms CPU)`
      : `fit: one spin per ${EVERY} mallocs costs ${(fitted * 100).toFixed(3)}% of the run's CPU time (s0 median ${(medianOf("s0", "wall") * 1e3).toFixed(1)} ms wall, ${(zero * 1e3).toFixed(1)} ms CPU)`;
  console.log(fit);
  const meta = (finished: boolean) =>
    [
      `Machine: ${os.cpus()[0]?.model ?? "?"}, ${os.availableParallelism()} CPUs, Linux ${os.release()}; ${new Date().toISOString()}`,
      `Workload ${WORKLOAD} --size ${SIZE}, 1 thread; ${STREAM_CPUS[0] === null ? "unpinned, one stream" : `${STREAM_CPUS.length} stream(s) of trials at once, each pinned to its CPU (${STREAM_CPUS.join(", ")})`}; ${REPS} trials per row; alpha ${ALPHA}, threshold ${THRESHOLD * 100}%${finished ? `; ${((Date.now() - started) / 1000).toFixed(0)} s` : ""}.`,
      `${fit}. Injected with test/fixtures/libs/slowdown.c, spins every ${EVERY} mallocs: ${[...spinsFor].map(([x, s]) => `+${x * 100}% = ${s}`).join(", ")} (a least-squares fit of CPU time over interleaved runs at 10 to 160 spins).`,
      "",
    ].join("\n");
  const spinsFor = new Map<number, number>(
    SLOWDOWNS.map((x) => [x, Math.max(0, Math.round(x / perSpin))]),
  );
  const envFor = (slowdown: number): Record<string, string> => ({
    MB_SLOWDOWN_SPINS: String(spinsFor.get(slowdown) ?? 0),
    MB_SLOWDOWN_EVERY: EVERY,
  });

  /** One comparison: against the trial's baseline file, or a fresh interleaved invocation. */
  async function once(
    mode: Mode,
    before: ResultsFile | undefined,
    slowdown: number,
    n: number,
    cpu: string | null,
  ): Promise<Decision> {
    if (mode === "separate") {
      const after = await measure({ subject: envFor(slowdown) }, n, cpu);
      return {
        result: only(compareResults(before as ResultsFile, after, OPTIONS()).rows[0]?.result),
      };
    }
    if (mode === "sequential") {
      const gate = new SequentialGate(
        { workloads: [WORKLOAD], threads: [1], allocators: ["base", "cand"] },
        "base",
        OPTIONS(),
        PAIRED_MIN_PAIRS,
        MAX_RUNS,
      );
      const file = await measure(
        { base: envFor(0), cand: envFor(slowdown) },
        PAIRED_MIN_PAIRS,
        cpu,
        {
          open: (runs) => gate.update(runs).open,
        },
      );
      const rounds = Math.max(0, ...file.runs.map((r) => r.round + 1));
      return { result: only(gate.update(file.runs).report.rows[0]?.result), rounds };
    }
    const file = await measure({ base: envFor(0), cand: envFor(slowdown) }, n, cpu);
    return {
      result: only(compareAllocators(file, "base", OPTIONS()).rows[0]?.result),
      user: only(compareAllocators(file, "base", OPTIONS("auto", CPU_METRIC)).rows[0]?.result),
      independent: only(compareAllocators(file, "base", OPTIONS("independent")).rows[0]?.result),
    };
  }

  // A trial: (separate) one baseline invocation, then the A/A and each slowdown in a shuffled
  // order, each its own invocation, as a CI job would measure them; a flagged one is measured
  // again, as `bench check --confirm` does, and counts as confirmed if flagged again.
  async function trial(mode: Mode, n: number, cpu: string | null): Promise<Trial[]> {
    const before = mode === "separate" ? await measure({ subject: envFor(0) }, n, cpu) : undefined;
    const order = [...SLOWDOWNS].sort(() => Math.random() - 0.5);
    const trials: Trial[] = [];
    for (const slowdown of order) {
      const first = await once(mode, before, slowdown, n, cpu);
      const flagged = first.result.verdict === "regressed";
      const independentFlagged = first.independent?.verdict === "regressed";
      let again: Decision | undefined;
      if ((flagged || independentFlagged) && mode !== "sequential")
        again = await once(mode, before, slowdown, n, cpu);
      trials.push({
        mode,
        runs: n,
        slowdown,
        cpu,
        ratio: first.result.ratio,
        lower: first.result.lower,
        upper: first.result.upper,
        p: first.result.adjustedP,
        method: first.result.method,
        flagged,
        confirmed: flagged && again?.result.verdict === "regressed",
        ...gateVerdict(first.result),
        ...(first.user ? { user: userOf(first.user) } : {}),
        ...(first.rounds !== undefined ? { rounds: first.rounds } : {}),
        ...(first.independent
          ? {
              independentFlagged,
              independentConfirmed:
                independentFlagged && again?.independent?.verdict === "regressed",
            }
          : {}),
      });
    }
    return trials;
  }

  /**
   * The separate mode's chain for n runs per cell: INVOCATIONS A invocations to start the
   * rolling baseline, then REPS steps of an A invocation and one per slowdown (shuffled).
   */
  async function chain(
    n: number,
    cpu: string | null,
    onStep: (trials: Trial[]) => Promise<void>,
  ): Promise<Trial[]> {
    const history: ResultsFile[] = [];
    for (let i = 0; i < INVOCATIONS; i++)
      history.push(await measure({ subject: envFor(0) }, n, cpu));
    const trials: Trial[] = [];
    for (let step = 0; step < REPS; step++) {
      const window = history.slice(-INVOCATIONS);
      let baseline = window[0] as ResultsFile;
      for (const next of window.slice(1))
        baseline = addInvocation(baseline, next, INVOCATIONS, {
          baseline: "baseline",
          next: "run",
        });
      const single = window[window.length - 1] as ResultsFile;
      const order = [...SLOWDOWNS].sort(() => Math.random() - 0.5);
      let fresh: ResultsFile | undefined;
      for (const slowdown of order) {
        const after = await measure({ subject: envFor(slowdown) }, n, cpu);
        if (slowdown === 0) fresh = after;
        const result = only(compareResults(baseline, after, OPTIONS()).rows[0]?.result);
        // --confirm: a flagged cell is measured again in a fresh invocation, checked again.
        const again =
          result.verdict === "regressed"
            ? only(
                compareResults(
                  baseline,
                  await measure({ subject: envFor(slowdown) }, n, cpu),
                  OPTIONS(),
                ).rows[0]?.result,
              )
            : undefined;
        const old = only(compareResults(single, after, OPTIONS()).rows[0]?.result);
        const user = only(
          compareResults(baseline, after, OPTIONS("auto", CPU_METRIC)).rows[0]?.result,
        );
        trials.push({
          mode: "separate",
          runs: n,
          slowdown,
          cpu,
          ratio: result.ratio,
          lower: result.lower,
          upper: result.upper,
          p: result.adjustedP,
          method: result.method,
          flagged: result.verdict === "regressed",
          confirmed: again?.verdict === "regressed",
          ...gateVerdict(result),
          singleFlagged: old.verdict === "regressed",
          unflooredFlagged: unflooredRegressed(baseline, after),
          singleVerdict: gateVerdict(old).verdict,
          singleImproved: old.verdict === "improved",
          user: userOf(user),
        });
      }
      history.push(fresh as ResultsFile);
      await onStep(trials.slice(-SLOWDOWNS.length));
    }
    return [];
  }

  // Every trial is a task (a separate-mode chain: REPS trials); one stream per CPU takes tasks
  // until none are left.
  const tasks: { mode: Mode; n: number }[] = [];
  // Round-robin over the run counts, so a calibration stopped early has trials of each.
  for (const mode of MODES.filter((m) => m !== "exact"))
    for (let rep = 0; rep < (mode === "separate" ? 1 : REPS); rep++)
      for (const n of mode === "sequential" ? [MAX_RUNS] : RUNS) tasks.push({ mode, n });
  const all: Trial[] = [];
  let done = 0;
  const started = Date.now();
  await writeFile(path.join(out, "meta.txt"), meta(false));
  await Promise.all(
    STREAM_CPUS.map(async (cpu) => {
      for (;;) {
        const task = tasks.shift();
        if (!task) return;
        all.push(
          ...(await (task.mode === "separate"
            ? chain(task.n, cpu, async (step) => {
                all.push(...step);
                await writeFile(path.join(out, "trials.json"), `${JSON.stringify(all)}\n`);
              })
            : trial(task.mode, task.n, cpu))),
        );
        done++;
        // Kept as it goes, so a run stopped early still leaves its trials.
        await writeFile(path.join(out, "trials.json"), `${JSON.stringify(all)}\n`);
        if (done % 10 === 0)
          console.log(
            `${done} trials of ${done + tasks.length} done (${((Date.now() - started) / 1000).toFixed(0)} s)`,
          );
      }
    }),
  );

  const sections = tablesOf(all);
  if (MODES.includes("exact")) sections.push(await exactCalibration(STREAM_CPUS[0] ?? null));
  const doc = [meta(true), ...sections.flatMap((s) => [s, ""])].join("\n");
  await writeFile(path.join(out, "gate-calibration.md"), `${doc}\n`);
  await writeFile(path.join(out, "trials.json"), `${JSON.stringify(all, null, 1)}\n`);
  console.log(`\n${doc}\n(written to ${path.join(out, "gate-calibration.md")} and trials.json)`);
}

/**
 * The exact mode: `bench run --metric instructions` (callgrind), baseline and current in separate
 * invocations with the same --seed, as a CI job on every push measures them; one run per side.
 * The spins that add +0.5% and +1% instructions come from counting 0 and 20 spins (instruction
 * counts are linear in the spins). Each trial is a fresh pair of invocations; A/A is also
 * measured with another seed, which a CI job should not do. Returns the markdown section.
 */
async function exactCalibration(cpu: string | null): Promise<string> {
  const counted = (spins: number, seed: number): Promise<ResultsFile> =>
    measure(
      { subject: { MB_SLOWDOWN_SPINS: String(spins), MB_SLOWDOWN_EVERY: EVERY } },
      1,
      cpu,
      undefined,
      { seed },
    );
  const instructions = (file: ResultsFile): number => {
    const run = file.runs.find((r) => r.status === "ok" && !r.warmup);
    const value = run?.status === "ok" ? run.metrics.instructions : undefined;
    if (value === undefined) throw new Error(`no counted run: ${JSON.stringify(file.runs[0])}`);
    return value;
  };
  const started = Date.now();
  const zero = instructions(await counted(0, 1));
  const probe = 20;
  const perSpin = (instructions(await counted(probe, 1)) / zero - 1) / probe;
  const spinsFor = (x: number): number => Math.max(1, Math.round(x / perSpin));
  const kinds: { label: string; spins: number; seed: number }[] = [
    { label: "A/A, same --seed", spins: 0, seed: 1 },
    { label: "A/A, another --seed", spins: 0, seed: 2 },
    ...EXACT_CHANGES.map((x) => ({
      label: `+${(x * 100).toFixed(1)}% (${spinsFor(x)} spins)`,
      spins: spinsFor(x),
      seed: 1,
    })),
  ];
  const ratios = new Map<string, number[]>(kinds.map((k) => [k.label, []]));
  for (let rep = 0; rep < EXACT_REPS; rep++) {
    const base = await counted(0, 1);
    for (const kind of kinds) {
      const current = await counted(kind.spins, kind.seed);
      // bench check's own path: the counted comparison of compareResults.
      const options = {
        ...OPTIONS(),
        metric: metricInfo("instructions"),
        tolerance: EXACT_TOLERANCES[0] as number,
      };
      const row = only(compareResults(base, current, options).rows[0]?.result);
      ratios.get(kind.label)?.push(row.ratio);
    }
    console.log(`exact: ${rep + 1} of ${EXACT_REPS} trials done`);
  }
  const metric = metricInfo("instructions");
  const rows = kinds.map((kind) => {
    const rs = ratios.get(kind.label) ?? [];
    const flagged = EXACT_TOLERANCES.map((tol) => {
      const k = rs.filter((r) => decideCountedVerdict(r, tol, metric) === "regressed").length;
      const any = rs.filter((r) => decideCountedVerdict(r, tol, metric) !== "same").length;
      return `${k}/${rs.length}${any > k ? ` (+${any - k} improved)` : ""}`;
    });
    const show = (r: number): string => `${((r - 1) * 100).toFixed(3)}%`;
    return `| ${kind.label} | ${rs.length} | ${show(Math.min(...rs))} to ${show(Math.max(...rs))} | ${flagged.join(" | ")} |`;
  });
  return [
    `### Exact mode (bench run --metric instructions; bench check --metric instructions --tolerance T)`,
    "",
    `Counted under callgrind, one run per side, baseline and current in separate invocations; instructions of ${WORKLOAD} --size ${SIZE}, 1 thread: ${zero.toLocaleString("en-US")} at 0 spins; one spin every ${EVERY} mallocs adds ${(perSpin * 100).toFixed(4)}%. ${EXACT_REPS} trials per row, ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    "",
    `| injected | trials | measured change (min to max) | ${EXACT_TOLERANCES.map((t) => `flagged at --tolerance ${(t * 100).toFixed(2)}%`).join(" | ")} |`,
    `| --- | ---: | --- | ${EXACT_TOLERANCES.map(() => "---").join(" | ")} |`,
    ...rows,
  ].join("\n");
}

/** The tables of every mode in `all`: per mode and run count, then the sequential and MDE tables. */
function tablesOf(all: readonly Trial[]): string[] {
  const pct = (k: number, of: number): string => `${k}/${of} = ${((100 * k) / of).toFixed(0)}%`;
  const sections: string[] = [];
  for (const mode of MODES.filter((m) => m === "separate" || m === "interleaved")) {
    const rows: string[] = [];
    for (const n of RUNS) {
      for (const slowdown of SLOWDOWNS) {
        const ts = all.filter((t) => t.mode === mode && t.runs === n && t.slowdown === slowdown);
        const label = slowdown === 0 ? "A/A (false alarms)" : `+${slowdown * 100}% (detection)`;
        const count = (f: (t: Trial) => boolean | undefined): number => ts.filter(f).length;
        const methods = [
          ...new Set(ts.map((t) => (t.method.startsWith("paired") ? "paired" : "independent"))),
        ];
        const cells = [
          String(n),
          label,
          pct(
            count((t) => t.flagged),
            ts.length,
          ),
          pct(
            count((t) => t.confirmed),
            ts.length,
          ),
          ...(mode === "separate"
            ? [
                pct(
                  count((t) => t.verdict === "inconclusive"),
                  ts.length,
                ),
                `${pct(
                  count((t) => t.verdict === "pass"),
                  ts.length,
                )} (${count(improved)} improved)`,
                (() => {
                  const known = ts.filter((t) => t.unflooredFlagged !== undefined);
                  return known.length === 0
                    ? "-"
                    : pct(known.filter((t) => t.unflooredFlagged).length, known.length);
                })(),
                pct(
                  count((t) => t.singleFlagged),
                  ts.length,
                ),
                pct(
                  count((t) => t.singleImproved ?? t.singleVerdict === "pass"),
                  ts.length,
                ),
              ]
            : []),
          ...(mode === "interleaved"
            ? [
                methods.join(", "),
                pct(
                  count((t) => t.independentFlagged),
                  ts.length,
                ),
                pct(
                  count((t) => t.independentConfirmed),
                  ts.length,
                ),
              ]
            : []),
          median(ts.map((t) => t.ratio)).toFixed(3),
          pct(
            count((t) => t.user?.flagged),
            ts.length,
          ),
          `${mdeMedian(ts.map((t) => t.mde))} / ${mdeMedian(ts.map((t) => t.user?.mde ?? null))}`,
        ];
        rows.push(`| ${cells.join(" | ")} |`);
      }
    }
    const header =
      mode === "interleaved"
        ? [
            "| runs per cell | injected | flagged | flagged with --confirm | test (default: pairing auto) | flagged, independent test | with --confirm, independent | median measured ratio | flagged on user CPU time | median MDE: seconds / user CPU time |",
            "| ---: | --- | --- | --- | --- | --- | --- | ---: | --- | ---: |",
          ]
        : [
            `| runs per cell | injected | flagged (${INVOCATIONS} baseline invocations, invocation-level t test) | flagged with --confirm | inconclusive | pass (exit 0) | flagged without the runs' floor (same invocations) | flagged, 1 baseline invocation (run-level test) | improved, 1 baseline invocation | median measured ratio | flagged on user CPU time | median MDE: seconds / user CPU time |`,
            "| ---: | --- | --- | --- | --- | --- | --- | --- | --- | ---: | --- | ---: |",
          ];
    sections.push(
      [
        `### ${mode === "separate" ? `Baseline and current in separate invocations (bench check --baseline file; baseline of ${INVOCATIONS} invocations: bench baseline save --add --keep ${INVOCATIONS})` : "Baseline and current interleaved in one invocation (bench check --against allocator)"}`,
        "",
        ...header,
        ...rows,
      ].join("\n"),
    );
  }
  if (MODES.includes("sequential")) sections.push(sequentialTable(all));
  sections.push(mdeTable(all));
  return sections;
}

/** The sequential gate: per injected slowdown, its verdicts and the rounds they took. */
function sequentialTable(all: readonly Trial[]): string {
  const pct = (k: number, of: number): string =>
    of === 0 ? "-" : `${k}/${of} = ${((100 * k) / of).toFixed(0)}%`;
  const rows = SLOWDOWNS.map((slowdown) => {
    const ts = all.filter((t) => t.mode === "sequential" && t.slowdown === slowdown);
    const count = (v: GateVerdict): number => ts.filter((t) => t.verdict === v).length;
    const better = ts.filter(improved).length;
    const rounds = ts.map((t) => t.rounds ?? 0);
    return `| ${slowdown === 0 ? "A/A (false alarms)" : `+${slowdown * 100}%`} | ${ts.length} | ${pct(count("regressed"), ts.length)} | ${pct(count("pass"), ts.length)}${better > 0 ? ` (${better} improved)` : ""} | ${pct(count("inconclusive"), ts.length)} | ${rounds.length > 0 ? median(rounds) : "-"} | ${rounds.length > 0 ? Math.max(...rounds) : "-"} |`;
  });
  return [
    `### Sequential gate (bench check --against allocator --until-decided --max-runs ${MAX_RUNS})`,
    "",
    "| injected | trials | regressed (exit 1) | cleared (exit 0) | undecided at --max-runs (exit 3) | median rounds | most rounds |",
    "| --- | ---: | --- | --- | --- | ---: | ---: |",
    ...rows,
  ].join("\n");
}

/**
 * "Stated MDE vs detected": the trials with a slowdown, by whether the injected slowdown was at
 * or above the MDE the verdict stated. At or above it about 80% (the stated power) should be
 * detected as a change; below it, where the MDE exceeds the threshold, the verdict must be
 * "inconclusive", never "pass".
 */
function mdeTable(all: readonly Trial[]): string {
  const pct = (k: number, of: number): string =>
    of === 0 ? "-" : `${k}/${of} = ${((100 * k) / of).toFixed(0)}%`;
  const rows: string[] = [];
  for (const mode of MODES.filter((m) => m !== "exact")) {
    for (const n of mode === "sequential" ? [MAX_RUNS] : RUNS) {
      const ts = all.filter((t) => t.mode === mode && t.runs === n && t.mde !== null);
      const buckets: [string, Trial[]][] = [
        ["A/A", ts.filter((t) => t.slowdown === 0)],
        [
          "injected ≥ stated MDE",
          ts.filter((t) => t.slowdown > 0 && t.slowdown >= (t.mde as number)),
        ],
        [
          "injected < stated MDE",
          ts.filter((t) => t.slowdown > 0 && t.slowdown < (t.mde as number)),
        ],
      ];
      for (const [label, b] of buckets) {
        const count = (v: GateVerdict): number => b.filter((t) => t.verdict === v).length;
        const mdes = b.map((t) => t.mde as number);
        rows.push(
          `| ${mode} | ${n} | ${label} | ${b.length} | ${mdes.length > 0 ? `${(median(mdes) * 100).toFixed(1)}%` : "-"} | ${pct(b.filter((t) => t.detected).length, b.length)} | ${pct(count("regressed"), b.length)} | ${pct(count("inconclusive"), b.length)} | ${pct(count("pass"), b.length)}${b.some(improved) ? ` (${b.filter(improved).length} improved)` : ""} |`,
        );
      }
      // The same trials decided on user CPU time: its own MDE, and its verdicts.
      const us = all.filter((t) => t.mode === mode && t.runs === n && t.user?.mde != null);
      const mdeOf = (t: Trial): number => t.user?.mde as number;
      const userBuckets: [string, Trial[]][] = [
        ["A/A", us.filter((t) => t.slowdown === 0)],
        ["injected ≥ stated MDE", us.filter((t) => t.slowdown > 0 && t.slowdown >= mdeOf(t))],
        ["injected < stated MDE", us.filter((t) => t.slowdown > 0 && t.slowdown < mdeOf(t))],
      ];
      for (const [label, b] of us.length > 0 ? userBuckets : []) {
        const count = (v: GateVerdict): number => b.filter((t) => t.user?.verdict === v).length;
        const mdes = b.map(mdeOf);
        rows.push(
          `| ${mode}, user CPU time | ${n} | ${label} | ${b.length} | ${mdes.length > 0 ? `${(median(mdes) * 100).toFixed(1)}%` : "-"} | - | ${pct(count("regressed"), b.length)} | ${pct(count("inconclusive"), b.length)} | ${pct(count("pass"), b.length)} |`,
        );
      }
    }
  }
  return [
    `### Stated MDE vs detected (alpha ${ALPHA}, 80% power, threshold ${THRESHOLD * 100}%)`,
    "",
    "| mode | runs per cell | injected | trials | median stated MDE | detected (p < alpha, CI excludes 1) | regressed (exit 1) | inconclusive (exit 3) | pass (exit 0) |",
    "| --- | ---: | --- | ---: | ---: | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
