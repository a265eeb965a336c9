/**
 * Where distributions install the allocators we know about, per machine.
 *
 * Everything here is data plus pure functions; discover.ts does the file system work.
 * Paths are absolute as on the target system; discovery prefixes them with its `root`.
 */

/** Allocator families shipped as ordinary shared libraries. */
export interface LibraryFamily {
  family: string;
  /** File names in order of preference (the first found that validates wins). */
  fileNames: readonly string[];
}

export const LIBRARY_FAMILIES: readonly LibraryFamily[] = [
  { family: "jemalloc", fileNames: ["libjemalloc.so.2", "libjemalloc.so"] },
  // gperftools: the minimal build has no heap profiler/checker hooks, which is what we want to measure.
  { family: "tcmalloc", fileNames: ["libtcmalloc_minimal.so.4", "libtcmalloc.so.4"] },
  { family: "mimalloc", fileNames: ["libmimalloc.so.2", "libmimalloc.so.3", "libmimalloc.so"] },
];

/** Names with a fixed meaning that discovered or user allocators cannot take. */
export const LIBC_ALLOCATOR_NAMES = ["glibc", "musl"] as const;
/** Words the selection syntax reserves. */
export const RESERVED_NAMES = ["all"] as const;

/** Valid allocator names (command line and results). */
export const ALLOCATOR_NAME_RE = /^[a-z0-9][a-z0-9._@+-]*$/i;

/** Debian/Ubuntu multiarch directory names (the triple under /usr/lib) for a machine. */
export function multiarchTriples(machine: string): string[] {
  switch (machine) {
    case "x86_64":
      return ["x86_64-linux-gnu", "x86_64-linux-musl"];
    case "aarch64":
      return ["aarch64-linux-gnu", "aarch64-linux-musl"];
    case "ppc64le":
      return ["powerpc64le-linux-gnu"];
    case "ppc64":
      return ["powerpc64-linux-gnu"];
    case "riscv64":
      return ["riscv64-linux-gnu"];
    case "i386":
      return ["i386-linux-gnu", "i686-linux-gnu"];
    case "arm":
      return ["arm-linux-gnueabihf", "arm-linux-gnueabi"];
    case "s390x":
      return ["s390x-linux-gnu"];
    case "loongarch64":
      return ["loongarch64-linux-gnu"];
    case "mips64el":
      return ["mips64el-linux-gnuabi64"];
    case "mipsel":
      return ["mipsel-linux-gnu"];
    case "x32":
      return ["x86_64-linux-gnux32"];
    default:
      return [];
  }
}

/**
 * Directories searched for the LIBRARY_FAMILIES, in order:
 * Debian/Ubuntu multiarch (/usr/lib/<triple>, /lib/<triple>), then Fedora/openSUSE
 * (/usr/lib64, /lib64 on 64-bit machines), then /usr/lib and /lib (Alpine, Chimera, Arch,
 * and Fedora's 32-bit dir, whose libraries the machine check rejects).
 */
export function librarySearchDirs(machine: string): string[] {
  const dirs: string[] = [];
  for (const t of multiarchTriples(machine)) dirs.push(`/usr/lib/${t}`, `/lib/${t}`);
  const is64 = /64/.test(machine) || machine === "s390x";
  if (is64) dirs.push("/usr/lib64", "/lib64");
  dirs.push("/usr/lib", "/lib");
  if (!is64) dirs.push("/usr/lib64", "/lib64");
  return dirs;
}

/**
 * The architecture suffix compiler-rt uses in its old (pre per-target) layout,
 * `lib/clang/<ver>/lib/linux/libclang_rt.<name>-<arch>.so`.
 */
export function compilerRtArchNames(machine: string): string[] {
  switch (machine) {
    case "x86_64":
      return ["x86_64"];
    case "i386":
      return ["i386", "i686"];
    case "aarch64":
      return ["aarch64"];
    case "arm":
      return ["armhf", "arm"];
    case "ppc64le":
      return ["powerpc64le"];
    case "ppc64":
      return ["powerpc64"];
    case "riscv64":
      return ["riscv64"];
    case "s390x":
      return ["s390x"];
    case "loongarch64":
      return ["loongarch64"];
    case "mips64el":
      return ["mips64el"];
    case "mipsel":
      return ["mipsel"];
    default:
      return [];
  }
}

const TRIPLE_ARCH: Record<string, string> = {
  x86_64: "x86_64",
  i386: "i[3-6]86",
  aarch64: "aarch64",
  arm: "arm(?:v[0-9][a-z0-9]*)?(?:hf)?",
  ppc64le: "powerpc64le|ppc64le",
  ppc64: "powerpc64|ppc64",
  riscv64: "riscv64(?:gc)?",
  s390x: "s390x",
  loongarch64: "loongarch64",
  mips64el: "mips64el",
  mipsel: "mipsel",
};

/**
 * Whether a directory name under `lib/clang/<ver>/lib/` is a Linux target triple for this
 * machine (compiler-rt's per-target layout, LLVM 15+ on most distributions):
 * x86_64-pc-linux-gnu (Arch, Debian apt.llvm.org), x86_64-redhat-linux-gnu (Fedora),
 * x86_64-alpine-linux-musl (Alpine), x86_64-unknown-linux-gnu (upstream), x86_64-linux-gnu.
 * Android and x32 triples do not match.
 */
export function isTargetTripleFor(dirName: string, machine: string): boolean {
  const arch = TRIPLE_ARCH[machine];
  if (arch === undefined) return false;
  const re = new RegExp(
    `^(?:${arch})(?:-[a-z0-9_.]+)?-linux(?:-(?:gnu|musl)(?:eabihf|eabi|abi64)?)?$`,
  );
  return re.test(dirName);
}

/** A place to look for `clang/<ver>/` resource directories. */
export interface ClangResourceRoot {
  /** Absolute directory to list. */
  parent: string;
  /** Child names to descend into; their `lib/clang` is a clang directory. Absent: `parent` is itself a clang directory. */
  childPattern?: RegExp;
}

/**
 * Where clang resource directories (`.../clang/<ver>/lib/...`) live, in priority order:
 * Debian/Ubuntu (/usr/lib/llvm-N/lib/clang), Arch and Fedora 39+ (/usr/lib/clang),
 * older Fedora (/usr/lib64/clang), Alpine/Chimera (/usr/lib/llvmNN/lib/clang),
 * Fedora compat packages (/usr/lib64/llvmNN/lib/clang).
 */
export const CLANG_RESOURCE_ROOTS: readonly ClangResourceRoot[] = [
  { parent: "/usr/lib", childPattern: /^llvm-\d+(?:\.\d+)*$/ },
  { parent: "/usr/lib/clang" },
  { parent: "/usr/lib64/clang" },
  { parent: "/usr/lib", childPattern: /^llvm\d+(?:\.\d+)*$/ },
  { parent: "/usr/lib64", childPattern: /^llvm-?\d+(?:\.\d+)*$/ },
];

/** Version directory names under lib/clang: 16, 14.0.6, 18.1.8. */
export const CLANG_VERSION_DIR_RE = /^(\d+)(?:\.\d+)*$/;

/** Scudo file names. */
export function scudoStandaloneOldLayoutNames(machine: string): string[] {
  return compilerRtArchNames(machine).map((a) => `libclang_rt.scudo_standalone-${a}.so`);
}
export const SCUDO_STANDALONE_PER_TARGET_NAME = "libclang_rt.scudo_standalone.so";
/** The pre-standalone ("legacy") Scudo, built on sanitizer_common; removed in LLVM 15. */
export function scudoLegacyNames(machine: string): string[] {
  return compilerRtArchNames(machine).map((a) => `libclang_rt.scudo-${a}.so`);
}
