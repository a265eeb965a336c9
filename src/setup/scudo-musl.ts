/**
 * scudo-musl: an LD_PRELOAD-able Scudo for musl-linked programs, built by the harness from
 * LLVM compiler-rt's static archive (`libclang_rt.scudo_standalone[-<arch>].a`, Debian's
 * libclang-rt-N-dev) and src/native/scudo-musl-compat.c, linked with musl-gcc.
 *
 * Built on demand into the build cache under a content hash of its inputs (archive, compat
 * source, compiler), one per LLVM major: `scudo-musl@16`, `scudo-musl@14`; `scudo-musl` is
 * the newest. Before use the result must pass checkLibrary as a musl-linked library that
 * exports malloc, and a musl-built program run under it must report it as its malloc.
 * See docs/scudo-musl.md.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { runHelper } from "../util/exec.js";
import { buildWorkload } from "../platform/build.js";
import type { Toolchain } from "../platform/toolchain.js";
import { cacheDir, packageRoot } from "../paths.js";
import { identify, realpathOr } from "./prepare.js";
import { loadWorkloads, workloadRoots } from "../targets/workloads.js";
import { sha256File, sha256Hex } from "../util/hash.js";
import {
  CLANG_RESOURCE_ROOTS,
  CLANG_VERSION_DIR_RE,
  compilerRtArchNames,
  isTargetTripleFor,
} from "../allocators/catalog.js";
import type { AllocatorSpec } from "../allocators/types.js";
import { checkLibrary } from "../allocators/validate.js";
import { preloadPath } from "../allocators/preload.js";

export const SCUDO_MUSL_FAMILY = "scudo-musl";
/** Bump when the recipe below changes, so old cache entries are not reused. */
const RECIPE_VERSION = 2;
const LIB_NAME = "libscudo-musl.so";

/** A compiler-rt Scudo static archive. */
export interface ScudoArchive {
  /** LLVM major version (the clang resource directory's). */
  major: number;
  path: string;
}

/**
 * The C++ half of Scudo (operator new/delete), shipped next to the C archive as
 * `libclang_rt.scudo_standalone_cxx[-<arch>].a`; distributions link both into their .so.
 */
export function cxxArchiveFor(archive: string): string {
  return path.join(
    path.dirname(archive),
    path.basename(archive).replace("scudo_standalone", "scudo_standalone_cxx"),
  );
}

/** The compatibility source linked into every scudo-musl build. */
export function compatSource(): string {
  return path.join(packageRoot(), "src", "native", "scudo-musl-compat.c");
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * Scudo standalone static archives under the clang resource roots (old layout
 * `lib/linux/libclang_rt.scudo_standalone-<arch>.a`, per-target layout
 * `lib/<triple>/libclang_rt.scudo_standalone.a`), one per LLVM major, newest first.
 */
export async function findScudoArchives(machine: string, root = "/"): Promise<ScudoArchive[]> {
  const clangDirs: string[] = [];
  for (const r of CLANG_RESOURCE_ROOTS) {
    const parent = path.join(root, r.parent);
    if (!r.childPattern) clangDirs.push(parent);
    else
      for (const name of await listDir(parent))
        if (r.childPattern.test(name)) clangDirs.push(path.join(parent, name, "lib", "clang"));
  }
  const oldNames = compilerRtArchNames(machine).map((a) => `libclang_rt.scudo_standalone-${a}.a`);
  const byMajor = new Map<number, ScudoArchive>();
  for (const clangDir of clangDirs) {
    for (const version of await listDir(clangDir)) {
      const m = CLANG_VERSION_DIR_RE.exec(version);
      if (!m) continue;
      const major = Number(m[1]);
      if (byMajor.has(major)) continue;
      const libDir = path.join(clangDir, version, "lib");
      for (const entry of await listDir(libDir)) {
        const names =
          entry === "linux"
            ? oldNames
            : isTargetTripleFor(entry, machine)
              ? ["libclang_rt.scudo_standalone.a"]
              : [];
        for (const n of names) {
          const p = path.join(libDir, entry, n);
          if (!byMajor.has(major) && (await isFile(p))) byMajor.set(major, { major, path: p });
        }
      }
    }
  }
  return [...byMajor.values()].sort((a, b) => b.major - a.major);
}

/** Where the build of `archive` with `tc` lives in the cache (content-addressed). */
export async function scudoMuslLibPath(
  archive: ScudoArchive,
  tc: Toolchain,
  cacheRoot = cacheDir(),
): Promise<string> {
  const cxx = cxxArchiveFor(archive.path);
  const hash = sha256Hex(
    JSON.stringify({
      recipe: RECIPE_VERSION,
      archive: await sha256File(archive.path),
      cxx: (await isFile(cxx)) ? await sha256File(cxx) : null,
      compat: sha256Hex(await readFile(compatSource())),
      cc: tc.cc,
      ccVersion: tc.ccVersion,
      target: tc.target,
    }),
  ).slice(0, 16);
  return path.join(cacheRoot, SCUDO_MUSL_FAMILY, `${archive.major}-${hash}`, LIB_NAME);
}

/**
 * The scudo-musl allocators this machine can build: `scudo-musl` (newest) then
 * `scudo-musl@<major>` for each archive, newest first. `lib` is the cache path the build
 * goes to (it may not exist yet: ensureScudoMusl builds it).
 */
export async function scudoMuslAllocators(
  machine: string,
  musl: Toolchain | undefined,
  root = "/",
): Promise<AllocatorSpec[]> {
  if (!musl) return [];
  const specs: AllocatorSpec[] = [];
  for (const archive of await findScudoArchives(machine, root)) {
    specs.push({
      name: `${SCUDO_MUSL_FAMILY}@${archive.major}`,
      family: SCUDO_MUSL_FAMILY,
      lib: await scudoMuslLibPath(archive, musl),
      libc: "musl",
      env: {},
      version: String(archive.major),
      source: "discovered",
      builtFrom: archive.path,
    });
  }
  const newest = specs[0];
  return newest ? [{ ...newest, name: SCUDO_MUSL_FAMILY }, ...specs] : [];
}

export type ScudoMuslBuild =
  { status: "ok"; lib: string; cached: boolean } | { status: "failed"; reason: string };

function lastLines(text: string, n = 8): string {
  return text.trim().split("\n").slice(-n).join("\n");
}

/**
 * Build `spec.lib` from `spec.builtFrom` with the musl toolchain unless it is in the cache,
 * then validate it: an ELF shared library for `machine`, linked against musl, exporting
 * malloc. Compiles into a temporary directory and renames it into place, so a concurrent or
 * interrupted build never leaves a half-written library.
 */
export async function ensureScudoMusl(
  spec: AllocatorSpec,
  musl: Toolchain,
  machine: string,
): Promise<ScudoMuslBuild> {
  const lib = spec.lib;
  const archive = spec.builtFrom;
  if (!lib || !archive) return { status: "failed", reason: `${spec.name}: not a scudo-musl build` };
  let cached = true;
  if (!(await isFile(lib))) {
    cached = false;
    const dir = path.dirname(lib);
    const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
    await mkdir(tmp, { recursive: true });
    const [cmd, ...pre] = musl.cc as [string, ...string[]];
    const compatObj = path.join(tmp, "scudo-musl-compat.o");
    const compile = await runHelper(
      cmd,
      [...pre, "-O2", "-fPIC", "-Wall", "-Wextra", "-c", compatSource(), "-o", compatObj],
      { reject: false, all: true, timeout: 120_000 },
    );
    if (compile.exitCode !== 0) {
      await rm(tmp, { recursive: true, force: true });
      return {
        status: "failed",
        reason: `${spec.name}: compiling ${compatSource()} failed: ${lastLines(String(compile.all ?? ""))}`,
      };
    }
    // -z defs: every symbol the archive needs must resolve against musl and the compat
    // object now, not fail at load time inside a benchmark. The C++ archive (operator
    // new/delete) needs nothing from a C++ runtime: only Scudo's own internals.
    const cxx = cxxArchiveFor(archive);
    const archives = (await isFile(cxx)) ? [archive, cxx] : [archive];
    const link = await runHelper(
      cmd,
      [
        ...pre,
        "-shared",
        "-o",
        path.join(tmp, LIB_NAME),
        `-Wl,-soname,${LIB_NAME}`,
        "-Wl,-z,defs",
        "-Wl,--whole-archive",
        ...archives,
        "-Wl,--no-whole-archive",
        compatObj,
        "-lpthread",
      ],
      { reject: false, all: true, timeout: 300_000 },
    );
    if (link.exitCode !== 0) {
      await rm(tmp, { recursive: true, force: true });
      return {
        status: "failed",
        reason: `${spec.name}: linking ${archive} with musl-gcc failed: ${lastLines(String(link.all ?? ""))}`,
      };
    }
    await writeFile(
      path.join(tmp, "recipe.json"),
      `${JSON.stringify({ archive, archives, compat: compatSource(), cc: musl.cc, ccVersion: musl.ccVersion, recipe: RECIPE_VERSION }, null, 2)}\n`,
    );
    await mkdir(path.dirname(dir), { recursive: true });
    try {
      await rename(tmp, dir);
    } catch {
      if (await isFile(lib)) {
        // Another process finished the same build first: keep theirs.
        await rm(tmp, { recursive: true, force: true });
      } else {
        // A leftover directory without the library: replace it.
        await rm(dir, { recursive: true, force: true });
        await rename(tmp, dir);
      }
    }
  }
  const check = await checkLibrary(lib, { machine });
  if (check.status === "invalid") return { status: "failed", reason: check.reason };
  if (check.libc !== "musl")
    return {
      status: "failed",
      reason: `${lib}: expected a musl-linked library, but it links ${check.libc} (${check.needed.join(", ")})`,
    };
  return { status: "ok", lib, cached };
}

/**
 * The self-check before use: a musl build of a workload (the first by name in the registry)
 * run with `LD_PRELOAD=<lib>` must report `lib` as the object defining malloc and free.
 * Returns undefined when it does, else why not (one line).
 */
export async function selfCheckScudoMusl(
  lib: string,
  musl: Toolchain,
): Promise<string | undefined> {
  const workloads = (await loadWorkloads(workloadRoots())).sort((a, b) =>
    a.name.localeCompare(b.name),
  );
  const probe = workloads[0];
  if (!probe) return `${lib}: no workload to run the self-check with`;
  const built = await buildWorkload(musl, probe, cacheDir());
  if (built.status !== "ok")
    return `${lib}: self-check: cannot build ${probe.name} for musl: ${built.reason}`;
  const id = await identify(built.binary, { LD_PRELOAD: preloadPath(lib) });
  if ("error" in id) return `${lib}: self-check failed: ${id.error}`;
  const want = realpathOr(lib);
  for (const [what, from] of [
    ["malloc", id.malloc],
    ["free", id.free],
  ] as const) {
    if (from !== undefined && realpathOr(from) !== want)
      return `${lib}: self-check failed: under LD_PRELOAD, ${probe.name} (musl) takes ${what} from ${from}`;
  }
  if (id.libc !== undefined && id.libc !== "musl")
    return `${lib}: self-check failed: ${probe.name} reports libc ${id.libc}, expected musl`;
  return undefined;
}
