/**
 * Which distribution package owns a file, and its version: dpkg, rpm, apk, pacman.
 * Each query is time-bound and never throws; a machine without the tool simply answers
 * nothing.
 */
import { realpath } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { runHelper } from "../util/exec.js";
import type { ResolvedAllocator } from "./types.js";

export type PackageInfo = NonNullable<ResolvedAllocator["package"]>;

const TIMEOUT_MS = 5000;
const ENV = { LC_ALL: "C", LANG: "C" };

/** Package tools found missing (spawn ENOENT) in this process; not asked again. */
const missingTools = new Set<string>();

async function run(file: string, args: string[], anyExit = false): Promise<string | undefined> {
  if (missingTools.has(file)) return undefined;
  try {
    const r = await runHelper(file, args, {
      reject: false,
      timeout: TIMEOUT_MS,
      env: ENV,
      stdin: "ignore",
      stripFinalNewline: true,
    });
    if ((r as { code?: string }).code === "ENOENT") missingTools.add(file);
    if (r.exitCode === undefined || (!anyExit && (r.failed || r.exitCode !== 0))) return undefined;
    return typeof r.stdout === "string" ? r.stdout : undefined;
  } catch {
    return undefined;
  }
}

const MERGED_DIRS = ["/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin"];

/** The other spelling of a path under the /usr merge (/lib/x <-> /usr/lib/x), if any. */
export function usrMergeAlias(path: string): string | undefined {
  for (const d of MERGED_DIRS) {
    if (path.startsWith(`/usr${d}/`)) return path.slice(4);
    if (path.startsWith(`${d}/`)) return `/usr${path}`;
  }
  return undefined;
}

/** Spellings of `path` a package database may know: as given, with its directory resolved, fully resolved, and their /usr-merge aliases. */
export async function pathSpellings(path: string): Promise<string[]> {
  const out: string[] = [];
  const add = (p: string | undefined): void => {
    if (p !== undefined && !out.includes(p)) out.push(p);
  };
  const bases: string[] = [path];
  try {
    bases.push(join(await realpath(dirname(path)), basename(path)));
  } catch {
    // keep going
  }
  try {
    bases.push(await realpath(path));
  } catch {
    // keep going
  }
  for (const b of bases) add(b);
  for (const b of bases) add(usrMergeAlias(b));
  return out;
}

/** dpkg-query -S with every spelling at once: it prints the owned ones (exiting 1 if some are not). */
async function dpkgOwner(paths: readonly string[]): Promise<PackageInfo | undefined> {
  // dpkg-query -S takes glob patterns; a literal path with glob characters cannot be asked safely.
  const literal = paths.filter((p) => !/[*?[\]\\]/.test(p));
  if (literal.length === 0) return undefined;
  const out = await run("dpkg-query", ["-S", ...literal], true);
  if (!out) return undefined;
  const owners = new Map<string, string>();
  for (const line of out.split("\n")) {
    if (line.startsWith("diversion by") || line.startsWith("local diversion")) continue;
    const sep = line.lastIndexOf(": ");
    if (sep < 0) continue;
    // "pkg:arch, other:arch: /path" -> first package
    const pkg = line.slice(0, sep).split(",")[0]?.trim();
    if (pkg) owners.set(line.slice(sep + 2), pkg);
  }
  for (const p of literal) {
    const pkg = owners.get(p);
    if (!pkg) continue;
    const version = await run("dpkg-query", ["-W", "-f", "${Version}", pkg]);
    if (!version) continue;
    return { manager: "dpkg", name: pkg.replace(/:[^:]+$/, ""), version: version.trim() };
  }
  return undefined;
}

/** Ask a one-path-at-a-time manager about each spelling in turn. */
function eachPath(
  owner: (path: string) => Promise<PackageInfo | undefined>,
): (paths: readonly string[]) => Promise<PackageInfo | undefined> {
  return async (paths) => {
    for (const p of paths) {
      const info = await owner(p);
      if (info) return info;
    }
    return undefined;
  };
}

async function rpmOwner(path: string): Promise<PackageInfo | undefined> {
  const out = await run("rpm", ["-qf", "--qf", "%{NAME} %{VERSION}-%{RELEASE}\\n", path]);
  const m = out
    ?.split("\n")[0]
    ?.trim()
    .match(/^(\S+) (\S+)$/);
  if (!m?.[1] || !m[2]) return undefined;
  return { manager: "rpm", name: m[1], version: m[2] };
}

async function apkOwner(path: string): Promise<PackageInfo | undefined> {
  const out = await run("apk", ["info", "--who-owns", path]);
  const m = out?.match(/is owned by (\S+)\s*$/m);
  // Alpine package ids are name-version-rN; the name may contain dashes.
  const id = m?.[1]?.match(/^(.+)-([^-]+-r\d+)$/);
  if (!id?.[1] || !id[2]) return undefined;
  return { manager: "apk", name: id[1], version: id[2] };
}

async function pacmanOwner(path: string): Promise<PackageInfo | undefined> {
  const out = await run("pacman", ["-Qo", path]);
  const m = out?.match(/is owned by (\S+) (\S+)\s*$/m);
  if (!m?.[1] || !m[2]) return undefined;
  return { manager: "pacman", name: m[1], version: m[2] };
}

const MANAGERS = [dpkgOwner, eachPath(rpmOwner), eachPath(apkOwner), eachPath(pacmanOwner)];

/**
 * The package owning `path` and its version, asking dpkg, rpm, apk and pacman in turn
 * (with each spelling of the path, see pathSpellings). Undefined when none can tell.
 * Never throws.
 */
export async function packageOf(path: string): Promise<PackageInfo | undefined> {
  try {
    const spellings = await pathSpellings(path);
    for (const owner of MANAGERS) {
      const info = await owner(spellings);
      if (info) return info;
    }
  } catch {
    // fall through
  }
  return undefined;
}
