import { appendFile, readdir } from "node:fs/promises";
import path from "node:path";
import {
  compareAllocators,
  compareResults,
  deterministicTolerance,
  GATE_POWER,
  inconclusiveRows,
  PAIRED_MIN_PAIRS,
  SequentialGate,
  type ComparisonOptions,
  type ComparisonReport,
  type ComparisonRow,
} from "../analysis/comparisons.js";
import { formatReport, mdeText, verdictText } from "../analysis/format.js";
import { describeTestbed, testbedMismatch, testbedOf } from "../analysis/testbed.js";
import { LIMITS, parseDuration, parsePositiveInt } from "../config.js";
import { UsageError } from "../errors.js";
import { cellKey, paramsKey, workloadLabel } from "../plan/schedule.js";
import type { ResultsFile } from "../results/schema.js";
import { loadSingleSet } from "../results/sets.js";
import { recordedUserAllocators, recordedVariants } from "../plan/plan.js";
import { runBenchmark } from "../run/runner.js";
import { comparisonOptions, parseFraction, type StatsOptions } from "./compare.js";
import { progressReporter } from "./progress.js";
import { statSync } from "node:fs";
import { writeOut, writeErr } from "../util/text.js";

export interface CheckCommandOptions extends StatsOptions {
  baseline?: string;
  /** Compare with this allocator of the same results file (interleaved runs: no drift between invocations). */
  against?: string;
  allowTestbedMismatch?: boolean;
  confirm?: boolean;
  /** Counted metrics under callgrind: a change beyond this ratio of medians fails (default 0.5%). */
  tolerance?: string;
  /** With --against: measure again in interleaved rounds until every cell is decided. */
  untilDecided?: boolean;
  maxRuns?: string;
  maxTime?: string;
}

/** Rounds of the sequential gate's first look: the fewest for which pairing is the default. */
const SEQUENTIAL_FIRST_LOOK = PAIRED_MIN_PAIRS;
/** Default --max-runs of the sequential gate. */
const SEQUENTIAL_MAX_RUNS = 60;

interface Chosen {
  file: string;
  results: ResultsFile;
  note?: string;
}

/** The baseline file: the one given, or the file of a directory whose testbed matches `current`'s. */
async function chooseBaseline(
  target: string,
  current: ResultsFile,
  allowMismatch: boolean,
): Promise<Chosen> {
  const want = testbedOf(current);
  let isDir = false;
  try {
    isDir = statSync(target).isDirectory();
  } catch {
    throw new UsageError(`--baseline: ${target} does not exist`);
  }
  if (!isDir) {
    const results = await loadSingleSet(target);
    const why = testbedMismatch(testbedOf(results), want);
    if (why && !allowMismatch) {
      throw new UsageError(
        `--baseline ${target} was measured on another testbed (${why}): compare like with like, or pass --allow-testbed-mismatch`,
      );
    }
    return { file: target, results, ...(why ? { note: `testbed mismatch allowed: ${why}` } : {}) };
  }
  const files = (await readdir(target)).filter((f) => f.endsWith(".json")).sort();
  const candidates: Chosen[] = [];
  for (const f of files) {
    const file = path.join(target, f);
    try {
      candidates.push({ file, results: await loadSingleSet(file) });
    } catch {
      // not a results file: ignore it in a directory of baselines
    }
  }
  const exact = candidates.filter((c) => testbedOf(c.results).id === want.id);
  if (exact.length > 0) return exact[exact.length - 1] as Chosen;
  const available =
    candidates.map((c) => describeTestbed(testbedOf(c.results))).join("; ") || "none";
  if (!allowMismatch || candidates.length === 0) {
    throw new UsageError(
      `--baseline ${target}: no baseline for this testbed (${describeTestbed(want)}); available: ${available}`,
    );
  }
  const sameArch =
    candidates.find((c) => testbedOf(c.results).arch === want.arch) ?? (candidates[0] as Chosen);
  return {
    ...sameArch,
    note: `testbed mismatch allowed: ${testbedMismatch(testbedOf(sameArch.results), want)}`,
  };
}

function regressions(report: ComparisonReport): ComparisonRow[] {
  return report.rows.filter(
    (r) => r.result.kind === "compared" && r.result.verdict === "regressed",
  );
}

function describeRow(row: ComparisonRow, report: ComparisonReport): string {
  const r = row.result;
  const ratio =
    r.kind === "compared"
      ? `${r.ratio.toFixed(3)}x [${r.lower.toFixed(3)}, ${r.upper.toFixed(3)}], ${Number.isFinite(r.adjustedP) ? `p(adj)=${r.adjustedP.toPrecision(2)}` : r.method}${r.mde === undefined ? "" : `, MDE ${mdeText(row)}`}`
      : "";
  return `${workloadLabel(row.workload, row.params)} t${row.threads} ${row.allocator}: ${verdictText(row, report)} ${ratio}`.trim();
}

/** --until-decided and its bounds, checked before anything is loaded; undefined without it. */
function checkSequentialFlags(
  opts: CheckCommandOptions,
): { maxRuns: number; maxTimeMs?: number } | undefined {
  if (!opts.untilDecided) {
    if (opts.maxRuns !== undefined || opts.maxTime !== undefined)
      throw new UsageError("--max-runs and --max-time bound --until-decided: give it too");
    return undefined;
  }
  if (!opts.against)
    throw new UsageError(
      "--until-decided needs --against <allocator>: only interleaved rounds of one invocation can be added until decided",
    );
  if (opts.confirm) throw new UsageError("--until-decided measures until decided: drop --confirm");
  const maxRuns =
    opts.maxRuns === undefined
      ? SEQUENTIAL_MAX_RUNS
      : parsePositiveInt(opts.maxRuns, "--max-runs", 1, LIMITS.runsPerCell);
  if (maxRuns < SEQUENTIAL_FIRST_LOOK)
    throw new UsageError(
      `--max-runs ${maxRuns} is below the sequential gate's first look (${SEQUENTIAL_FIRST_LOOK} rounds)`,
    );
  if (opts.pairing !== undefined && opts.pairing !== "paired" && opts.pairing !== "auto")
    throw new UsageError("--until-decided pairs runs by round: drop --pairing independent");
  return {
    maxRuns,
    ...(opts.maxTime !== undefined ? { maxTimeMs: parseDuration(opts.maxTime, "--max-time") } : {}),
  };
}

/**
 * `--until-decided`: measure the file's plan again in interleaved rounds, into
 * <current>.sequential.json, looking at each cell at the sequential gate's planned looks until it
 * is decided, --max-runs or --max-time; the report of its last looks.
 */
async function sequentialCheck(
  currentFile: string,
  current: ResultsFile,
  against: string,
  options: ComparisonOptions,
  limits: { maxRuns: number; maxTimeMs?: number },
): Promise<{ report: ComparisonReport; note: string }> {
  const plan = current.plan;
  const gate = new SequentialGate(plan, against, options, SEQUENTIAL_FIRST_LOOK, limits.maxRuns);
  const file = currentFile.replace(/\.json$/, "") + ".sequential.json";
  writeErr(
    `until decided: interleaved rounds of ${plan.allocators.join(", ")}, looks at ${gate.looks.join(", ")} rounds${limits.maxTimeMs !== undefined ? ` or ${Math.round(limits.maxTimeMs / 1000)} s` : ""} (${file})\n`,
  );
  const outcome = await runBenchmark(
    {
      workloads: plan.workloads,
      allocators: plan.allocators,
      userAllocators: recordedUserAllocators(current.allocators),
      variants: recordedVariants(current.allocators),
      threads: plan.threads,
      ...(plan.params ? { params: plan.params } : {}),
      preset: plan.preset,
      size: plan.size,
      runs: SEQUENTIAL_FIRST_LOOK,
      warmup: plan.warmup,
      seed: plan.seed + 1,
      timeoutMs: plan.timeoutMs,
      cpus: plan.cpus,
      rssIntervalMs: plan.rssIntervalMs,
      output: path.resolve(file),
      force: true, // a scratch file of this check, rewritten by each --until-decided
      workloadDirs: plan.workloadRoots.slice(1),
      ...(plan.onlyCells ? { onlyCells: plan.onlyCells } : {}),
      sequential: {
        open: (runs) => gate.update(runs).open,
        ...(limits.maxTimeMs !== undefined ? { maxTimeMs: limits.maxTimeMs } : {}),
      },
    },
    progressReporter(process.stderr, true),
  );
  const state = gate.update(outcome.results.runs);
  const rounds = Math.max(0, ...outcome.results.runs.map((r) => r.round + 1));
  return {
    report: state.report,
    note: `--until-decided measured ${rounds} interleaved round(s) (${file}); stopping at a planned look keeps the false-alarm rate within alpha ${options.alpha}`,
  };
}

/** GitHub Actions workflow command data must escape %, CR and LF. */
function ghEscape(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/**
 * `bench check <current.json> --baseline <file|dir>`: exit 1 when any cell regressed (significant
 * after Benjamini-Hochberg AND the whole ratio CI beyond the threshold), 0 otherwise, 2 on bad input.
 */
/** Both sides of a check: the current file and what it is compared with. */
interface Sides {
  currentFile: string;
  current: ResultsFile;
  /** The baseline file (--baseline), or undefined with --against. */
  base: Chosen | undefined;
  against: string | undefined;
  /** Counted metrics under callgrind: the band medians must stay within; else undefined. */
  tolerance: number | undefined;
  /** How the output names the baseline. */
  label: string;
  makeReport(results: ResultsFile): ComparisonReport;
}

/** The flags that must agree before anything is loaded. */
function checkFlags(opts: CheckCommandOptions): {
  options: ComparisonOptions;
  sequentialLimits: ReturnType<typeof checkSequentialFlags>;
} {
  if (opts.baseline && opts.against) {
    throw new UsageError("give --baseline <file|dir> or --against <allocator>, not both");
  }
  if (!opts.baseline && !opts.against) {
    throw new UsageError("bench check needs --baseline <file|dir> or --against <allocator>");
  }
  const options: ComparisonOptions = comparisonOptions(opts, { threshold: 0.05 });
  if (opts.baseline && options.pairing === "paired")
    throw new UsageError(
      "--pairing paired needs --against: runs of two invocations (--baseline) cannot be paired",
    );
  return { options, sequentialLimits: checkSequentialFlags(opts) };
}

/**
 * Load the current file and its baseline, and check that they can be compared: the --against
 * allocator is in it, both ran at one size; a counted metric sets the tolerance it is checked
 * with (and says so).
 */
async function loadSides(
  currentFile: string,
  opts: CheckCommandOptions,
  options: ComparisonOptions,
  sequential: boolean,
): Promise<Sides> {
  const current = await loadSingleSet(currentFile);
  const against = opts.against;
  if (against !== undefined && !current.plan.allocators.includes(against)) {
    throw new UsageError(
      `--against: allocator "${against}" is not in ${currentFile} (have: ${current.plan.allocators.join(", ")})`,
    );
  }
  const base = opts.baseline
    ? await chooseBaseline(opts.baseline, current, Boolean(opts.allowTestbedMismatch))
    : undefined;
  if (base && base.results.plan.size !== current.plan.size) {
    throw new UsageError(
      `${currentFile} ran workloads at size ${current.plan.size} and the baseline ${base.file} at ${base.results.plan.size}: their times cannot be compared`,
    );
  }
  const tolerance = deterministicTolerance(
    options.metric,
    base ? [base.results, current] : [current],
    opts.tolerance === undefined ? undefined : parseFraction(opts.tolerance, "--tolerance"),
  );
  if (tolerance !== undefined && sequential)
    throw new UsageError(
      `--until-decided tests timed metrics; ${options.metric.name} counted under callgrind is exact: drop --until-decided`,
    );
  if (tolerance !== undefined) {
    options.tolerance = tolerance;
    writeErr(
      `${options.metric.name} was counted under callgrind: runs are deterministic, so the check compares medians within ±${(tolerance * 100).toFixed(2)}% instead of testing (threads run one at a time under valgrind)\n`,
    );
  }
  return {
    currentFile,
    current,
    base,
    against,
    tolerance,
    label: base ? base.file : `allocator ${against} in the same file`,
    makeReport: (results) =>
      base
        ? compareResults(base.results, results, options)
        : compareAllocators(results, against as string, options),
  };
}

/** --confirm: re-measure the flagged cells with fresh runs; a cell fails only if it fails again. */
async function confirmRegressions(
  sides: Sides,
  report: ComparisonReport,
  flagged: ComparisonRow[],
): Promise<{ report: ComparisonReport; flagged: ComparisonRow[]; note: string }> {
  const { current, currentFile, against } = sides;
  const cells = flagged.map((r) =>
    cellKey({
      workload: r.workload,
      allocator: r.allocator,
      threads: r.threads,
      ...(r.params ? { params: r.params } : {}),
    }),
  );
  // Against an allocator of the same file, its cells are measured again too, interleaved.
  const measuredCells = against
    ? [
        ...new Set([
          ...cells,
          ...flagged.map((r) =>
            cellKey({
              workload: r.workload,
              allocator: against,
              threads: r.threads,
              ...(r.params ? { params: r.params } : {}),
            }),
          ),
        ]),
      ]
    : cells;
  writeErr(`re-measuring ${cells.length} flagged cell(s) to confirm: ${cells.join(", ")}\n`);
  const plan = current.plan;
  const userAllocators = recordedUserAllocators(current.allocators);
  const confirmFile = currentFile.replace(/\.json$/, "") + ".confirm.json";
  const outcome = await runBenchmark(
    {
      workloads: [...new Set(flagged.map((r) => r.workload))],
      allocators: [...new Set([...flagged.map((r) => r.allocator), ...(against ? [against] : [])])],
      userAllocators,
      variants: recordedVariants(current.allocators),
      threads: [...new Set(flagged.map((r) => r.threads))],
      ...(plan.params ? { params: plan.params } : {}),
      preset: plan.preset,
      size: plan.size,
      runs: plan.runs,
      warmup: plan.warmup,
      seed: plan.seed + 1,
      timeoutMs: plan.timeoutMs,
      cpus: plan.cpus,
      rssIntervalMs: plan.rssIntervalMs,
      ...(plan.measure ? { measure: plan.measure } : {}),
      output: path.resolve(confirmFile),
      force: true, // a scratch file of this check, rewritten by each --confirm
      workloadDirs: plan.workloadRoots.slice(1),
      onlyCells: measuredCells,
    },
    progressReporter(process.stderr, true),
  );
  // The final table keeps every cell: the re-measured ones replace their first measurement.
  // (Their BH correction is over the re-measured cells only.)
  const confirmed = sides.makeReport(outcome.results);
  const rowKey = (r: ComparisonRow): string =>
    `${r.workload}\0${r.threads}\0${paramsKey(r.params)}\0${r.allocator}`;
  const again = new Map(confirmed.rows.map((r) => [rowKey(r), r]));
  const still = regressions(confirmed);
  return {
    report: { ...report, rows: report.rows.map((r) => again.get(rowKey(r)) ?? r) },
    flagged: still,
    note: `--confirm re-measured ${cells.length} cell(s) (${confirmFile}): ${still.length} still regressed`,
  };
}

/** What a check decided, for its output, step summary, annotations and exit code. */
interface Decision {
  report: ComparisonReport;
  options: ComparisonOptions;
  notes: string[];
  flagged: ComparisonRow[];
  /** Cells with too few runs to ever reach alpha. */
  untestable: ComparisonRow[];
  /** Cells neither flagged nor cleared: passing there would mean "not detected", not "ruled out". */
  unsure: ReturnType<typeof inconclusiveRows>;
  /** Too few runs to ever decide: exit 2, and no verdict line may say "passed" before it. */
  undecidable: boolean;
  thresholdText: string;
  power: string;
}

function verdictLine(d: Decision): string {
  const { flagged, unsure, options, thresholdText, power, report } = d;
  if (d.undecidable) return "";
  if (flagged.length > 0)
    return `check FAILED: ${flagged.length} regression(s) in ${options.metric.name}:\n${flagged.map((r) => `  ${describeRow(r, report)}`).join("\n")}\n`;
  if (unsure.length > 0)
    return `check INCONCLUSIVE: no regression found in ${options.metric.name}, but ${unsure.length} cell(s) cannot rule out one beyond ${thresholdText} (exit 3)\n`;
  // A cell measured faster by more than its MDE passes with an MDE beyond the threshold.
  const byImprovement = report.rows.filter(
    (r) =>
      r.result.kind === "compared" &&
      r.result.verdict === "improved" &&
      r.result.mde !== undefined &&
      r.result.mde > options.threshold,
  ).length;
  const seen = !power
    ? ""
    : byImprovement > 0
      ? `, and every cell ruled one out (${byImprovement} by an improvement larger than its minimum detectable effect)`
      : ", and every cell could see one that size";
  return `check passed: no regression beyond ${thresholdText} in ${options.metric.name}${seen}\n`;
}

/** The inconclusive cells, each with why and what would settle it; "" when there are none. */
function unsureLines(d: Decision): string {
  const { unsure, options, report } = d;
  if (unsure.length === 0) return "";
  const bound = `${options.metric.better === "lower" ? "+" : "-"}${(options.threshold * 100).toFixed(1)}%`;
  const why = (u: (typeof unsure)[number]): string =>
    u.reason === "invocations"
      ? INVOCATIONS_UNKNOWN
      : u.reason === "power"
        ? `could only see changes ≥ ${u.mde === null || !Number.isFinite(u.mde) ? "any size" : `${(u.mde * 100).toFixed(1)}%`}`
        : `its 95% CI reaches beyond ${bound}`;
  const settle = (u: (typeof unsure)[number]): string => {
    const between = u.row.result.kind === "compared" ? u.row.result.between : undefined;
    if (between?.spread === null) return INVOCATIONS_FIX;
    if (between?.floored)
      return `the spread between invocations is ±${(Math.expm1(between.spread) * 100).toFixed(1)}%, the runs' own noise in each invocation's median: more runs per invocation or more baseline invocations (bench baseline save --add) narrow it, --against <allocator> removes the drift`;
    if (between)
      return `the spread between invocations is ±${(Math.expm1(between.spread) * 100).toFixed(1)}%: more runs per invocation do not narrow it; more baseline invocations (bench baseline save --add) narrow the CI towards it, --against <allocator> removes it`;
    return u.runsToClear === null
      ? "estimate already past the threshold: more runs will decide"
      : `about ${u.runsToClear} runs per cell would clear it if the noise and estimate held`;
  };
  const separate = unsure.every(
    (u) => u.row.result.kind === "compared" && u.row.result.between !== undefined,
  );
  const more = report.sequentialLooks
    ? "more rounds: a higher --max-runs or --max-time"
    : separate
      ? "separate invocations: more baseline invocations (bench baseline save --add), or --against <allocator>"
      : "more runs: bench run -n N, --precision, or bench check --until-decided";
  return `inconclusive: ${unsure.length} cell(s) not flagged, but a change of ${bound} is not ruled out (${more}):\n${unsure.map((u) => `  ${describeRow(u.row, report)}: ${why(u)} (${settle(u)})`).join("\n")}\n`;
}

/** GitHub Actions: the check as Markdown in the job's step summary. */
async function writeStepSummary(
  summaryFile: string,
  d: Decision,
  sides: Sides,
  unsureText: string,
): Promise<void> {
  const { flagged, untestable, unsure, options, thresholdText, power, notes, report } = d;
  const status =
    flagged.length > 0
      ? `failed: ${flagged.length} regression(s)`
      : d.undecidable
        ? `not decided: ${untestable.length} cell(s) have too few runs to ever reach alpha ${options.alpha}`
        : unsure.length > 0
          ? `inconclusive: ${unsure.length} cell(s) could not rule out a regression beyond ${thresholdText}`
          : "passed";
  await appendFile(
    summaryFile,
    `## mallocbench check ${status}\n\nTestbed: ${describeTestbed(testbedOf(sides.current))}. Baseline: \`${sides.base ? path.basename(sides.base.file) : sides.label}\`.\n\n${notes.map((n) => `> ${n}\n`).join("")}\n${formatReport(report, "markdown")}\n\n${power ? `${power}\n\n` : ""}${
      unsureText
        ? `${unsureText
            .split("\n")
            .map((l) => `> ${l.trim()}`)
            .filter((l) => l !== ">")
            .join("\n>\n")}\n\n`
        : ""
    }`,
  );
}

/** GitHub Actions: one annotation per regression, untestable or inconclusive cell, testbed note. */
function writeAnnotations(d: Decision): void {
  const { flagged, unsure, thresholdText, notes, report } = d;
  for (const row of flagged) {
    writeOut(`::error title=mallocbench regression::${ghEscape(describeRow(row, report))}\n`);
  }
  for (const row of report.rows.filter((r) => r.result.kind === "too-few-runs")) {
    writeOut(`::warning title=mallocbench too few runs::${ghEscape(describeRow(row, report))}\n`);
  }
  for (const u of unsure) {
    const why =
      u.reason === "invocations"
        ? `${INVOCATIONS_UNKNOWN}: ${INVOCATIONS_FIX}`
        : u.reason === "power"
          ? `could only see changes ≥ ${u.mde === null || !Number.isFinite(u.mde) ? "any size" : `${(u.mde * 100).toFixed(1)}%`}, more than the threshold ${thresholdText}`
          : `the CI reaches beyond the threshold ${thresholdText}`;
    writeOut(
      `::warning title=mallocbench inconclusive::${ghEscape(`${describeRow(u.row, report)}: ${why}`)}\n`,
    );
  }
  for (const note of notes.filter((n) => n.startsWith("testbed mismatch"))) {
    writeOut(`::warning title=mallocbench testbed::${ghEscape(note)}\n`);
  }
}

/** 1: a regression; 3: inconclusive; 0: passed; too few runs to decide is a usage error (2). */
function exitCode(d: Decision): number {
  const { flagged, untestable, unsure, options } = d;
  if (flagged.length > 0) return 1;
  if (untestable.length > 0) {
    // A gate that passes without evidence is worse than none: say what is missing instead.
    const need =
      untestable[0]?.result.kind === "too-few-runs" ? untestable[0].result.runsNeeded : 0;
    throw new UsageError(
      `${untestable.length} cell(s) have too few runs to ever reach alpha ${options.alpha}: measure at least ${need} runs per cell (bench run -n ${need}) in both files`,
    );
  }
  return unsure.length > 0 ? EXIT_INCONCLUSIVE : 0;
}

export async function checkCommand(
  currentFile: string,
  opts: CheckCommandOptions,
): Promise<number> {
  const { options, sequentialLimits } = checkFlags(opts);
  const sides = await loadSides(currentFile, opts, options, sequentialLimits !== undefined);
  const { base, against, tolerance } = sides;
  const notes: string[] = [];
  if (base?.note) notes.push(base.note);
  let report = sides.makeReport(sides.current);
  if (base && tolerance === undefined) notes.push(...invocationNotes(report));
  if (sequentialLimits && against !== undefined) {
    const seq = await sequentialCheck(
      currentFile,
      sides.current,
      against,
      options,
      sequentialLimits,
    );
    report = seq.report;
    notes.push(seq.note);
  }
  if (report.rows.length === 0) {
    throw new UsageError(
      `${currentFile} and ${sides.label} have no cell (workload, allocator, threads) in common`,
    );
  }
  let flagged = regressions(report);
  if (opts.confirm && flagged.length > 0) {
    const confirmed = await confirmRegressions(sides, report, flagged);
    report = confirmed.report;
    flagged = confirmed.flagged;
    notes.push(confirmed.note);
  } else if (base && tolerance === undefined && flagged.some(acrossInvocations)) {
    notes.push(UNCONFIRMED_SEPARATE);
  }

  const untestable = report.rows.filter((r) => r.result.kind === "too-few-runs");
  const thresholdText = `${((tolerance ?? options.threshold) * 100).toFixed(tolerance === undefined ? 1 : 2)}%`;
  const decision: Decision = {
    report,
    options,
    notes,
    flagged,
    untestable,
    unsure: inconclusiveRows(report),
    undecidable: flagged.length === 0 && untestable.length > 0,
    thresholdText,
    power: powerLine(report, options.alpha, thresholdText),
  };
  const { power } = decision;
  writeOut(
    `baseline: ${sides.label}\ncurrent:  ${currentFile}\n${notes.map((n) => `note: ${n}\n`).join("")}\n${formatReport(report, "text")}\n\n${power ? `${power}\n` : ""}`,
  );
  writeOut(verdictLine(decision));
  const unsureText = unsureLines(decision);
  writeOut(unsureText);
  const summaryFile = process.env["GITHUB_STEP_SUMMARY"];
  if (summaryFile) await writeStepSummary(summaryFile, decision, sides, unsureText);
  if (process.env["GITHUB_ACTIONS"] === "true") writeAnnotations(decision);
  return exitCode(decision);
}

const INVOCATIONS_UNKNOWN =
  "the variance between invocations cannot be estimated from one invocation per side";
const INVOCATIONS_FIX =
  "save the baseline from several invocations (bench baseline save --add; 5 or more see small changes) or measure both in one run and use --against <allocator>";

const UNCONFIRMED_SEPARATE =
  "a regression between separate invocations can be a slow period of the host during the current invocation; add --confirm to re-measure flagged cells in a fresh invocation before trusting them";

/** A row compared across separate invocations (it carries their summary). */
function acrossInvocations(row: ComparisonRow): boolean {
  return row.result.kind === "compared" && row.result.between !== undefined;
}

/** What the report's separate-invocation cells could and could not estimate, as notes. */
function invocationNotes(report: ComparisonReport): string[] {
  const between = report.rows.flatMap((r) =>
    r.result.kind === "compared" && r.result.between ? [r.result.between] : [],
  );
  const notes: string[] = [];
  if (between.some((b) => b.spread === null))
    notes.push(
      `baseline and current are separate invocations: the drift between invocations is not in these CIs, and ${INVOCATIONS_UNKNOWN}, so no cell can pass and more runs can mean more false alarms (docs/gate-calibration.md); ${INVOCATIONS_FIX}`,
    );
  const estimated = between.filter((b) => b.spread !== null);
  if (estimated.length > 0) {
    const k = Math.min(...estimated.map((b) => b.baseline));
    const m = Math.max(...estimated.map((b) => b.current));
    notes.push(
      `baseline and current are separate invocations: compared invocation by invocation (each invocation's median one observation; Student's pooled t test over ${k}${k === Math.max(...estimated.map((b) => b.baseline)) ? "" : "+"} baseline and ${m} current invocation(s)), so the variance between invocations is in the CIs`,
    );
  }
  return notes;
}

/** Exit code of a check that found no regression but could not rule one out. */
export const EXIT_INCONCLUSIVE = 3;

/**
 * "power: ..." the range of the cells' minimum detectable effects against the threshold; empty
 * for counted metrics (exact) or when no cell was tested.
 */
function powerLine(report: ComparisonReport, alpha: number, threshold: string): string {
  const mdes = report.rows.flatMap((r) =>
    r.result.kind === "compared" && r.result.mde !== undefined ? [r.result.mde] : [],
  );
  if (mdes.length === 0) return "";
  const show = (x: number): string =>
    Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : "any size";
  const lo = Math.min(...mdes);
  const hi = Math.max(...mdes);
  const range = mdes.length === 1 || lo === hi ? `±${show(hi)}` : `±${show(lo)} to ±${show(hi)}`;
  return `power: at alpha ${alpha} with ${Math.round(GATE_POWER * 100)}% power these runs could see changes of ${range} (minimum detectable effect per cell); threshold ${threshold}`;
}
