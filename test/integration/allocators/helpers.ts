/**
 * What this machine has installed, found the way `bench run` finds it (src/allocators
 * discovery), so tests run wherever any supported version is installed and say what is missing
 * when it is not; and real shared libraries compiled with the system's cc / musl-gcc.
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { librarySearchDirs } from "../../../src/allocators/catalog.js";
import { discoverAllocators, findScudoCandidates } from "../../../src/allocators/discover.js";
import { hostMachine } from "../../../src/platform/elf.js";

export interface ScudoBuild {
  /** LLVM major version. */
  major: number;
  path: string;
}

export interface Installed {
  machine: string;
  /** The jemalloc, tcmalloc and mimalloc discovery picks, by family. */
  libs: Partial<Record<"jemalloc" | "tcmalloc" | "mimalloc", string>>;
  /** Scudo standalone shared libraries for this machine, one per LLVM major, newest first. */
  scudo: ScudoBuild[];
  /** Scudo built for i386 (a library of the wrong machine on x86_64), if one is installed. */
  scudoI386: ScudoBuild | undefined;
  /** The pre-standalone Scudo (LLVM <= 14), if installed. */
  scudoLegacy: ScudoBuild | undefined;
  /** glibc's libc.so.6 in this machine's library directories. */
  glibcLibc: string | undefined;
  /** musl's libc (musl-tools on Debian: /lib/ld-musl-<arch>.so.1 links to it). */
  muslLibc: string | undefined;
}

function onePerMajor(candidates: { major: number; path: string }[]): ScudoBuild[] {
  const byMajor = new Map<number, ScudoBuild>();
  for (const c of candidates) if (!byMajor.has(c.major)) byMajor.set(c.major, c);
  return [...byMajor.values()].sort((a, b) => b.major - a.major);
}

async function discoverInstalled(): Promise<Installed> {
  const machine = hostMachine();
  const allocators = await discoverAllocators({ machine, libcs: ["glibc", "musl"] });
  const libs: Installed["libs"] = {};
  for (const family of ["jemalloc", "tcmalloc", "mimalloc"] as const) {
    const lib = allocators.find((a) => a.name === family)?.lib;
    if (lib !== undefined) libs[family] = lib;
  }
  const candidates = await findScudoCandidates(machine, "/", true);
  const dirs = librarySearchDirs(machine);
  const inLibDirs = (rel: string): string | undefined =>
    dirs.map((d) => join(d, rel)).find((p) => existsSync(p));
  return {
    machine,
    libs,
    scudo: onePerMajor(candidates.filter((c) => !c.legacy)),
    scudoI386:
      machine === "x86_64"
        ? onePerMajor((await findScudoCandidates("i386")).filter((c) => !c.legacy))[0]
        : undefined,
    scudoLegacy: onePerMajor(candidates.filter((c) => c.legacy))[0],
    glibcLibc: inLibDirs("libc.so.6"),
    muslLibc: ["/usr/lib/musl/lib/libc.so", ...dirs.map((d) => join(d, "libc.so"))].find(
      (p) => existsSync(p) && /musl/.test(p),
    ),
  };
}

let cached: Promise<Installed> | undefined;
/** This machine's installed allocators and libcs (discovered once per test file). */
export function installed(): Promise<Installed> {
  cached ??= discoverInstalled();
  return cached;
}

/** Why a test that needs `what` is skipped: what is missing and the Debian package that has it. */
export function missing(what: string, debianPackage: string): string {
  return `${what} is not installed (Debian: ${debianPackage})`;
}

export const MALLOC_SOURCE = `
#include <stddef.h>
static char arena[1 << 16];
static size_t used;
void *malloc(size_t n) { void *p = arena + used; used += (n + 15) & ~(size_t)15; return p; }
void free(void *p) { (void)p; }
`;

/**
 * Compile a shared library from C source with `cc` (or another compiler) and extra
 * arguments. Returns its path.
 */
export async function compileShared(
  dir: string,
  fileName: string,
  source: string = MALLOC_SOURCE,
  extraArgs: string[] = [],
  compiler = "cc",
): Promise<string> {
  const src = join(dir, `${fileName}.c`);
  const out = join(dir, fileName);
  await writeFile(src, source);
  await execa(compiler, ["-shared", "-fPIC", "-O1", "-o", out, src, ...extraArgs]);
  return out;
}

/**
 * A shared library exporting malloc that links an Alpine-style musl libc
 * (DT_NEEDED libc.musl-x86_64.so.1), built against a stub with that soname.
 */
export async function compileAlpineStyleLib(dir: string, fileName: string): Promise<string> {
  const stubDir = join(dir, "alpine-stub");
  await mkdir(stubDir, { recursive: true });
  const soname = "libc.musl-x86_64.so.1";
  await compileShared(stubDir, soname, "int __stub_symbol;\n", [
    `-Wl,-soname,${soname}`,
    "-nostdlib",
  ]);
  return compileShared(dir, fileName, MALLOC_SOURCE, [
    "-nostdlib",
    `-L${stubDir}`,
    "-Wl,--no-as-needed",
    `-l:${soname}`,
  ]);
}
