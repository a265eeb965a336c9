import { readFile } from "node:fs/promises";
import { execa } from "execa";

export type PackageManager = "apt" | "dnf" | "apk" | "pacman";

export interface Distro {
  id: string;
  name: string;
  manager: PackageManager | null;
}

/** Parse /etc/os-release: ID and ID_LIKE decide the package manager. */
export function distroFromOsRelease(text: string): Distro {
  const field = (key: string): string => {
    const match = new RegExp(`^${key}=("?)([^"\\n]*)\\1`, "m").exec(text);
    return match?.[2] ?? "";
  };
  const id = field("ID") || "linux";
  const like = `${id} ${field("ID_LIKE")}`.split(/\s+/);
  const has = (...names: string[]): boolean => names.some((n) => like.includes(n));
  let manager: PackageManager | null = null;
  if (has("debian", "ubuntu")) manager = "apt";
  else if (has("fedora", "rhel", "centos")) manager = "dnf";
  else if (has("alpine", "chimera", "postmarketos")) manager = "apk";
  else if (has("arch", "manjaro", "endeavouros")) manager = "pacman";
  return { id, name: field("PRETTY_NAME") || id, manager };
}

export async function detectDistro(): Promise<Distro> {
  try {
    return distroFromOsRelease(await readFile("/etc/os-release", "utf8"));
  } catch {
    return { id: "unknown", name: "unknown", manager: null };
  }
}

/** What provides each piece on each distribution. `scudo` on apt is resolved at run time (newest LLVM). */
export const PACKAGES: Record<PackageManager, Record<string, string[]>> = {
  apt: {
    compiler: ["gcc", "libc6-dev"],
    musl: ["musl-tools"],
    jemalloc: ["libjemalloc2"],
    tcmalloc: ["libtcmalloc-minimal4"],
    mimalloc: ["libmimalloc2.0"],
    scudo: ["libclang-rt-dev"],
    "scudo-musl": ["libclang-rt-dev", "musl-tools"],
  },
  dnf: {
    compiler: ["gcc", "glibc-devel"],
    musl: ["musl-gcc"],
    jemalloc: ["jemalloc"],
    tcmalloc: ["gperftools-libs"],
    mimalloc: ["mimalloc"],
    scudo: ["compiler-rt"],
    "scudo-musl": ["compiler-rt", "musl-gcc"],
  },
  apk: {
    compiler: ["build-base"],
    musl: [],
    jemalloc: ["jemalloc"],
    tcmalloc: ["gperftools"],
    mimalloc: ["mimalloc2"],
    scudo: ["compiler-rt"],
    "scudo-musl": ["compiler-rt"],
  },
  pacman: {
    compiler: ["gcc"],
    musl: ["musl"],
    jemalloc: ["jemalloc"],
    tcmalloc: ["gperftools"],
    mimalloc: ["mimalloc"],
    scudo: ["compiler-rt"],
    "scudo-musl": ["compiler-rt", "musl"],
  },
};

/** On apt: the newest `libclang-rt-N-dev` and the available mimalloc package, when apt's lists know them. */
export async function refineAptPackages(): Promise<Partial<Record<string, string[]>>> {
  const out: Partial<Record<string, string[]>> = {};
  const search = await execa("apt-cache", ["search", "--names-only", "^libclang-rt-[0-9]+-dev$"], {
    reject: false,
    timeout: 30_000,
  });
  const versions = String(search.stdout)
    .split("\n")
    .map((l) => /^libclang-rt-(\d+)-dev\s/.exec(l)?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number)
    .sort((a, b) => b - a);
  if (versions[0] !== undefined) {
    out["scudo"] = [`libclang-rt-${versions[0]}-dev`];
    out["scudo-musl"] = [`libclang-rt-${versions[0]}-dev`, "musl-tools"];
  }
  for (const name of ["libmimalloc3", "libmimalloc2.0"]) {
    const policy = await execa("apt-cache", ["policy", name], { reject: false, timeout: 30_000 });
    if (/Candidate:\s+(?!\(none\))\S+/.test(String(policy.stdout))) {
      out["mimalloc"] = [name];
      break;
    }
  }
  return out;
}

/** The commands (argument arrays, never shell strings) that install `pieces` on this distribution. */
export function installCommands(
  manager: PackageManager,
  packages: string[],
  asRoot: boolean,
): string[][] {
  const sudo = asRoot ? [] : ["sudo"];
  switch (manager) {
    case "apt":
      return [
        [...sudo, "apt-get", "update"],
        [...sudo, "apt-get", "install", "-y", "--no-install-recommends", ...packages],
      ];
    case "dnf":
      return [[...sudo, "dnf", "install", "-y", ...packages]];
    case "apk":
      return [[...sudo, "apk", "add", ...packages]];
    case "pacman":
      return [[...sudo, "pacman", "-S", "--needed", "--noconfirm", ...packages]];
  }
}

export function quoteCommand(argv: readonly string[]): string {
  return argv
    .map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(" ");
}
