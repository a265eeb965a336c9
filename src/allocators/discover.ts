/**
 * Discovery of installed allocators: the libcs' own mallocs plus allocator libraries found
 * in the standard install locations of Debian/Ubuntu, Fedora, Alpine/Chimera and Arch
 * (see catalog.ts). readdir-based (Node 20 has no fs.glob). Every candidate is validated
 * as an ELF shared library for this machine that exports malloc; its libc comes from its
 * DT_NEEDED entries.
 */
import { readdir, realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  CLANG_RESOURCE_ROOTS,
  CLANG_VERSION_DIR_RE,
  isTargetTripleFor,
  LIBRARY_FAMILIES,
  librarySearchDirs,
  SCUDO_STANDALONE_PER_TARGET_NAME,
  scudoLegacyNames,
  scudoStandaloneOldLayoutNames,
} from "./catalog.js";
import type { AllocatorSpec, Libc } from "./types.js";
import { checkLibrary } from "./validate.js";

export {
  addUserAllocators,
  parseAllocatorArg,
  parseUserAllocator,
  resolveAllocators,
} from "./specs.js";

export interface DiscoverOptions {
  /** Machine name (elf.ts vocabulary: x86_64, aarch64, ppc64le, ...). */
  machine: string;
  /** The libcs a workload toolchain exists for, in order of preference. */
  libcs: readonly Libc[];
  /** File system root the standard paths are looked up under; default "/". */
  root?: string;
  /**
   * Also report the pre-standalone Scudo (`libclang_rt.scudo-<arch>.so`, LLVM <= 14) as
   * `scudo-legacy@<major>`. Off by default: it is deprecated, drags in libstdc++ and is not
   * what "Scudo" means today.
   */
  includeLegacyScudo?: boolean;
}

/** A file that looked like an allocator but was not used, and why. */
export interface SkippedLibrary {
  family: string;
  path: string;
  reason: string;
}

export interface DiscoveryResult {
  /** glibc/musl first, then jemalloc, tcmalloc, mimalloc, scudo, scudo@<major> (newest first), scudo-legacy@<major>. */
  allocators: AllocatorSpec[];
  skipped: SkippedLibrary[];
}

/** The libc's own allocator as an AllocatorSpec (no preload). */
export function libcAllocator(libc: Libc): AllocatorSpec {
  return { name: libc, family: libc, libc, env: {}, source: "libc" };
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function realOrSelf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}

function numericVersionDesc(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pb[i] ?? -1) - (pa[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

/** Validates candidates for one machine and set of libcs, remembering what was skipped. */
class CandidateChecker {
  readonly skipped: SkippedLibrary[] = [];
  private readonly seen = new Map<string, Set<string>>();
  constructor(
    private readonly machine: string,
    private readonly libcs: readonly Libc[],
  ) {}

  /** The libc to run `path` with, or undefined (recorded as skipped). Each real file is checked once per family. */
  async check(family: string, path: string): Promise<Libc | undefined> {
    const real = await realOrSelf(path);
    let seen = this.seen.get(family);
    if (!seen) this.seen.set(family, (seen = new Set()));
    if (seen.has(real)) return undefined;
    seen.add(real);

    const result = await checkLibrary(path, { machine: this.machine });
    if (result.status === "invalid") {
      this.skipped.push({ family, path, reason: result.reason });
      return undefined;
    }
    if (result.libc === "none") {
      // Links no libc directly (rare): usable with whichever libc we have, preferring the first.
      const libc = this.libcs[0];
      if (libc === undefined)
        this.skipped.push({ family, path, reason: `${path}: no workload toolchain is available` });
      return libc;
    }
    if (!this.libcs.includes(result.libc)) {
      this.skipped.push({
        family,
        path,
        reason: `${path}: links ${result.libc}, but no ${result.libc} workload toolchain is available`,
      });
      return undefined;
    }
    return result.libc;
  }
}

interface ScudoCandidate {
  major: number;
  path: string;
  legacy: boolean;
}

/** Every Scudo shared object under the known clang resource roots, in priority order. */
export async function findScudoCandidates(
  machine: string,
  root = "/",
  includeLegacy = false,
): Promise<ScudoCandidate[]> {
  const out: ScudoCandidate[] = [];
  const clangDirs: string[] = [];
  for (const r of CLANG_RESOURCE_ROOTS) {
    const parent = join(root, r.parent);
    if (!r.childPattern) {
      clangDirs.push(parent);
      continue;
    }
    for (const name of await listDir(parent)) {
      if (r.childPattern.test(name)) clangDirs.push(join(parent, name, "lib", "clang"));
    }
  }
  const oldNames = scudoStandaloneOldLayoutNames(machine);
  const legacyNames = includeLegacy ? scudoLegacyNames(machine) : [];
  for (const clangDir of clangDirs) {
    const versions = (await listDir(clangDir))
      .filter((v) => CLANG_VERSION_DIR_RE.test(v))
      .sort(numericVersionDesc);
    for (const version of versions) {
      const major = Number(CLANG_VERSION_DIR_RE.exec(version)?.[1]);
      const libDir = join(clangDir, version, "lib");
      for (const entry of await listDir(libDir)) {
        const dir = join(libDir, entry);
        if (entry === "linux") {
          for (const n of oldNames) {
            const p = join(dir, n);
            if (await isFile(p)) out.push({ major, path: p, legacy: false });
          }
          for (const n of legacyNames) {
            const p = join(dir, n);
            if (await isFile(p)) out.push({ major, path: p, legacy: true });
          }
        } else if (isTargetTripleFor(entry, machine) && (await isDir(dir))) {
          const p = join(dir, SCUDO_STANDALONE_PER_TARGET_NAME);
          if (await isFile(p)) out.push({ major, path: p, legacy: false });
        }
      }
    }
  }
  return out;
}

/**
 * Find the installed allocators: the libcs' own (one entry per libc in `libcs`) and the
 * libraries found under `root`, with skipped candidates and why.
 */
export async function discoverAllocatorsDetailed(
  options: DiscoverOptions,
): Promise<DiscoveryResult> {
  const root = options.root ?? "/";
  const { machine, libcs } = options;
  const allocators: AllocatorSpec[] = [];
  for (const libc of ["glibc", "musl"] as const) {
    if (libcs.includes(libc)) allocators.push(libcAllocator(libc));
  }
  const checker = new CandidateChecker(machine, libcs);
  const dirs = librarySearchDirs(machine).map((d) => join(root, d));

  for (const { family, fileNames } of LIBRARY_FAMILIES) {
    let found: AllocatorSpec | undefined;
    for (const fileName of fileNames) {
      for (const dir of dirs) {
        const path = join(dir, fileName);
        if (!(await isFile(path))) continue;
        const libc = await checker.check(family, path);
        if (libc) {
          found = { name: family, family, lib: path, libc, env: {}, source: "discovered" };
          break;
        }
      }
      if (found) break;
    }
    if (found) allocators.push(found);
  }

  const scudo = await findScudoCandidates(machine, root, options.includeLegacyScudo ?? false);
  const byMajor = new Map<string, AllocatorSpec>();
  for (const c of scudo) {
    const family = c.legacy ? "scudo-legacy" : "scudo";
    const name = `${family}@${c.major}`;
    if (byMajor.has(name)) continue;
    const libc = await checker.check(family, c.path);
    if (!libc) continue;
    byMajor.set(name, {
      name,
      family,
      lib: c.path,
      libc,
      env: {},
      version: String(c.major),
      source: "discovered",
    });
  }
  const standalone = [...byMajor.values()]
    .filter((s) => s.family === "scudo")
    .sort((a, b) => Number(b.version) - Number(a.version));
  const newest = standalone[0];
  if (newest) allocators.push({ ...newest, name: "scudo" });
  allocators.push(...standalone);
  allocators.push(
    ...[...byMajor.values()]
      .filter((s) => s.family === "scudo-legacy")
      .sort((a, b) => Number(b.version) - Number(a.version)),
  );
  return { allocators, skipped: checker.skipped };
}

/**
 * The allocators available on this machine: glibc/musl (for the libcs given) and the
 * discovered libraries whose libc is among them. `scudo` is an alias of the newest
 * `scudo@<major>` (same library).
 */
export async function discoverAllocators(options: DiscoverOptions): Promise<AllocatorSpec[]> {
  return (await discoverAllocatorsDetailed(options)).allocators;
}
