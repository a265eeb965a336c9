/**
 * User-defined allocators (`--allocator name=/path/lib.so`) and selecting allocators by name.
 */
import { realpathSync } from "node:fs";
import { resolve as resolvePath } from "node:path";
import { UsageError } from "../errors.js";
import { ALLOCATOR_NAME_RE, LIBC_ALLOCATOR_NAMES, RESERVED_NAMES } from "./catalog.js";
import { readElfInfoSync } from "../platform/elf.js";
import type { AllocatorSpec, Libc } from "./types.js";
import { libcOfNeeded } from "./validate.js";

export interface UserAllocatorOptions {
  /** Libcs with a workload toolchain, preferred first: used when the library links no libc or cannot be read. */
  libcs?: readonly Libc[];
  /** Base for relative paths; default process.cwd(). */
  cwd?: string;
}

const FLAG = "--allocator";

function sameFile(a: string, b: string): boolean {
  if (resolvePath(a) === resolvePath(b)) return true;
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/** Names label table columns and chart legends; a results file refuses any field past 4096. */
export const ALLOCATOR_NAME_MAX = 100;

/** Validate an allocator name; throws UsageError mentioning `flag`. */
export function checkAllocatorName(name: string, flag = FLAG): void {
  if (name.length > ALLOCATOR_NAME_MAX) {
    throw new UsageError(
      `${flag}: an allocator name of ${name.length} characters is too long (at most ${ALLOCATOR_NAME_MAX})`,
    );
  }
  if (!ALLOCATOR_NAME_RE.test(name)) {
    throw new UsageError(
      `${flag}: invalid allocator name "${name}" (letters, digits and . _ @ + -, starting with a letter or digit)`,
    );
  }
  if ((RESERVED_NAMES as readonly string[]).includes(name.toLowerCase())) {
    throw new UsageError(`${flag}: "${name}" is reserved and cannot name an allocator`);
  }
  if ((LIBC_ALLOCATOR_NAMES as readonly string[]).includes(name)) {
    throw new UsageError(
      `${flag}: "${name}" is the libc's own allocator and cannot name a library; choose another name`,
    );
  }
}

/**
 * Parse `name=/path/to/lib.so` into a user AllocatorSpec (family "custom", source "user";
 * relative paths are made absolute against the current directory).
 *
 * Synchronous (usable as a commander argument parser). The libc is read from the library's
 * DT_NEEDED when it is a readable ELF file; otherwise, and for a library linking no libc,
 * it is glibc. The library itself is not validated here: finalizeAllocator does that and
 * says what is wrong.
 * @throws UsageError (naming --allocator) for bad syntax or an invalid or reserved name.
 */
export function parseAllocatorArg(arg: string): AllocatorSpec {
  return parseUserAllocator(arg);
}

/** parseAllocatorArg with options. */
export function parseUserAllocator(arg: string, options: UserAllocatorOptions = {}): AllocatorSpec {
  const eq = arg.indexOf("=");
  if (eq < 0) {
    throw new UsageError(`${FLAG} "${arg}": expected NAME=/path/to/allocator.so`);
  }
  const name = arg.slice(0, eq).trim();
  const rawPath = arg.slice(eq + 1).trim();
  if (name === "" || rawPath === "") {
    throw new UsageError(
      `${FLAG} "${arg}": expected NAME=/path/to/allocator.so (both parts non-empty)`,
    );
  }
  checkAllocatorName(name);
  const lib = resolvePath(options.cwd ?? process.cwd(), rawPath);
  let libc: Libc = options.libcs?.[0] ?? "glibc";
  try {
    const found = libcOfNeeded(readElfInfoSync(lib).needed);
    if (found !== "none") libc = found;
  } catch {
    // Missing, unreadable or not ELF: finalizeAllocator reports it.
  }
  return { name, family: "custom", lib, libc, env: {}, source: "user" };
}

/**
 * Throws UsageError when a user allocator takes the name of a built-in (libc or discovered)
 * allocator for a different file. Returns the built-in when it is the same file (the user
 * entry is then redundant), else undefined.
 */
export function clashWithBuiltin(
  user: AllocatorSpec,
  available: readonly AllocatorSpec[],
): AllocatorSpec | undefined {
  const clash = available.find(
    (a) => a.name === user.name && a.source !== "user" && a.source !== "config",
  );
  if (!clash) return undefined;
  if (clash.lib !== undefined && user.lib !== undefined && sameFile(clash.lib, user.lib))
    return clash;
  const what = clash.lib ? `already names ${clash.lib}` : `is the libc's own allocator`;
  throw new UsageError(
    `${FLAG} ${user.name}=${user.lib ?? ""}: the name "${user.name}" ${what}; choose another name`,
  );
}

/**
 * `available` plus the user allocators given as `name=/path` arguments, in order. A user
 * entry identical to a built-in (same name, same file) is dropped.
 * @throws UsageError for bad arguments, a clash with a built-in, or a name given twice.
 */
export function addUserAllocators(
  args: readonly string[],
  available: readonly AllocatorSpec[],
  options: UserAllocatorOptions = {},
): AllocatorSpec[] {
  const out = [...available];
  const userNames = new Set<string>();
  for (const arg of args) {
    const spec = parseUserAllocator(arg, options);
    if (clashWithBuiltin(spec, available)) continue;
    if (userNames.has(spec.name)) {
      throw new UsageError(`${FLAG} "${arg}": the name "${spec.name}" is given more than once`);
    }
    userNames.add(spec.name);
    out.push(spec);
  }
  return out;
}

function sameRun(a: AllocatorSpec, b: AllocatorSpec): boolean {
  if (a.lib !== b.lib || a.libc !== b.libc) return false;
  const ka = Object.keys(a.env);
  const kb = Object.keys(b.env);
  return ka.length === kb.length && ka.every((k) => a.env[k] === b.env[k]);
}

/**
 * The allocators selected by name, in the order requested, without duplicates.
 * "all" (alone or as one of the names) stands for every available allocator, skipping
 * aliases (an entry that runs exactly like an earlier one, e.g. `scudo@16` after `scudo`).
 * @throws UsageError for an unknown name (listing the valid ones) or an empty selection.
 */
export function resolveAllocators(
  requested: readonly string[] | "all",
  available: readonly AllocatorSpec[],
): AllocatorSpec[] {
  const names =
    requested === "all" ? ["all"] : requested.map((n) => n.trim()).filter((n) => n !== "");
  if (names.length === 0) {
    throw new UsageError("no allocators selected");
  }
  const byName = new Map(available.map((a) => [a.name, a] as const));
  const unknown = names.filter((n) => n !== "all" && !byName.has(n));
  if (unknown.length > 0) {
    const valid = available.map((a) => a.name).join(", ");
    const list = unknown.map((n) => `"${n}"`).join(", ");
    throw new UsageError(
      `unknown allocator${unknown.length > 1 ? "s" : ""} ${list}; valid names: ${valid || "(none available)"}, all`,
    );
  }
  const out: AllocatorSpec[] = [];
  const add = (spec: AllocatorSpec): void => {
    if (!out.includes(spec)) out.push(spec);
  };
  for (const n of names) {
    if (n === "all") {
      const distinct: AllocatorSpec[] = [];
      for (const a of available) if (!distinct.some((d) => sameRun(d, a))) distinct.push(a);
      distinct.forEach(add);
    } else {
      const spec = byName.get(n);
      if (spec) add(spec);
    }
  }
  return out;
}
