import { mkdir, realpath, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "../errors.js";
import { runHelper } from "../util/exec.js";
import {
  checkAvailability,
  parseProgramManifest,
  type ProgramManifest,
} from "../targets/programs.js";

export interface ProgramInitOptions {
  /** Directory the manifest's directory is created in (a --workload-dir). */
  dir?: string;
  force?: boolean;
  /** A file fed to the program's stdin. */
  stdin?: string;
}

/** What the scaffold proposes from one line of the program's output. */
export interface ProposedMetric {
  metric: ProgramManifest["metric"];
  /** The output lines the regexes were made from (shown to the user). */
  from: string[];
}

const NUMBER = "([0-9]+(?:\\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)";

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** A regex matching `line` with its one number captured (the other text literal). */
function regexAround(line: string, index: number, length: number): string {
  const before = escapeRegex(line.slice(0, index));
  const after = escapeRegex(line.slice(index + length));
  return `^${before}${NUMBER}${after}$`;
}

/**
 * Propose a metric from a program's output: a line with a rate ("… 123456 ops/s", "… per
 * second") is a throughput (reported, higher is better); else the wall time, with `ops=` and
 * `checksum=` lines when present.
 */
export function proposeMetric(stdout: string): ProposedMetric {
  const lines = stdout.split("\n").map((l) => l.trimEnd());
  for (const line of lines) {
    const rate =
      /([0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)\s*((?:[A-Za-z]+\/s(?:ec)?)|(?:[A-Za-z]+ per second))\b/.exec(
        line,
      );
    if (rate?.[1] && rate[2])
      return {
        metric: {
          kind: "reported",
          value: regexAround(line, rate.index, rate[1].length),
          unit: rate[2].replace(/ per second$/, "/s").replace(/\/sec$/, "/s"),
          better: "higher",
        },
        from: [line],
      };
  }
  const ops = lines.find((l) => /^ops\s*[=:]\s*[0-9]+$/.test(l));
  const checksum = lines.find((l) => /^checksum\s*[=:]\s*\S+$/.test(l));
  return {
    metric: {
      kind: "wall",
      ...(ops ? { ops: "^ops\\s*[=:]\\s*([0-9]+)$" } : {}),
      ...(checksum ? { checksum: "^checksum\\s*[=:]\\s*(\\S+)$" } : {}),
    },
    from: [ops, checksum].filter((l): l is string => l !== undefined),
  };
}

/**
 * `bench program init <name> [--dir DIR] -- <command...>`: run the command once, and write
 * DIR/<name>/program.json declaring it, with a metric proposed from its output.
 */
export async function programInitCommand(
  name: string,
  command: readonly string[],
  opts: ProgramInitOptions,
): Promise<number> {
  const [binaryArg, ...args] = command;
  if (!binaryArg) throw new UsageError("program init: give the command after --");
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(name))
    throw new UsageError(
      `program init: name "${name}" must be lower-case letters, digits, "." and "-"`,
    );
  const root = path.resolve(opts.dir ?? "programs");
  const dir = path.join(root, name);
  const manifestPath = path.join(dir, "program.json");
  const exists = await stat(manifestPath).then(
    () => true,
    () => false,
  );
  if (exists && !opts.force)
    throw new UsageError(`${manifestPath} already exists; edit it, or pass --force to replace it`);
  // A path is recorded as the file it names now; a bare name stays a PATH lookup.
  let binary = binaryArg;
  if (binaryArg.includes("/")) {
    const real = await realpath(path.resolve(binaryArg)).catch(() => undefined);
    if (!real) throw new UsageError(`program init: ${binaryArg} does not exist`);
    binary = real;
  }
  let stdin: string | undefined;
  if (opts.stdin !== undefined) {
    stdin = await realpath(path.resolve(opts.stdin)).catch(() => undefined);
    if (!stdin) throw new UsageError(`program init: --stdin ${opts.stdin} does not exist`);
  }
  const draft = {
    name,
    description: `${name}: ${command.join(" ")}`,
    binary,
    probe: ["--version"],
    args,
    ...(stdin ? { stdin } : {}),
    metric: { kind: "wall" },
  };
  const definition = parseProgramManifest(JSON.stringify(draft), manifestPath, dir);
  const availability = await checkAvailability(definition);
  if (!availability.available)
    throw new UsageError(`program init: cannot measure it: ${availability.reason}`);
  const executable = [...availability.builds.values()][0] as string;
  const started = process.hrtime.bigint();
  const result = await runHelper(executable, args, {
    reject: false,
    ...(availability.stdin ? { inputFile: availability.stdin } : { stdin: "ignore" as const }),
    timeout: 600_000,
    maxBuffer: 16 << 20,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.exitCode !== 0)
    throw new UsageError(
      `program init: ${command.join(" ")} failed (${result.signal ?? `exit ${String(result.exitCode)}`}): ${String(result.stderr).trim().split("\n").at(-1) ?? ""}; a measured program must exit 0`,
    );
  const proposed = proposeMetric(String(result.stdout));
  const manifest = { ...draft, metric: proposed.metric };
  parseProgramManifest(JSON.stringify(manifest), manifestPath, dir);
  await mkdir(dir, { recursive: true });
  await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  const lines = [
    `wrote ${manifestPath}`,
    `ran ${command.join(" ")} once: exit 0 in ${seconds.toFixed(2)} s`,
    proposed.metric.kind === "reported"
      ? `metric: the value it reports (higher is better), from: ${proposed.from[0] ?? ""}`
      : `metric: wall time${proposed.from.length > 0 ? `, with ${proposed.from.join(" and ")}` : ""}`,
    `edit it: "probe" (arguments that make it exit at once), "description", "params", "stdin", "env" (docs/programs.md)`,
    `then: bench run -w ${name} --workload-dir ${root}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}
