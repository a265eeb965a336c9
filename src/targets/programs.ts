import { constants } from "node:fs";
import { access, readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { readElfInfo } from "../platform/elf.js";
import type { Libc } from "../allocators/types.js";
import { libcOfNeeded } from "../allocators/validate.js";
import type { Size } from "../config.js";
import { describeIssue } from "../util/schema-errors.js";
import { UsageError } from "../errors.js";
import { NotRegularFileError, readRegularFile } from "../util/files.js";
import { loadWorkloads } from "./workloads.js";

/**
 * External programs as workloads (docs/programs.md): real binaries such as sqlite3, lua5.4 or
 * redis-server, run under each allocator by LD_PRELOAD. Each one is declared by
 * `<root>/external/<name>/program.json` (or `<root>/<name>/program.json`).
 */

const SizeValue = z.union([z.number().int().nonnegative(), z.string()]);

/**
 * A command: its first element is a program name looked up on PATH, or a path (absolute, or
 * relative to the manifest's directory).
 */
const Command = z.array(z.string()).min(1);

/** A package name as package managers spell them (no option or shell syntax). */
const PackageName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.+_-]*$/);

const WallMetric = z.strictObject({
  /** The measured value is the process's wall time (fork to exit, from the launcher). */
  kind: z.literal("wall"),
  /** Optional regex over stdout lines; its first group is the count of work units. */
  ops: z.string().optional(),
  /** Optional regex whose first group is a checksum, compared across allocators. */
  checksum: z.string().optional(),
});

/** Time units a lower-is-better reported value may have, in seconds. */
export const TIME_UNITS: Readonly<Record<string, number>> = { s: 1, ms: 1e-3, us: 1e-6, ns: 1e-9 };

const ReportedMetric = z.strictObject({
  /** The measured value is a number the program prints (throughput, its own timing). */
  kind: z.literal("reported"),
  /** Regex over stdout lines; its first group is the value. */
  value: z.string(),
  /** The value's unit, e.g. "ops/s"; for better "lower" one of s, ms, us, ns. */
  unit: z.string().min(1),
  /** Which direction is an improvement. */
  better: z.enum(["higher", "lower"]),
  /** Optional regex whose first group is a checksum, compared across allocators. */
  checksum: z.string().optional(),
});

const RateCsvMetric = z.strictObject({
  /** Throughput read from the load generator's CSV output: one row per test. */
  kind: z.literal("rate-csv"),
  /** Column naming the test (e.g. "test"). */
  label: z.string(),
  /** Column holding requests per second (e.g. "rps"). */
  rate: z.string(),
  /** Requests each row stands for (a placeholder such as "{requests}" or a number). */
  opsPerRow: z.string(),
});

export const ProgramManifestSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/),
    description: z.string().min(1),
    /**
     * The measured program: a name looked up on PATH, or a path (absolute, or relative to the
     * manifest's directory; `{dir}` allowed), or one such per libc (`{"glibc": …, "musl": …}`).
     */
    binary: z.union([
      z.string().min(1),
      z
        .object({ glibc: z.string().min(1).optional(), musl: z.string().min(1).optional() })
        .strict()
        .refine((b) => b.glibc !== undefined || b.musl !== undefined, {
          message: "name a glibc or a musl binary",
        }),
    ]),
    /**
     * The distribution packages that install the program and every command its manifest runs,
     * per package manager: `bench setup --programs` installs them for an absent program.
     */
    packages: z
      .strictObject({
        apt: z.array(PackageName).min(1).optional(),
        dnf: z.array(PackageName).min(1).optional(),
        apk: z.array(PackageName).min(1).optional(),
        pacman: z.array(PackageName).min(1).optional(),
      })
      .optional(),
    /** False: the program is run at 1 thread only. True: `{threads}` appears in its arguments. */
    multithreaded: z.boolean().default(false),
    /** What the threads axis means for this program (required when multithreaded). */
    threads: z.string().optional(),
    params: z
      .array(
        z
          .strictObject({
            name: z.string().regex(/^[a-z][a-zA-Z0-9]*$/),
            help: z.string(),
            default: z.strictObject({ quick: SizeValue, default: SizeValue, full: SizeValue }),
            /** The range `--param` values must lie in (what the program accepts). */
            min: z.number().int().optional(),
            max: z.number().int().optional(),
          })
          .refine((p) => p.min === undefined || p.max === undefined || p.min <= p.max, {
            message: "min is above max",
          }),
      )
      .default([]),
    /** Arguments that make the program start and exit at once (used to see how it resolves malloc). */
    probe: z.array(z.string()),
    /** Arguments of the measured run. */
    args: z.array(z.string()),
    /** A file fed to the program's stdin (relative to the manifest's directory); else /dev/null. */
    stdin: z.string().min(1).optional(),
    /** Environment variables set for the program (placeholders allowed in values). */
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
    /** The program's working directory (relative to the manifest's directory); default {tmp}. */
    cwd: z.string().min(1).optional(),
    /** Commands run before / after each run, outside the measurement. */
    setup: z.array(Command).default([]),
    teardown: z.array(Command).default([]),
    /** Present for servers: the program runs until stopped, while `load` drives it. */
    server: z
      .strictObject({
        ready: z.strictObject({
          command: Command,
          /** Trimmed stdout the command prints once the server is ready. */
          expect: z.string(),
          timeoutMs: z.number().int().positive().default(10_000),
        }),
        load: z.strictObject({ command: Command }),
        /** Asks the server to exit; SIGTERM is sent when it fails. */
        stop: z.strictObject({ command: Command }),
      })
      .optional(),
    metric: z.discriminatedUnion("kind", [WallMetric, ReportedMetric, RateCsvMetric]),
  })
  .strict();

export type ProgramManifest = z.infer<typeof ProgramManifestSchema>;

export interface ProgramDefinition extends ProgramManifest {
  kind: "program";
  /** Directory holding program.json and its script files. */
  dir: string;
  manifestPath: string;
}

/** Built-in placeholders; params add their own names. */
const BUILTIN_PLACEHOLDERS = ["dir", "tmp", "port", "threads"] as const;

function placeholdersIn(text: string): string[] {
  return [...text.matchAll(/\{([A-Za-z][A-Za-z0-9]*)\}/g)].map((m) => m[1] as string);
}

function fail(manifestPath: string, message: string): never {
  throw new UsageError(`${manifestPath}: ${message}`);
}

/** The binaries a manifest declares, by libc (undefined key: decided by the ELF file). */
export function declaredBinaries(m: ProgramManifest): [Libc | undefined, string][] {
  const binary = m.binary;
  if (typeof binary === "string") return [[undefined, binary]];
  return (["glibc", "musl"] as const)
    .filter((libc) => binary[libc] !== undefined)
    .map((libc): [Libc, string] => [libc, binary[libc] as string]);
}

/** Check a parsed manifest beyond its shape: placeholders, regexes, mode-specific fields. */
function checkManifest(m: ProgramManifest, manifestPath: string): void {
  const known = new Set<string>([...BUILTIN_PLACEHOLDERS, ...m.params.map((p) => p.name)]);
  const texts: [string, string][] = [
    ...m.args.map((a): [string, string] => ["args", a]),
    ...m.probe.map((a): [string, string] => ["probe", a]),
    ...m.setup.flat().map((a): [string, string] => ["setup", a]),
    ...m.teardown.flat().map((a): [string, string] => ["teardown", a]),
    ...Object.entries(m.env).map(([k, v]): [string, string] => [`env.${k}`, v]),
  ];
  if (m.server) {
    for (const [field, cmd] of [
      ["server.ready.command", m.server.ready.command],
      ["server.load.command", m.server.load.command],
      ["server.stop.command", m.server.stop.command],
    ] as const)
      for (const a of cmd) texts.push([field, a]);
  }
  if (m.metric.kind === "rate-csv") texts.push(["metric.opsPerRow", m.metric.opsPerRow]);
  for (const [field, text] of texts) {
    for (const name of placeholdersIn(text)) {
      if (!known.has(name))
        fail(manifestPath, `field ${field}: unknown placeholder {${name}} in "${text}"`);
    }
  }
  // A path placeholder may only be a whole argument or an option's value: one spliced into a
  // script or query (sqlite3's `.read '{dir}/x.sql'`) breaks on a quote in the path. Programs
  // run in the manifest's directory, so such scripts name its files relatively.
  for (const [field, text] of texts) {
    const spliced = [...text.matchAll(/\{(dir|tmp)\}/g)].find(
      (m) => m.index !== 0 && !/^--?[A-Za-z0-9][A-Za-z0-9_-]*=$/.test(text.slice(0, m.index)),
    );
    if (spliced)
      fail(
        manifestPath,
        `field ${field}: {${spliced[1] ?? ""}} inside "${text}" would splice a path into the program's own language: pass it as a whole argument, or name the file relative to the manifest's directory (programs run there)`,
      );
  }
  // Paths are fixed before any run: only {dir} (and {tmp} for the working directory).
  const paths: [string, string, readonly string[]][] = [
    ...declaredBinaries(m).map(([libc, b]): [string, string, string[]] => [
      libc ? `binary.${libc}` : "binary",
      b,
      ["dir"],
    ]),
    ...(m.stdin !== undefined ? [["stdin", m.stdin, ["dir"]] as [string, string, string[]]] : []),
    ...(m.cwd !== undefined ? [["cwd", m.cwd, ["dir", "tmp"]] as [string, string, string[]]] : []),
  ];
  for (const [field, text, allowed] of paths) {
    const bad = placeholdersIn(text).find((n) => !allowed.includes(n));
    if (bad !== undefined)
      fail(
        manifestPath,
        `field ${field}: only ${allowed.map((a) => `{${a}}`).join(" and ")} may appear in "${text}"`,
      );
  }
  for (const key of Object.keys(m.env)) {
    if (key.startsWith("LD_") || key.startsWith("MALLOCBENCH_"))
      fail(
        manifestPath,
        `field env.${key}: ${key} is set by the harness (the allocator's preload and the identity probe); remove it`,
      );
  }
  for (const p of m.probe) {
    if (placeholdersIn(p).some((n) => n !== "dir"))
      fail(manifestPath, `field probe: only {dir} may appear in probe arguments ("${p}")`);
  }
  if (m.multithreaded && !m.threads)
    fail(manifestPath, "field threads: a multithreaded program must say what its threads mean");
  if (m.multithreaded && ![...m.args, ...Object.values(m.env)].some((a) => a.includes("{threads}")))
    fail(
      manifestPath,
      "field args: a multithreaded program must pass {threads} to the program (in args or env)",
    );
  if (!m.multithreaded && [...m.args, ...Object.values(m.env)].some((a) => a.includes("{threads}")))
    fail(manifestPath, "field args: {threads} needs multithreaded: true");
  if (m.server && m.metric.kind !== "rate-csv")
    fail(manifestPath, 'field metric.kind: a server is measured by "rate-csv" from its load');
  if (!m.server && m.metric.kind === "rate-csv")
    fail(
      manifestPath,
      'field metric.kind: a program without "server" is measured by "wall" or "reported"',
    );
  if (m.server && !m.args.some((a) => a.includes("{port}")))
    fail(manifestPath, "field args: a server must be given {port}");
  if (m.metric.kind === "reported" && m.metric.better === "lower" && !(m.metric.unit in TIME_UNITS))
    fail(
      manifestPath,
      `field metric.unit: a lower-is-better reported value is a time: one of ${Object.keys(TIME_UNITS).join(", ")} (got "${m.metric.unit}")`,
    );
  const regexes: [string, string | undefined][] =
    m.metric.kind === "wall"
      ? [
          ["metric.ops", m.metric.ops],
          ["metric.checksum", m.metric.checksum],
        ]
      : m.metric.kind === "reported"
        ? [
            ["metric.value", m.metric.value],
            ["metric.checksum", m.metric.checksum],
          ]
        : [];
  for (const [field, source] of regexes) {
    if (source === undefined) continue;
    let re: RegExp;
    try {
      re = new RegExp(source);
    } catch (error) {
      fail(manifestPath, `field ${field}: invalid regex (${(error as Error).message})`);
    }
    if (new RegExp(`${re.source}|`).exec("")?.length === 1)
      fail(manifestPath, `field ${field}: the regex needs a capturing group`);
  }
}

/** Parse one manifest's text; every problem is a UsageError naming the file and field. */
export function parseProgramManifest(
  text: string,
  manifestPath: string,
  dir: string,
): ProgramDefinition {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    fail(manifestPath, `invalid JSON (${(error as Error).message})`);
  }
  const parsed = ProgramManifestSchema.safeParse(json);
  if (!parsed.success)
    throw new UsageError(describeIssue(manifestPath, parsed.error, ProgramManifestSchema));
  const m = parsed.data;
  if (m.name !== path.basename(dir))
    fail(manifestPath, `name "${m.name}" must match its directory "${path.basename(dir)}"`);
  checkManifest(m, manifestPath);
  return { ...m, kind: "program", dir, manifestPath };
}

async function subdirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/**
 * Every program manifest under the roots: `<root>/external/<name>/program.json` and
 * `<root>/<name>/program.json`. A name defined twice (two manifests, or a manifest and a
 * synthetic workload's workload.json) is refused: neither may silently shadow the other.
 */
export async function loadPrograms(roots: readonly string[]): Promise<ProgramDefinition[]> {
  const found = new Map<string, ProgramDefinition>();
  for (const root of roots) {
    const candidates = [
      ...(await subdirs(path.join(root, "external"))).map((d) => path.join(root, "external", d)),
      ...(await subdirs(root)).map((d) => path.join(root, d)),
    ];
    for (const dir of candidates) {
      const manifestPath = path.join(dir, "program.json");
      let text: string;
      try {
        text = await readRegularFile(manifestPath, "utf8");
      } catch (error) {
        if (error instanceof NotRegularFileError) throw new UsageError(error.message);
        continue;
      }
      const program = parseProgramManifest(text, manifestPath, dir);
      const before = found.get(program.name);
      if (before)
        throw new UsageError(
          `program "${program.name}" is defined twice: ${before.manifestPath} and ${manifestPath}; rename one (its directory and "name")`,
        );
      found.set(program.name, program);
    }
  }
  for (const workload of await loadWorkloads(roots)) {
    const program = found.get(workload.name);
    if (program)
      throw new UsageError(
        `program "${workload.name}" (${program.manifestPath}) has the name of the workload ${path.join(workload.dir, "workload.json")}; rename the program (its directory and "name")`,
      );
  }
  return [...found.values()];
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    if (!(await stat(file)).isFile()) return false;
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A path named by a manifest (`{dir}` substituted), relative to the manifest's directory, resolved
 * by the file system: `..` after a symbolic link goes where the kernel would, not where the text
 * points. Undefined when it does not exist.
 */
export async function resolveManifestPath(text: string, dir: string): Promise<string | undefined> {
  const substituted = substitute(text, { dir });
  // String concatenation, not path.join: joining would normalise "link/.." as text.
  const joined = substituted.startsWith("/") ? substituted : `${dir}/${substituted}`;
  try {
    return await realpath(joined);
  } catch {
    return undefined;
  }
}

/**
 * A command name as execvp would find it: a bare name is looked up on PATH; a name with a slash
 * is a path relative to `dir` (the manifest's directory; default: the current directory).
 */
export async function findOnPath(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  dir: string = process.cwd(),
): Promise<string | undefined> {
  if (name.includes("/")) {
    const resolved = await resolveManifestPath(name, dir);
    return resolved && (await isExecutableFile(resolved)) ? resolved : undefined;
  }
  for (const entry of (env["PATH"] ?? "").split(":").filter(Boolean)) {
    const candidate = path.join(entry, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

export type ProgramAvailability =
  | {
      available: true;
      /** The binary to run per libc (absolute, resolved through symbolic links). */
      builds: Map<Libc, string>;
      /** Why a declared libc's binary cannot run. */
      missing: Map<Libc, string>;
      /** Absolute paths of every helper command the manifest names. */
      commands: Map<string, string>;
      /** The file fed to stdin, resolved (null: /dev/null). */
      stdin: string | null;
    }
  | { available: false; reason: string };

async function notFound(name: string, dir: string): Promise<string> {
  if (!name.includes("/")) return `${name} not found on PATH`;
  const resolved = await resolveManifestPath(name, dir);
  return resolved ? `${name} (${resolved}) is not an executable file` : `${name} does not exist`;
}

/** A reason an absent program cannot run, with the command that installs it when it has packages. */
function withInstallHint(program: ProgramManifest, reason: string): string {
  const packages = program.packages;
  if (!packages || Object.keys(packages).length === 0) return reason;
  const apt = packages.apt ? ` (Debian/Ubuntu: ${packages.apt.join(" ")})` : "";
  return `${reason}; bench setup --programs installs it${apt}`;
}

/** The libc a binary links, or why it cannot be measured under LD_PRELOAD. */
async function libcOfBinary(binary: string): Promise<{ libc: Libc } | { reason: string }> {
  try {
    const info = await readElfInfo(binary);
    if (!info.hasDynamic || !info.interp)
      return { reason: `${binary} is statically linked: LD_PRELOAD cannot apply` };
    const libc = libcOfNeeded(info.needed);
    if (libc === "none")
      return { reason: `${binary} links no known libc: LD_PRELOAD cannot be verified` };
    return { libc };
  } catch (error) {
    return { reason: `${binary} is not a readable ELF program: ${(error as Error).message}` };
  }
}

/** Is the program (and every command its manifest runs) installed, and which libc does it use? */
export async function checkAvailability(
  program: ProgramDefinition,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ProgramAvailability> {
  const names = [
    ...program.setup.map((c) => c[0] as string),
    ...program.teardown.map((c) => c[0] as string),
    ...(program.server
      ? [
          program.server.ready.command[0] as string,
          program.server.load.command[0] as string,
          program.server.stop.command[0] as string,
        ]
      : []),
  ];
  const commands = new Map<string, string>();
  for (const name of names) {
    if (commands.has(name)) continue;
    const found = await findOnPath(name, env, program.dir);
    if (!found)
      return {
        available: false,
        reason: withInstallHint(program, await notFound(name, program.dir)),
      };
    commands.set(name, found);
  }
  let stdin: string | null = null;
  if (program.stdin !== undefined) {
    const file = await resolveManifestPath(program.stdin, program.dir);
    let regular = false;
    try {
      regular = file !== undefined && (await stat(file)).isFile();
    } catch {
      regular = false;
    }
    if (!file || !regular)
      return {
        available: false,
        reason: file
          ? `stdin ${program.stdin} is not a regular file`
          : `stdin ${program.stdin} does not exist`,
      };
    stdin = file;
  }
  // A working directory without {tmp} is fixed: it must exist before anything runs.
  if (program.cwd !== undefined && !program.cwd.includes("{tmp}")) {
    const cwd = await resolveManifestPath(program.cwd, program.dir);
    const isDir = cwd
      ? await stat(cwd).then(
          (s) => s.isDirectory(),
          () => false,
        )
      : false;
    if (!isDir)
      return {
        available: false,
        reason: cwd ? `cwd ${program.cwd} is not a directory` : `cwd ${program.cwd} does not exist`,
      };
  }
  const builds = new Map<Libc, string>();
  const missing = new Map<Libc, string>();
  const reasons: string[] = [];
  for (const [declared, name] of declaredBinaries(program)) {
    const binary = await findOnPath(name, env, program.dir);
    const checked = binary
      ? await libcOfBinary(binary)
      : { reason: await notFound(name, program.dir) };
    if ("reason" in checked) {
      reasons.push(checked.reason);
      if (declared) missing.set(declared, checked.reason);
    } else if (declared && checked.libc !== declared) {
      const reason = `${binary ?? name} is declared as the ${declared} build but links ${checked.libc}`;
      reasons.push(reason);
      missing.set(declared, reason);
    } else if (builds.has(checked.libc)) {
      reasons.push(`${binary ?? name}: a second ${checked.libc} binary`);
    } else {
      builds.set(checked.libc, binary as string);
    }
  }
  if (builds.size === 0)
    return { available: false, reason: withInstallHint(program, reasons.join("; ")) };
  return { available: true, builds, missing, commands, stdin };
}

/** The value of each param at a size, as text. */
export function paramValues(program: ProgramManifest, size: Size): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of program.params) out[p.name] = String(p.default[size]);
  return out;
}

/** Replace `{name}` placeholders (validated at load time) in one argument. */
export function substitute(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(
    /\{([A-Za-z][A-Za-z0-9]*)\}/g,
    (whole, name: string) => values[name] ?? whole,
  );
}

/** `bench list workloads` entries for the programs: kind "program", and whether each can run. */
export async function listPrograms(roots: readonly string[]): Promise<Record<string, unknown>[]> {
  const entries: Record<string, unknown>[] = [];
  for (const p of await loadPrograms(roots)) {
    const availability = await checkAvailability(p);
    entries.push({
      name: p.name,
      description: p.description,
      kind: "program",
      multithreaded: p.multithreaded,
      threads: p.multithreaded ? (p.threads ?? null) : "single-threaded: runs at t1 only",
      params: p.params,
      ...(p.packages ? { packages: p.packages } : {}),
      binary: !availability.available
        ? p.binary
        : typeof p.binary === "string"
          ? [...availability.builds.values()][0]
          : Object.fromEntries(availability.builds),
      status: availability.available
        ? [
            "available",
            ...[...availability.missing].map(([libc, why]) => `${libc} absent: ${why}`),
          ].join("; ")
        : `absent: ${availability.reason}`,
      dir: p.dir,
    });
  }
  return entries;
}
