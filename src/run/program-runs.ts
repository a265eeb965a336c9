import { createServer } from "node:net";
import { mkdir, mkdtemp, readFile, rename, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runHelper } from "../util/exec.js";
import { readElfInfo } from "../platform/elf.js";
import type { Libc, ResolvedAllocator } from "../allocators/types.js";
import type { Toolchain } from "../platform/toolchain.js";
import { UsageError } from "../errors.js";
import { launch, type LaunchRequest } from "../measure/launcher.js";
import { cacheDir, workloadsDir } from "../paths.js";
import { cellKey } from "../plan/schedule.js";
import type { FailureKind, Plan, ProgramRun, RunRecord } from "../results/schema.js";
import { sha256Hex } from "../util/hash.js";
import {
  checkAvailability,
  loadPrograms,
  paramValues,
  resolveManifestPath,
  substitute,
  TIME_UNITS,
  type ProgramAvailability,
  type ProgramDefinition,
} from "../targets/programs.js";
import {
  failedRun,
  launchExtras,
  metricsOf,
  processFailure,
  tail,
  type Failure,
  type RunBase,
} from "./outcome.js";
import {
  entryPointsOf,
  interpositionProblem,
  PROGRAM_ENTRY_POINTS,
  probeKey,
} from "../setup/identity.js";
import { realpathOr } from "../setup/prepare.js";
import { preloadList, preloadPath } from "../allocators/preload.js";

/**
 * External programs in a run (docs/programs.md): which requested workloads are programs, which of
 * their cells cannot run and why, and how one run of a program is measured and verified.
 */

/** How interposition is verified; recorded in every program run. */
export const INTERPOSITION_METHOD =
  "identity preload: a probe library preloaded after the allocator names the object each allocation entry point binds to (dladdr of its own versioned reference) and the libc (__libc_start_main), and lists /proc/self/maps at process start; malloc, free and every entry point a mapped object imports must come from the expected object";

export interface SkippedCell {
  cell: string;
  reason: string;
}

interface ReadyProgram {
  definition: ProgramDefinition;
  availability: ProgramAvailability;
  /** The identity probe library built for each libc the program has a binary for. */
  identityLibs: Map<Libc, string>;
  /** Per libc, for a binary that links another allocator: preload the libc itself. */
  libcPreload: Map<Libc, string>;
  /**
   * Checksums of reference runs under the libc's own malloc, by binary, threads and parameters:
   * a declared checksum must not depend on the allocator.
   */
  references: Map<string, Promise<{ checksum: string } | { error: string }>>;
}

export interface ProgramSet {
  programs: Map<string, ReadyProgram>;
  /** The identity probe library per libc (built for the programs that are available). */
  identityLibs: Map<Libc, string>;
  skipped: SkippedCell[];
  /**
   * Cells (probeKey) whose probe showed an incomplete interposition: their runs are recorded as
   * failed without being run.
   */
  refused: Map<string, { message: string; identity: string | null }>;
  /** Why cells are skipped, what the probe found: recorded in the results' warnings. */
  warnings: string[];
}

/**
 * Split the requested workload names into synthetic workloads and programs. `all` means the
 * synthetic workloads; programs come in by name, or all of them with `includePrograms`.
 */
export async function splitWorkloads(
  roots: readonly string[],
  syntheticNames: readonly string[],
  requested: readonly string[] | "all",
  includePrograms: boolean,
): Promise<{ synthetic: string[] | "all"; programs: ProgramDefinition[] }> {
  const all = await loadPrograms(roots);
  const byName = new Map(all.map((p) => [p.name, p]));
  if (requested === "all") return { synthetic: "all", programs: includePrograms ? all : [] };
  const synthetic = new Set(syntheticNames);
  const unknown = requested.filter((n) => !synthetic.has(n) && !byName.has(n));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown workload ${unknown.map((n) => `"${n}"`).join(", ")} (valid: ${[...syntheticNames, ...all.map((p) => p.name)].join(", ")})`,
    );
  }
  const programs = [...new Set(requested)]
    .filter((n) => !synthetic.has(n))
    .map((n) => byName.get(n) as ProgramDefinition);
  for (const p of includePrograms ? all : [])
    if (!programs.includes(p) && !synthetic.has(p.name)) programs.push(p);
  return { synthetic: [...new Set(requested)].filter((n) => synthetic.has(n)), programs };
}

/** Compile the identity probe library once per content, with the toolchain of the programs' libc. */
async function buildIdentityLib(host: Toolchain): Promise<string> {
  const source = path.join(workloadsDir(), "external", "identity-preload.c");
  // -z now: the jump slots the probe reads are bound before its constructor runs.
  const flags = ["-O2", "-fPIC", "-shared", "-Wl,-z,now", "-Wall", "-Wextra"];
  const hash = sha256Hex(
    [await readFile(source, "utf8"), host.cc.join(" "), host.ccVersion, flags.join(" ")].join("\0"),
  ).slice(0, 16);
  const dir = path.join(cacheDir(), "programs", hash);
  const lib = path.join(dir, "libmallocbench-identity.so");
  try {
    if ((await stat(lib)).isFile()) return lib;
  } catch {
    // not built yet
  }
  await mkdir(dir, { recursive: true });
  const tmp = `${lib}.tmp-${process.pid}-${Date.now()}`;
  const [cmd, ...pre] = host.cc as [string, ...string[]];
  const result = await runHelper(cmd, [...pre, ...flags, source, "-o", tmp, "-ldl"], {
    reject: false,
    all: true,
    timeout: 120_000,
  });
  if (result.exitCode !== 0) {
    await rm(tmp, { force: true });
    throw new Error(`cannot build the identity probe library: ${String(result.all).slice(-500)}`);
  }
  await rename(tmp, lib);
  return lib;
}

interface IdentityLine {
  pid: number;
  malloc: string | null;
  free: string | null;
  /** Each entry point in PROGRAM_ENTRY_POINTS -> the object defining it (null: none). */
  entryPoints?: unknown;
  /** The object defining __libc_start_main: the libc, glibc's or musl's. */
  libc: string | null;
  mapped: string[];
}

async function readIdentity(file: string, pid?: number): Promise<IdentityLine | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return undefined;
  }
  const lines: IdentityLine[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      lines.push(JSON.parse(line) as IdentityLine);
    } catch {
      // a line another process was writing; ours is whole (one write(2))
    }
  }
  return pid === undefined ? lines[0] : lines.find((l) => l.pid === pid);
}

/** The preload value for one allocator: allocator (or libc) first, then the identity probe. */
function preloadFor(
  allocator: ResolvedAllocator,
  program: ReadyProgram,
  identityLib: string,
): string {
  const first = allocator.lib ?? program.libcPreload.get(allocator.libc);
  return preloadList([first, identityLib].filter((x): x is string => Boolean(x)));
}

/** Imported dynamic symbols per object file, read once per process (null: not an ELF file). */
const importsCache = new Map<string, ReadonlySet<string> | null>();

async function importsOf(file: string): Promise<ReadonlySet<string> | null> {
  const cached = importsCache.get(file);
  if (cached !== undefined) return cached;
  let imports: ReadonlySet<string> | null = null;
  try {
    imports = (await readElfInfo(file)).importedSymbols ?? null;
  } catch {
    imports = null; // data files mapped by the program (locale archive, caches)
  }
  importsCache.set(file, imports);
  return imports;
}

/**
 * The entry points a process uses: malloc and free always, and every other one in
 * PROGRAM_ENTRY_POINTS that an object mapped in it imports.
 */
export async function usedEntryPoints(mapped: readonly string[]): Promise<string[]> {
  const used = new Set<string>(["malloc", "free"]);
  for (const file of new Set(mapped)) {
    const imports = await importsOf(file);
    for (const name of PROGRAM_ENTRY_POINTS) if (imports?.has(name)) used.add(name);
  }
  return PROGRAM_ENTRY_POINTS.filter((name) => used.has(name));
}

/** Run the program's probe arguments with a preload: how does the process resolve its allocator? */
async function probeDefault(
  binary: string,
  program: ProgramDefinition,
  preload: string,
  env: Readonly<Record<string, string>> = {},
): Promise<IdentityLine | { error: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mallocbench-probe-"));
  try {
    const file = path.join(dir, "identity.jsonl");
    const result = await runHelper(
      binary,
      program.probe.map((a) => substitute(a, { dir: program.dir })),
      {
        cwd: program.dir,
        reject: false,
        stdin: "ignore",
        timeout: 30_000,
        env: { ...env, LD_PRELOAD: preload, MALLOCBENCH_IDENTITY_FILE: file },
      },
    );
    const id = await readIdentity(file);
    if (!id) {
      return {
        error: `${binary} ${program.probe.join(" ")} wrote no identity (${result.signal ?? `exit ${String(result.exitCode)}`})`,
      };
    }
    return id;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Decide each program's cells: absent programs, allocators of another libc and thread counts a
 * single-threaded program does not have are skipped with their reason. Builds the identity probe
 * and learns, per program, whether its glibc runs need the libc preloaded.
 */
export async function preparePrograms(options: {
  programs: readonly ProgramDefinition[];
  allocators: readonly ResolvedAllocator[];
  threads: readonly number[];
  host: Toolchain | undefined;
  /** Toolchain per libc: a musl program's identity probe is built with musl's (default: host). */
  toolchains?: ReadonlyMap<Libc, Toolchain>;
  /** --metric instructions: programs are not run under callgrind, so their cells are skipped. */
  instructions?: boolean;
  onWarning?: (message: string) => void;
}): Promise<ProgramSet> {
  const set: ProgramSet = {
    programs: new Map(),
    identityLibs: new Map(),
    skipped: [],
    refused: new Map(),
    warnings: [],
  };
  const warn = (message: string): void => {
    set.warnings.push(message);
    options.onWarning?.(message);
  };
  const skip = (workload: string, allocator: string, threads: number, reason: string): void => {
    set.skipped.push({ cell: cellKey({ workload, allocator, threads }), reason });
  };
  for (const definition of options.programs) {
    const availability = await checkAvailability(definition);
    const ready: ReadyProgram = {
      definition,
      availability,
      identityLibs: new Map(),
      libcPreload: new Map(),
      references: new Map(),
    };
    set.programs.set(definition.name, ready);
    if (options.instructions) {
      const reason = "instructions mode: external programs are not run under callgrind";
      warn(`program ${definition.name} skipped: ${reason}`);
      for (const a of options.allocators)
        for (const t of options.threads) skip(definition.name, a.name, t, reason);
      continue;
    }
    if (!availability.available) {
      warn(`program ${definition.name} skipped: absent: ${availability.reason}`);
      for (const a of options.allocators)
        for (const t of options.threads)
          skip(definition.name, a.name, t, `absent: ${availability.reason}`);
      continue;
    }
    const linked = [...availability.builds.keys()].join(" and ");
    const noBuild = (libc: Libc): string => {
      const missing = availability.missing.get(libc);
      return missing ? `absent: ${missing}` : `program is linked against ${linked}`;
    };
    for (const [libc, binary] of availability.builds) {
      if (!options.allocators.some((a) => a.libc === libc)) continue;
      const toolchain = options.toolchains?.get(libc) ?? options.host;
      if (!toolchain) throw new Error("no host C compiler to build the identity probe library");
      let identityLib = set.identityLibs.get(libc);
      if (!identityLib) {
        identityLib = await buildIdentityLib(toolchain);
        set.identityLibs.set(libc, identityLib);
      }
      ready.identityLibs.set(libc, identityLib);
      const id = await probeDefault(binary, definition, preloadPath(identityLib));
      if ("error" in id) {
        warn(`program ${definition.name}: probe failed: ${id.error}`);
      } else if (id.malloc && id.libc && realpathOr(id.malloc) !== realpathOr(id.libc)) {
        ready.libcPreload.set(libc, id.libc);
        warn(
          `program ${definition.name}: ${binary} resolves malloc to ${id.malloc}, not the libc; its ${libc} runs preload ${id.libc} so that malloc is the libc's`,
        );
      }
    }
    for (const a of options.allocators) {
      for (const t of options.threads) {
        if (!availability.builds.has(a.libc)) skip(definition.name, a.name, t, noBuild(a.libc));
        else if (!definition.multithreaded && t !== 1)
          skip(definition.name, a.name, t, "single-threaded program: runs at t1 only");
      }
    }
    const otherLibc = options.allocators.filter((a) => !availability.builds.has(a.libc));
    for (const libc of new Set(otherLibc.map((a) => a.libc)))
      warn(
        `program ${definition.name} skipped under ${otherLibc
          .filter((a) => a.libc === libc)
          .map((a) => a.name)
          .join(", ")}: ${noBuild(libc)}`,
      );
    if (!definition.multithreaded && !options.threads.includes(1))
      warn(
        `program ${definition.name} is single-threaded and runs at t1 only, which this plan's threads do not include`,
      );
    else if (!definition.multithreaded && options.threads.some((t) => t !== 1))
      warn(`program ${definition.name} is single-threaded: it runs at t1 only`);
    // Settle interposition once per cell before measuring: a cell whose entry points do not all
    // reach its allocator fails here, in seconds, instead of after every run.
    for (const allocator of options.allocators) {
      const binary = availability.builds.get(allocator.libc);
      const identityLib = ready.identityLibs.get(allocator.libc);
      if (!binary || !identityLib) continue;
      if (!definition.multithreaded && !options.threads.includes(1)) continue;
      const preload = preloadFor(allocator, ready, identityLib);
      const probed = await probeDefault(binary, definition, preload, allocator.env);
      if ("error" in probed) {
        warn(`program ${definition.name} under ${allocator.name}: probe failed: ${probed.error}`);
        continue;
      }
      const verdict = await verify(probed, allocator, preload);
      if (verdict.failure) {
        set.refused.set(probeKey(definition.name, allocator.name), {
          message: verdict.failure,
          identity: verdict.identity,
        });
        warn(
          `program ${definition.name} under ${allocator.name}: ${verdict.failure}; its runs are recorded as failed (not-interposed) without being run`,
        );
      }
    }
  }
  return set;
}

/** A free TCP port on loopback (the kernel picks it; the listener is closed before use). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Parse CSV with quoted fields (redis-benchmark --csv). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const fields: string[] = [];
    let i = 0;
    while (i <= line.length) {
      if (line[i] === '"') {
        let value = "";
        i += 1;
        while (i < line.length) {
          if (line[i] === '"' && line[i + 1] === '"') {
            value += '"';
            i += 2;
          } else if (line[i] === '"') {
            i += 1;
            break;
          } else {
            value += line[i];
            i += 1;
          }
        }
        fields.push(value);
        i += 1; // the comma
      } else {
        const end = line.indexOf(",", i);
        fields.push((end === -1 ? line.slice(i) : line.slice(i, end)).trim());
        i = end === -1 ? line.length + 1 : end + 1;
      }
    }
    rows.push(fields);
  }
  return rows;
}

/** Throughput rows of a CSV: label -> rate. */
export function ratesFromCsv(
  text: string,
  labelColumn: string,
  rateColumn: string,
): Map<string, number> {
  const rows = parseCsv(text);
  const header = rows.findIndex((r) => r.includes(labelColumn) && r.includes(rateColumn));
  const rates = new Map<string, number>();
  if (header === -1) return rates;
  const labelAt = (rows[header] as string[]).indexOf(labelColumn);
  const rateAt = (rows[header] as string[]).indexOf(rateColumn);
  for (const row of rows.slice(header + 1)) {
    const label = row[labelAt];
    const rate = Number(row[rateAt]);
    if (label !== undefined && Number.isFinite(rate) && rate > 0) rates.set(label, rate);
  }
  return rates;
}

function firstMatch(text: string, pattern: string): string | undefined {
  const re = new RegExp(pattern, "m");
  return re.exec(text)?.[1];
}

async function runCommands(
  commands: readonly (readonly string[])[],
  resolved: Map<string, string>,
  values: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  for (const command of commands) {
    const [name, ...args] = command as [string, ...string[]];
    const result = await runHelper(
      resolved.get(name) ?? name,
      args.map((a) => substitute(a, values)),
      {
        reject: false,
        all: true,
        stdin: "ignore",
        timeout: 60_000,
        ...(signal ? { cancelSignal: signal } : {}),
      },
    );
    if (result.exitCode !== 0)
      return `${name} failed (${result.signal ?? `exit ${String(result.exitCode)}`}): ${tail(String(result.all), 300)}`;
  }
  return undefined;
}

interface Verdict {
  interposition: ProgramRun["interposition"];
  identity: string | null;
  failure?: string;
}

/** A run's first failure, the process's before the interposition's, as its record; or null. */
function firstFailure(
  base: RunBase,
  problem: Failure | undefined,
  verdict: Verdict,
  outcome: Parameters<typeof failedRun>[3],
  more: Parameters<typeof failedRun>[4],
): RunRecord | null {
  const failure =
    problem ??
    (verdict.failure ? { kind: "not-interposed" as const, message: verdict.failure } : undefined);
  return failure ? failedRun(base, failure, verdict.identity, outcome, more) : null;
}

/** Compare what the identity probe saw with the allocator asked for. */
async function verify(
  id: IdentityLine | undefined,
  allocator: ResolvedAllocator,
  preload: string,
  mapsDuringLoad?: string,
): Promise<Verdict> {
  const expected = allocator.lib
    ? (allocator.realLib ?? realpathOr(allocator.lib))
    : id?.libc
      ? realpathOr(id.libc)
      : null;
  const base = { method: INTERPOSITION_METHOD, preload };
  if (!id || !expected) {
    return {
      interposition: {
        ...base,
        expected,
        malloc: null,
        free: null,
        mapped: false,
        verified: false,
      },
      identity: null,
      failure: "allocator not interposed: the identity probe reported nothing",
    };
  }
  const malloc = id.malloc ? realpathOr(id.malloc) : null;
  const free = id.free ? realpathOr(id.free) : null;
  const mapped = id.mapped.map(realpathOr).includes(expected);
  const duringLoad =
    mapsDuringLoad === undefined
      ? undefined
      : mapsDuringLoad
          .split("\n")
          .map((l) => l.slice(l.indexOf("/")))
          .filter((f) => f.startsWith("/"))
          .map(realpathOr)
          .includes(expected);
  // The identity probe (last in the preload) references every entry point itself: not a use.
  const probeLib = realpathOr(preload.split(":").at(-1) ?? "");
  const used = await usedEntryPoints(
    [...id.mapped, id.libc ?? ""].filter((f) => f && realpathOr(f) !== probeLib),
  );
  const reported = entryPointsOf(id.entryPoints);
  const entryPoints = Object.fromEntries(
    used.map((name) => {
      const file = reported?.[name];
      return [name, file ? realpathOr(file) : null];
    }),
  );
  const partial = interpositionProblem(
    id.entryPoints,
    used,
    (file) => realpathOr(file) === expected,
    expected,
  );
  const verified = partial === undefined && mapped && duringLoad !== false;
  const interposition = {
    ...base,
    expected,
    malloc,
    free,
    entryPoints,
    mapped,
    ...(duringLoad !== undefined ? { mappedDuringLoad: duringLoad } : {}),
    verified,
  };
  if (verified) return { interposition, identity: malloc };
  const why =
    partial ??
    (!mapped
      ? `allocator not interposed: ${expected} is not mapped in the process`
      : `allocator not interposed: ${expected} was not mapped in the server during the load (/proc/${id.pid}/maps)`);
  return { interposition, identity: malloc, failure: why };
}

/** Measure one run of a program cell; null when interrupted. */
export async function measureProgram(
  set: ProgramSet,
  base: RunBase,
  allocator: ResolvedAllocator,
  launcher: string,
  plan: Plan,
  signal: AbortSignal | undefined,
  /** False for the reference run a declared checksum is compared with. */
  checkResult = true,
): Promise<RunRecord | null> {
  const ready = set.programs.get(base.workload);
  const binary = ready?.availability.available
    ? ready.availability.builds.get(allocator.libc)
    : undefined;
  const identityLib = ready?.identityLibs.get(allocator.libc);
  if (!ready?.availability.available || !binary || !identityLib)
    throw new Error(`program cell scheduled for an unavailable program: ${base.key}`);
  const { definition: def } = ready;
  const availability = ready.availability;
  const tmp = await mkdtemp(path.join(os.tmpdir(), "mallocbench-program-"));
  try {
    const run = await programLaunch({
      ready,
      availability,
      binary,
      identityLib,
      base,
      allocator,
      launcher,
      plan,
      tmp,
      signal,
    });
    const { values, program } = run;
    if (run.request.cwd === undefined)
      return failedRun(
        base,
        { kind: "spawn-failed", message: `cwd ${def.cwd ?? ""} does not exist` },
        null,
        undefined,
        { program },
      );
    const setupError = await runCommands(def.setup, availability.commands, values, signal);
    if (setupError) {
      if (signal?.aborted) return null;
      return failedRun(
        base,
        { kind: "spawn-failed", message: `setup: ${setupError}` },
        null,
        undefined,
        { program },
      );
    }
    try {
      const record = def.server ? await measureServer(run) : await measureProcess(run);
      if (
        !checkResult ||
        record?.status !== "ok" ||
        !("checksum" in def.metric) ||
        !def.metric.checksum
      )
        return record;
      return await checkChecksum(set, ready, record, allocator, launcher, plan, signal);
    } finally {
      await runCommands(def.teardown, availability.commands, values, undefined);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * What one run of a program launches: the manifest's arguments and environment with its
 * placeholders filled in, the allocator (or the libc) and the identity probe preloaded, its cwd
 * and stdin. `request.cwd` is undefined when the manifest's cwd does not exist.
 */
async function programLaunch(o: {
  ready: ReadyProgram;
  availability: Extract<ProgramAvailability, { available: true }>;
  binary: string;
  identityLib: string;
  base: RunBase;
  allocator: ResolvedAllocator;
  launcher: string;
  plan: Plan;
  /** The run's own temporary directory ({tmp}). */
  tmp: string;
  signal: AbortSignal | undefined;
}): Promise<ProgramLaunch> {
  const { ready, availability, binary, base, allocator, plan, signal } = o;
  const def = ready.definition;
  const values: Record<string, string> = {
    ...paramValues(def, plan.size),
    // --param values set on the cell (for the program's own params).
    ...(base.params ?? {}),
    dir: def.dir,
    tmp: o.tmp,
    threads: String(base.threads),
    port: def.server ? String(await freePort()) : "",
  };
  const args = def.args.map((a) => substitute(a, values));
  const identityFile = path.join(o.tmp, "identity.jsonl");
  const preload = preloadFor(allocator, ready, o.identityLib);
  const setEnv = {
    ...Object.fromEntries(Object.entries(def.env).map(([k, v]) => [k, substitute(v, values)])),
    ...allocator.env,
    LD_PRELOAD: preload,
    MALLOCBENCH_IDENTITY_FILE: identityFile,
  };
  // By default in its own directory, so a script names its files relatively, never by a path
  // spliced into the program's own language (sqlite3's `.read build.sql`).
  const cwd =
    def.cwd === undefined
      ? def.dir
      : await resolveManifestPath(substitute(def.cwd, values), def.dir);
  const program: ProgramRun = {
    command: [binary, ...args],
    interposition: {
      method: INTERPOSITION_METHOD,
      preload,
      expected: null,
      malloc: null,
      free: null,
      mapped: false,
      verified: false,
    },
  };
  const request: LaunchRequest = {
    launcher: o.launcher,
    program: binary,
    args,
    setEnv,
    unsetEnv: [],
    timeoutMs: plan.timeoutMs,
    rssIntervalMs: plan.rssIntervalMs,
    cpus: plan.cpus,
    ...(cwd !== undefined ? { cwd } : {}),
    ...(availability.stdin ? { stdin: availability.stdin } : {}),
    ...(signal ? { signal } : {}),
  };
  return {
    def,
    availability,
    values,
    request,
    base,
    allocator,
    preload,
    program,
    identityFile,
    signal,
  };
}

/**
 * A declared checksum must not depend on the allocator: compare each run's with a reference run
 * of the same binary, threads and parameters under the libc's own malloc, taken once.
 */
async function checkChecksum(
  set: ProgramSet,
  ready: ReadyProgram,
  record: Extract<RunRecord, { status: "ok" }>,
  allocator: ResolvedAllocator,
  launcher: string,
  plan: Plan,
  signal: AbortSignal | undefined,
): Promise<RunRecord | null> {
  const libcOwn: ResolvedAllocator = {
    name: allocator.libc,
    family: allocator.libc,
    libc: allocator.libc,
    env: {},
    source: "libc",
  };
  const key = JSON.stringify([allocator.libc, record.threads, record.params ?? {}]);
  let reference = ready.references.get(key);
  if (!reference) {
    const base = { ...record, key: `${record.key}#reference` } as RunBase;
    reference = measureProgram(set, base, libcOwn, launcher, plan, signal, false).then((r) => {
      if (!r) return { error: "interrupted" };
      if (r.status !== "ok") return { error: `${r.failure.kind}: ${r.failure.message}` };
      if (r.checksum === null) return { error: "it printed no line matching metric.checksum" };
      return { checksum: r.checksum };
    });
    ready.references.set(key, reference);
  }
  const outcome = await reference;
  if (signal?.aborted) return null;
  const under = `the reference run under ${allocator.libc}'s own malloc`;
  const mismatch =
    "error" in outcome
      ? {
          kind: "result-unverified" as const,
          message: `checksum ${record.checksum ?? "(none)"} cannot be checked: ${under} failed (${outcome.error})`,
        }
      : record.checksum !== outcome.checksum
        ? {
            kind: "result-mismatch" as const,
            message: `checksum ${record.checksum ?? "(none: no line matched metric.checksum)"} differs from ${outcome.checksum} of ${under}: the program did other work, or its checksum depends on the allocator or the run`,
          }
        : undefined;
  if (!mismatch) return record;
  const { metrics, checksum: _checksum, status: _status, ...rest } = record;
  return {
    ...rest,
    status: "failed",
    failure: mismatch,
    metrics,
    exitCode: 0,
    signal: null,
    stderrTail: "",
  };
}

/** One launch of a program cell: what to start, and what judging its outcome needs. */
interface ProgramLaunch {
  def: ProgramDefinition;
  availability: Extract<ProgramAvailability, { available: true }>;
  /** The values substituted into the manifest's arguments, environment and commands. */
  values: Record<string, string>;
  request: LaunchRequest;
  base: RunBase;
  allocator: ResolvedAllocator;
  preload: string;
  /** The run's program record; its interposition and figures are filled in when judged. */
  program: ProgramRun;
  /** Where the identity probe writes what the process resolved its allocator to. */
  identityFile: string;
  signal: AbortSignal | undefined;
}

/** A program that exits: its own wall time or a figure it prints is the measurement. */
async function measureProcess(run: ProgramLaunch): Promise<RunRecord | null> {
  const { def, request, base, allocator, preload, program, identityFile } = run;
  const outcome = await launch(request);
  const problem = processFailure(outcome, request.program);
  if (problem === "interrupted") return null;
  const id = await readIdentity(identityFile);
  const verdict = await verify(id, allocator, preload);
  program.interposition = verdict.interposition;
  const failed = firstFailure(base, problem, verdict, outcome, { program });
  if (failed) return failed;
  const metrics = metricsOf(outcome.record);
  if (!metrics) throw new Error(`launcher reported an exited program without rusage: ${base.key}`);
  const value = measuredValue(def.metric, outcome.stdout, metrics.wallSeconds);
  if ("problem" in value)
    return failedRun(
      base,
      { kind: value.kind, message: `${path.basename(request.program)} ${value.problem}` },
      verdict.identity,
      outcome,
      { program },
    );
  if (value.figures) program.figures = value.figures;
  const checksum =
    "checksum" in def.metric && def.metric.checksum
      ? firstMatch(outcome.stdout, def.metric.checksum)
      : undefined;
  return {
    ...base,
    ...launchExtras(outcome),
    status: "ok",
    identity: verdict.identity,
    metrics: { ...metrics, ...value.metrics },
    checksum: checksum ?? null,
    program,
  };
}

/**
 * The measured value of a program that exits. `seconds` is what summaries and reports rank:
 * the wall time; a reported time; or, for a higher-is-better reported value V (a throughput),
 * 1/V, the time of one unit of work, so that ratios of `seconds` are inverse ratios of V.
 */
export function measuredValue(
  metric: ProgramDefinition["metric"],
  stdout: string,
  wallSeconds: number,
):
  | {
      metrics: { seconds: number; ops: number; opsPerSecond?: number };
      figures?: Record<string, number>;
    }
  | { problem: string; kind: FailureKind } {
  if (metric.kind === "wall") {
    // Without an ops count, one run is one unit of work (opsPerSecond: runs per second).
    const text = metric.ops === undefined ? "1" : firstMatch(stdout, metric.ops);
    const ops = text === undefined ? Number.NaN : Number(text);
    if (!Number.isSafeInteger(ops) || ops < 0)
      return {
        kind: "no-result",
        problem: `exited 0 without a line matching metric.ops ${metric.ops ?? ""} (a whole number)`,
      };
    return {
      metrics: {
        seconds: wallSeconds,
        ops,
        ...(wallSeconds > 0 ? { opsPerSecond: ops / wallSeconds } : {}),
      },
    };
  }
  if (metric.kind !== "reported")
    return { kind: "no-result", problem: "is a server: measured by its load" };
  const text = firstMatch(stdout, metric.value);
  const value = text === undefined ? Number.NaN : Number(text);
  if (text === undefined || !Number.isFinite(value))
    return {
      kind: "no-result",
      problem: `exited 0 without a line matching metric.value ${metric.value} (a number)`,
    };
  const figures = { [metric.unit]: value };
  if (metric.better === "higher") {
    if (!(value > 0))
      return {
        kind: "result-implausible",
        problem: `reported ${text} ${metric.unit}: a higher-is-better value must be > 0`,
      };
    return { metrics: { seconds: 1 / value, ops: 1, opsPerSecond: value }, figures };
  }
  const seconds = value * (TIME_UNITS[metric.unit] as number);
  if (!(seconds > 0) || seconds > wallSeconds)
    return {
      kind: "result-implausible",
      problem: `reported ${text} ${metric.unit}: not > 0, or longer than the process's wall time ${wallSeconds.toFixed(3)} s`,
    };
  return { metrics: { seconds, ops: 1, opsPerSecond: 1 / seconds }, figures };
}

/**
 * A server: started under the launcher, polled until ready, loaded by the manifest's load
 * client, stopped; the load client's rates are the measurement.
 */
async function measureServer(run: ProgramLaunch): Promise<RunRecord | null> {
  const { def, availability, values, request, base, allocator, preload, program } = run;
  const { identityFile, signal } = run;
  const server = def.server as NonNullable<ProgramDefinition["server"]>;
  const metric = def.metric as Extract<ProgramDefinition["metric"], { kind: "rate-csv" }>;
  const command = (c: readonly string[]): [string, string[]] => [
    availability.commands.get(c[0] as string) as string,
    c.slice(1).map((a) => substitute(a, values)),
  ];
  let exited = false;
  const running = launch(request).finally(() => {
    exited = true;
  });
  let problem: Failure | undefined;
  let loadOutput = "";
  let mapsDuringLoad: string | undefined;
  let id: IdentityLine | undefined;
  try {
    // Readiness: poll the manifest's command until it prints what is expected.
    const deadline = Date.now() + server.ready.timeoutMs;
    let isReady = false;
    while (!exited && !signal?.aborted && Date.now() < deadline) {
      const [cmd, args] = command(server.ready.command);
      const r = await runHelper(cmd, args, { reject: false, stdin: "ignore", timeout: 2_000 });
      if (r.exitCode === 0 && String(r.stdout).trim() === server.ready.expect) {
        isReady = true;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (!isReady && !exited && !signal?.aborted) {
      problem = {
        kind: "timeout",
        message: `${path.basename(request.program)} not ready after ${server.ready.timeoutMs} ms (${server.ready.command.join(" ")})`,
      };
    }
    id = await readIdentity(identityFile);
    if (isReady) {
      const [cmd, args] = command(server.load.command);
      // The load client runs under the launcher too: it dies with bench, and its output is bounded.
      const load = launch({
        launcher: request.launcher,
        program: cmd,
        args,
        setEnv: {},
        unsetEnv: [],
        timeoutMs: request.timeoutMs,
        rssIntervalMs: 0,
        cpus: null,
        noPerf: true,
        ...(signal ? { signal } : {}),
      });
      // /proc/<pid>/maps of the server while the load runs (or right after, for a short load).
      const readMaps = async (): Promise<void> => {
        if (id && mapsDuringLoad === undefined)
          mapsDuringLoad = await readFile(`/proc/${id.pid}/maps`, "utf8").catch(() => "");
      };
      const early = new Promise<void>((resolve) => setTimeout(resolve, 100)).then(readMaps);
      const result = await load;
      await early;
      await readMaps();
      loadOutput = result.stderr ? `${result.stdout}\n${result.stderr}` : result.stdout;
      const { record } = result;
      if ((record.status !== "exited" || record.exitCode !== 0) && !signal?.aborted) {
        const how =
          record.status === "timeout"
            ? "timed out"
            : record.status === "exited"
              ? `exit ${String(record.exitCode)}`
              : (record.signalName ?? record.error ?? record.status);
        problem = {
          kind: "exit",
          message: `load ${server.load.command[0] ?? ""} failed (${how}): ${tail(loadOutput.trim().split("\n").at(-1) ?? "", 300)}`,
        };
      }
    }
  } finally {
    if (!exited) {
      const [cmd, args] = command(server.stop.command);
      await runHelper(cmd, args, { reject: false, stdin: "ignore", timeout: 10_000 });
      const stopped = await Promise.race([
        running.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000)),
      ]);
      if (!stopped && id) {
        try {
          process.kill(id.pid, "SIGTERM");
        } catch {
          // already gone
        }
      }
    }
  }
  const outcome = await running;
  const exitProblem = processFailure(outcome, path.basename(request.program));
  if (exitProblem === "interrupted" || signal?.aborted) return null;
  const verdict = await verify(id, allocator, preload, mapsDuringLoad);
  program.interposition = verdict.interposition;
  const loadTail = loadOutput ? `\n--- load ---\n${tail(loadOutput, 1000)}` : "";
  const judged = { program, extraStderr: loadTail };
  const failed = firstFailure(base, problem ?? exitProblem, verdict, outcome, judged);
  if (failed) return failed;
  const rates = ratesFromCsv(loadOutput, metric.label, metric.rate);
  const perRow = Number(substitute(metric.opsPerRow, values));
  const metrics = metricsOf(outcome.record);
  if (!metrics) throw new Error(`launcher reported an exited server without rusage: ${base.key}`);
  if (rates.size === 0 || !Number.isFinite(perRow) || perRow <= 0) {
    return failedRun(
      base,
      {
        kind: "no-result",
        message: `no "${metric.rate}" rows in the output of ${server.load.command[0] ?? "the load"}`,
      },
      verdict.identity,
      outcome,
      judged,
    );
  }
  const ops = perRow * rates.size;
  const seconds = [...rates.values()].reduce((sum, rate) => sum + perRow / rate, 0);
  program.figures = {
    serverCpuSeconds: metrics.userSeconds + metrics.sysSeconds,
    ...Object.fromEntries([...rates].map(([label, rate]) => [`${metric.rate} ${label}`, rate])),
  };
  return {
    ...base,
    ...launchExtras(outcome),
    status: "ok",
    identity: verdict.identity,
    metrics: { ...metrics, ops, seconds, opsPerSecond: ops / seconds },
    checksum: null,
    program,
  };
}
