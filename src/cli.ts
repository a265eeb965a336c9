import { Command, CommanderError, Option } from "commander";
import {
  LIMITS,
  parseCpus,
  parseDuration,
  parseFraction,
  parseList,
  parsePositiveInt,
  parseThreads,
  parseWorkloadList,
} from "./util/flag-values.js";
import { isKnownError, UsageError } from "./errors.js";
import { clipMiddle, showControls } from "./util/text.js";
import { InterruptedError, interruptChildren } from "./util/exec.js";

/**
 * SIGINT/SIGTERM for every command: helper processes are killed and bench exits 130/143 with one
 * line. A command that stops gracefully (bench run keeps what it measured) adds its own listener,
 * and this one then only kills the helpers.
 */
function onInterrupt(signal: NodeJS.Signals): void {
  interruptChildren(signal);
  if (process.listenerCount(signal) > 1) return;
  process.stderr.write(`\nbench: interrupted by ${signal}\n`);
  process.exit(signal === "SIGTERM" ? 143 : 130);
}

// Each command's module is imported when the command runs, so a command loads only its own code
// (bench report does not load the runner, the builder or execa), which shortens start-up.

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** A whole number within bounds, parsed where commander reads the flag (a bad one: exit 2). */
const wholeNumber =
  (flag: string, min = 1, max = Number.MAX_SAFE_INTEGER) =>
  (value: string): number =>
    parsePositiveInt(value, flag, min, max);

/** bench run's measurement modes. */
function measureMode(value: string): "time" | "instructions" {
  if (value !== "time" && value !== "instructions")
    throw new UsageError(
      `--metric: "${value}" is not a measurement mode (valid: time, instructions)`,
    );
  return value;
}

/** Options several commands take, declared once; `help` replaces the text where it differs. */
const shared = {
  allocators: (
    help = "comma-separated allocators (default: every one found; see bench list allocators)",
  ) => new Option("-a, --allocators <list>", help).argParser((v) => parseList(v, "--allocators")),
  allocator: (help = "add your own allocator library (repeatable)") =>
    new Option("--allocator <name=path>", help).argParser(collect),
  variant: (help: string) => new Option("--variant <name=base:KEY=VALUE>", help).argParser(collect),
  workloadDir: () =>
    new Option(
      "--workload-dir <dir>",
      "also load workloads from this directory (repeatable)",
    ).argParser(collect),
  config: () =>
    new Option("--config <file>", "config file (default ./bench.config.json when present)"),
  json: (help = "machine-readable output") => new Option("--json", help),
  quiet: (help: string) => new Option("-q, --quiet", help),
  baselineAllocator: (help = "allocator the others are compared with (default glibc, else musl)") =>
    new Option("--baseline <allocator>", help),
  allowTestbedMismatch: (help: string) => new Option("--allow-testbed-mismatch", help),
  force: () =>
    new Option("--force", "replace -o even when it holds measured runs (a results or merged file)"),
};

function program(setCode: (code: number) => void): Command {
  const cli = new Command("bench")
    .description("mallocbench: compare malloc implementations with real multithreaded workloads")
    .version("0.1.0")
    .showHelpAfterError("(run bench --help for usage)")
    .exitOverride();

  cli
    .command("run")
    .description(
      "build, validate and measure workloads x allocators x threads; write one results file",
    )
    .addOption(
      new Option(
        "-w, --workloads <list>",
        "comma-separated workloads (default: all; see bench list workloads)",
      ).argParser(parseWorkloadList),
    )
    .option(
      "--programs",
      "also run every external program (sqlite3, lua5.4, redis, z3, ghostscript, rocksdb, python3; docs/programs.md); named ones run without it",
    )
    .addOption(shared.allocators())
    .addOption(shared.allocator())
    .addOption(
      shared.variant(
        "run allocator base with an environment setting as name, e.g. scudo-nozero=scudo:SCUDO_OPTIONS=zero_contents=0 (repeatable; repeat a name to add settings; docs/variants.md)",
      ),
    )
    .addOption(
      new Option(
        "-t, --threads <list>",
        "thread counts: 1,2,4; 1..8 = every count from 1 to 8; 1-8 = powers of two 1,2,4,8 (default: 1 and the number of CPUs)",
      ).argParser(parseThreads),
    )
    .option(
      "--param <name=values>",
      "scan a workload parameter, e.g. objsize=32,64 (repeatable; cells are the product of the values)",
      collect,
    )
    .addOption(
      new Option("-n, --runs <n>", "measured runs per cell (default from the preset)").argParser(
        wholeNumber("--runs", 1, LIMITS.runsPerCell),
      ),
    )
    .addOption(
      new Option(
        "--warmup <n>",
        "warmup runs per cell, recorded and excluded (default from the preset)",
      ).argParser(wholeNumber("--warmup", 0, LIMITS.warmup)),
    )
    .option("--quick", "same as --preset quick")
    .addOption(
      new Option("--preset <name>", "sizes, runs, warmups and timeout").choices([
        "quick",
        "default",
        "full",
      ]),
    )
    .addOption(
      new Option(
        "--seed <n>",
        "seed for workloads and the order of runs (default: random, recorded)",
      ).argParser(wholeNumber("--seed", 0)),
    )
    .addOption(
      new Option(
        "--timeout <duration>",
        "per-run timeout, e.g. 30s, 2m (default from the preset)",
      ).argParser((v) => parseDuration(v, "--timeout")),
    )
    .addOption(
      new Option("--cpus <list>", "pin every run to these CPUs, e.g. 0,2-3").argParser(parseCpus),
    )
    .addOption(
      new Option(
        "--rss-interval <ms>",
        "RSS timeline sampling interval in ms; 0 disables (default 10)",
      ).argParser(wholeNumber("--rss-interval", 0, LIMITS.rssIntervalMs)),
    )
    .addOption(
      new Option(
        "--metric <kind>",
        "time (default) | instructions: count instructions under callgrind, deterministic but threads run one at a time (docs/metrics.md)",
      ).argParser(measureMode),
    )
    .option("-o, --output <file>", "results file (default results/<UTC stamp>-<host>-<arch>.json)")
    .option(
      "--force",
      "replace an existing -o results file and discard its journal (default: refuse them)",
    )
    .option("--resume <file>", "complete an interrupted run from its results file or journal")
    .addOption(shared.workloadDir())
    .addOption(shared.config())
    .addOption(
      shared.baselineAllocator("allocator the summary compares with (default glibc, else musl)"),
    )
    .addOption(
      new Option(
        "--precision <fraction>",
        "adaptive: add rounds until every cell's median CI half-width is within this, e.g. 2%",
      ).argParser((v) => parseFraction(v, "--precision")),
    )
    .addOption(
      new Option(
        "--max-runs <n>",
        "adaptive: at most this many measured runs per cell (default max(6 x runs, 30))",
      ).argParser(wholeNumber("--max-runs", 1, LIMITS.runsPerCell)),
    )
    .addOption(
      new Option(
        "--max-time <duration>",
        "adaptive: stop adding rounds after this long, e.g. 10m",
      ).argParser((v) => parseDuration(v, "--max-time")),
    )
    .option(
      "--hardening",
      "afterwards, run the heap-misuse probes per allocator and store the matrix in the results (docs/hardening.md)",
    )
    .addOption(shared.quiet("fewer progress messages"))
    .action(async (opts) => setCode(await (await import("./commands/run.js")).runCommand(opts)));

  cli
    .command("build")
    .description(
      "build the launcher and the workloads for every toolchain (cached by content hash)",
    )
    .option("-w, --workloads <list>", "only these workloads")
    .addOption(shared.workloadDir())
    .option(
      "--cc <compiler>",
      "build with this C compiler instead of $CC/cc, e.g. aarch64-linux-gnu-gcc (cross builds: docs/cross-arch.md)",
    )
    .addOption(shared.json())
    .action(async (opts) =>
      setCode(await (await import("./commands/build.js")).buildCommand(opts)),
    );

  cli
    .command("list")
    .description("list workloads, allocators or toolchains")
    .argument("[what]", "workloads | allocators | toolchains (default: all three)")
    .addOption(shared.json())
    .addOption(shared.allocator("include your own allocator (repeatable)"))
    .addOption(shared.variant("include a variant (repeatable; docs/variants.md)"))
    .addOption(shared.config())
    .addOption(shared.workloadDir())
    .action(async (what, opts) =>
      setCode(await (await import("./commands/list.js")).listCommand(what, opts)),
    );

  cli
    .command("hardening")
    .description(
      "run heap-misuse probes (double free, invalid free, overflow, ...) under each allocator: detected or not",
    )
    .option(
      "-a, --allocators <list>",
      "comma-separated allocators (default: every one found; see bench list allocators)",
    )
    .addOption(shared.allocator())
    .option("--timeout <duration>", "per-probe timeout, e.g. 10s (default 10s)")
    .option(
      "--trials <n>",
      "runs of each probe per allocator (default 5); cells whose runs differ are flaky",
    )
    .option("-o, --output <file>", "also write the matrix as JSON to this file")
    .addOption(shared.json("print the matrix as JSON"))
    .addOption(shared.quiet("no progress messages"))
    .action(async (opts) =>
      setCode(await (await import("./commands/hardening.js")).hardeningCommand(opts)),
    );

  cli
    .command("doctor")
    .description(
      "what is installed, what is missing (with the install command), and noise warnings",
    )
    .addOption(shared.json())
    .action(async (opts) =>
      setCode(await (await import("./commands/doctor.js")).doctorCommand(opts)),
    );

  cli
    .command("setup")
    .description(
      "install the compilers and allocators bench doctor reports missing (apt-get, dnf, apk or pacman)",
    )
    .option("--dry-run", "print the commands without running them")
    .option("--tests", "also install what the test suite needs (Debian/Ubuntu; as .ci/run does)")
    .option(
      "--programs",
      "also install the packages of the real programs measured as workloads that are absent (docs/programs.md)",
    )
    .action(async (opts) =>
      setCode(await (await import("./commands/doctor.js")).setupCommand(opts)),
    );

  cli
    .command("compare")
    .description(
      "compare allocators inside one results file, or two results files cell by cell (CIs, U tests, BH correction)",
    )
    .argument("<files...>", "one results file (allocators vs --baseline), or two (before, after)")
    .addOption(
      shared.baselineAllocator(
        "with one file: the allocator the others are compared with (default glibc, else musl)",
      ),
    )
    .option(
      "--metric <name>",
      "metric to compare (default seconds: the workload's measured region)",
    )
    .option("--format <format>", "text | markdown | json | csv", "text")
    .option("--alpha <p>", "significance level after Benjamini-Hochberg (default 0.05)")
    .option("--threshold <fraction>", "changes count only beyond this ratio, e.g. 5% (default 0)")
    .option(
      "--pairing <mode>",
      "one file: auto (pair runs of the same round when 10+ rounds have both cells) | paired | independent",
    )
    .addOption(shared.allowTestbedMismatch("compare results from different machines anyway"))
    .action(async (files, opts) =>
      setCode(await (await import("./commands/compare.js")).compareCommand(files, opts)),
    );

  cli
    .command("check")
    .description(
      "CI gate: exit 1 when a cell is slower than the baseline beyond the threshold with confidence, 3 when a cell could not rule that out (inconclusive: its minimum detectable effect or CI exceeds the threshold), 0 otherwise",
    )
    .argument("<current>", "results file to check")
    .option(
      "--baseline <file|dir>",
      "baseline results file, or a directory searched for this testbed's baseline",
    )
    .option(
      "--against <allocator>",
      "instead of --baseline: compare with this allocator of the same file (interleaved runs)",
    )
    .option(
      "--threshold <fraction>",
      "a cell fails when its whole ratio CI lies beyond 1 + this, e.g. 5% (default 5%)",
    )
    .option("--alpha <p>", "significance level after Benjamini-Hochberg (default 0.05)")
    .option("--metric <name>", "metric to check (default seconds; maxRssBytes checks memory)")
    .option(
      "--pairing <mode>",
      "with --against: auto (pair runs of the same round when 10+ rounds have both cells) | paired | independent",
    )
    .addOption(shared.allowTestbedMismatch("use a baseline from another testbed anyway"))
    .option("--confirm", "re-measure flagged cells with fresh runs; fail only if they fail again")
    .option(
      "--tolerance <fraction>",
      "counted metrics under callgrind (instructions, allocatorInstructions): fail when the median changes beyond this, e.g. 0.5% (the default)",
    )
    .option(
      "--until-decided",
      "with --against: measure again in interleaved rounds until each cell is regressed or within the threshold (sequential, alpha kept)",
    )
    .option("--max-runs <n>", "with --until-decided: most rounds per cell (default 60)")
    .option(
      "--max-time <duration>",
      "with --until-decided: stop adding rounds after this, e.g. 10m",
    )
    .action(async (current, opts) =>
      setCode(await (await import("./commands/check.js")).checkCommand(current, opts)),
    );

  cli
    .command("program")
    .description("declare your own program as a workload (docs/programs.md)")
    .command("init")
    .description(
      "run a command once and write <dir>/<name>/program.json declaring it, with a metric proposed from its output",
    )
    .argument("<name>", "the program's name (its directory)")
    .argument("<command...>", "after --: the program and its arguments")
    .option(
      "--dir <dir>",
      "where to create <name>/ (default ./programs; pass it as --workload-dir)",
    )
    .option("--stdin <file>", "feed this file to the program's stdin")
    .option("--force", "replace an existing program.json")
    .action(async (name, command, opts) =>
      setCode(
        await (await import("./commands/program.js")).programInitCommand(name, command, opts),
      ),
    );

  const baseline = cli.command("baseline").description("manage stored baselines");
  baseline
    .command("save")
    .description("store a results file as the baseline of its testbed")
    .argument("<results>", "a complete results file")
    .option("--dir <dir>", "baseline directory (default ./baselines)")
    .option(
      "--add",
      "add the file to this testbed's baseline as one more invocation (bench check then estimates the variance between invocations)",
    )
    .option("--keep <n>", "with --add: keep the newest n invocations")
    .action(async (file, opts) =>
      setCode(await (await import("./commands/results-tools.js")).baselineSaveCommand(file, opts)),
    );

  cli
    .command("merge")
    .description("put results from several runs or machines into one file, kept apart by testbed")
    .argument("<files...>", "results files (or merged files)")
    .requiredOption("-o, --output <file>", "merged file to write")
    .addOption(shared.force())
    .action(async (files, opts) =>
      setCode(await (await import("./commands/results-tools.js")).mergeCommand(files, opts)),
    );

  cli
    .command("export")
    .description(
      "export results: csv (one row per run), json (per-cell summary), bmf (Bencher), gab (github-action-benchmark)",
    )
    .argument("<results>", "results file")
    .option("--format <format>", "csv | json | bmf | gab", "csv")
    .option("--metric <name>", "for gab: the metric (default seconds)")
    .option("-o, --output <file>", "write to a file instead of stdout")
    .addOption(shared.force())
    .action(async (file, opts) =>
      setCode(await (await import("./commands/results-tools.js")).exportCommand(file, opts)),
    );

  cli
    .command("report")
    .description(
      "charts (SVG, PNG), a Markdown and a self-contained HTML report from one or several results files",
    )
    .argument("<results...>", "results files (several testbeds become small multiples)")
    .option("-o, --output <dir>", "report directory (default reports/<name of the first file>)")
    .addOption(shared.baselineAllocator())
    .option(
      "--format <list>",
      "comma-separated: md, html, svg, png, terminal (default md,html,svg,png)",
    )
    .option(
      "--focus <candidate:baseline>",
      "open with this comparison: one sentence with its number and CI, then its chart (e.g. scudo-musl:musl)",
    )
    .option("--allocators <list>", "comma-separated allocators to show (default all)")
    .option("--workloads <list>", "comma-separated workloads to show (default all)")
    .option("--threads <list>", "comma-separated thread counts to show (default all)")
    .option(
      "--scale <linear|log>",
      "throughput axis of the scaling chart: linear from zero (default) or log",
    )
    .action(async (files, opts) =>
      setCode(await (await import("./commands/report.js")).reportCommand(files, opts)),
    );

  return cli;
}

/** Run the CLI; resolves to the process exit code. Known errors print one line and exit 2. */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const cli = program((c) => {
    code = c;
  });
  process.on("SIGINT", onInterrupt);
  process.on("SIGTERM", onInterrupt);
  watchOutputStream(process.stdout, "stdout");
  try {
    await cli.parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === "commander.helpDisplayed" ||
        error.code === "commander.version" ||
        error.code === "commander.help"
      )
        return 0;
      return 2; // commander has printed the one-line reason
    }
    if (error instanceof InterruptedError) {
      process.stderr.write(`bench: interrupted by ${error.signal}\n`);
      return error.signal === "SIGTERM" ? 143 : 130;
    }
    if (isKnownError(error)) {
      // One line, whatever the message quotes from input.
      process.stderr.write(`bench: ${showControls(clipMiddle(error.message))}\n`);
      return error.exitCode;
    }
    const why = writeFailure(error);
    if (why) {
      process.stderr.write(`bench: ${showControls(clipMiddle(why))}\n`);
      return 2;
    }
    throw error;
  }
}

/** Errors of the file system rather than of bench: the disk, a quota, permissions, a read-only mount. */
const WRITE_ERRORS = new Set(["ENOSPC", "EDQUOT", "EFBIG", "EIO", "EROFS", "EACCES", "EPERM"]);

function writeFailure(error: unknown): string | undefined {
  const e = error as NodeJS.ErrnoException;
  if (!(error instanceof Error) || !e.code || !WRITE_ERRORS.has(e.code)) return undefined;
  const where = e.path ?? "the output";
  return `cannot write ${where} (${e.code}): fix the cause (disk space, quota, permissions) and run the command again`;
}

/**
 * A reader that went away (`bench compare | head -1`) is not an error; a full disk behind a
 * redirected stdout is one line and exit 2, never an unhandled 'error' event with a stack trace.
 */
function watchOutputStream(stream: NodeJS.WriteStream, name: string): void {
  let failed = false;
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE" || failed) return;
    failed = true;
    process.stderr.write(
      `bench: cannot write ${name} (${error.code ?? error.message}): fix the cause (disk space, a closed descriptor) and run the command again\n`,
    );
    process.on("exit", () => {
      process.exitCode = 2;
    });
  });
}
