/**
 * Checks that a file is a shared library this machine can LD_PRELOAD, and which libc it
 * links against.
 */
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { ElfError, ET_DYN, readElfInfo, type ElfInfo } from "../platform/elf.js";
import type { Libc, LibraryCheck } from "./types.js";

/**
 * The libc a list of DT_NEEDED entries links against.
 * `libc.so.6` is glibc; musl's is `libc.musl-<arch>.so.1` (Alpine, Chimera) or plain
 * `libc.so` (musl-gcc / upstream musl builds). Anything else: "none".
 */
export function libcOfNeeded(needed: readonly string[]): Libc | "none" {
  for (const n of needed) {
    if (n === "libc.so.6") return "glibc";
    if (n === "libc.so" || /^libc\.musl-[A-Za-z0-9_]+\.so\.1$/.test(n)) return "musl";
  }
  return "none";
}

export interface LibraryExpectation {
  /** Machine name as produced by machineOfArch / machineName (x86_64, aarch64, ...). */
  machine: string;
  /**
   * A dynamic symbol the library must define; default "malloc" (a preloaded allocator that
   * does not export malloc replaces nothing). null skips the check. The check is skipped as
   * well when the file has no locatable dynamic symbol table.
   */
  requireSymbol?: string | null;
}

/** Explain an ElfInfo that is not a preloadable shared library, or undefined if it is one. */
export function sharedLibraryProblem(info: ElfInfo): string | undefined {
  if (info.type !== ET_DYN) {
    switch (info.typeName) {
      case "exec":
        return "an ELF executable (ET_EXEC), not a shared library";
      case "rel":
        return "an ELF relocatable object (.o), not a shared library";
      case "core":
        return "an ELF core dump, not a shared library";
      default:
        return `an ELF file of type ${info.type}, not a shared library`;
    }
  }
  if (info.pie || (info.interp !== undefined && info.soname === undefined)) {
    return "an executable (PIE), not a shared library";
  }
  if (!info.hasDynamic) {
    return "has no dynamic section, so it cannot be preloaded";
  }
  return undefined;
}

/**
 * Validate `path` for LD_PRELOAD on a machine of `expected.machine`.
 * Never throws: every problem becomes `{ status: "invalid", reason }`, one line starting
 * with the path.
 */
export async function checkLibrary(
  path: string,
  expected: LibraryExpectation,
): Promise<LibraryCheck> {
  const invalid = (what: string): LibraryCheck => ({
    status: "invalid",
    reason: `${path}: ${what}`,
  });
  try {
    let st;
    try {
      st = await stat(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return invalid("no such file");
      if (code === "ENOTDIR") return invalid("no such file (a parent is not a directory)");
      if (code === "ELOOP") return invalid("too many levels of symbolic links");
      if (code === "EACCES") return invalid("cannot be reached (permission denied)");
      return invalid(`cannot stat (${code ?? String(error)})`);
    }
    if (st.isDirectory()) return invalid("is a directory, not a shared library");
    if (!st.isFile()) return invalid("not a regular file");
    try {
      await access(path, constants.R_OK);
    } catch {
      return invalid("not readable (permission denied)");
    }

    let info: ElfInfo;
    try {
      info = await readElfInfo(path);
    } catch (error) {
      if (error instanceof ElfError) return invalid(error.reason);
      throw error;
    }
    const problem = sharedLibraryProblem(info);
    if (problem) return invalid(problem);
    if (info.machine !== expected.machine) {
      return invalid(`ELF for ${info.machine}, this machine runs ${expected.machine}`);
    }
    const symbol = expected.requireSymbol === undefined ? "malloc" : expected.requireSymbol;
    if (symbol !== null && info.definedSymbols && !info.definedSymbols.has(symbol)) {
      return invalid(`does not export ${symbol}, so preloading it would not replace the allocator`);
    }
    return {
      status: "ok",
      machine: info.machine,
      elfClass: info.elfClass,
      libc: libcOfNeeded(info.needed),
      needed: [...info.needed],
    };
  } catch (error) {
    return invalid(`cannot be checked (${error instanceof Error ? error.message : String(error)})`);
  }
}
