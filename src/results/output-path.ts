import { closeSync, lstatSync, openSync, readSync, statSync, unlinkSync } from "node:fs";
import path from "node:path";
import { UsageError } from "../errors.js";
import { cacheDir } from "../paths.js";

/**
 * Preflight for every path a command writes, run before anything is measured, built or rendered,
 * so a bad path costs one line (exit 2) instead of a stack trace after the work. It changes
 * nothing (the writers create missing parent directories); everything that would make the final
 * write fail is refused: a parent that is a file, a dangling symlink on the way, a directory where a
 * file goes (or the reverse), a directory that cannot be written.
 */

function code(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

function refuse(flag: string, target: string, why: string): never {
  throw new UsageError(`${flag} ${target}: ${why}`);
}

/** The ancestor of `p` that is in the way: the first one that exists and is not a directory. */
function notADirectory(p: string): string {
  const parts: string[] = [];
  for (let at = path.dirname(p); at !== path.dirname(at); at = path.dirname(at)) parts.unshift(at);
  for (const at of parts) {
    try {
      if (!statSync(at).isDirectory()) return at;
    } catch {
      return at;
    }
  }
  return path.dirname(p);
}

/** lstat, or undefined when nothing is there; other errors are refused with their code. */
function lstatOrNone(flag: string, target: string, p: string) {
  try {
    return lstatSync(p);
  } catch (error) {
    const c = code(error);
    if (c === "ENOENT") return undefined;
    if (c === "ENOTDIR") refuse(flag, target, `${notADirectory(p)} is not a directory`);
    return refuse(flag, target, `cannot inspect ${p} (${c})`);
  }
}

/** Whether `dir` is a writable directory, or can be created as one; refuses naming why not. */
function checkWritableDir(flag: string, target: string, dir: string): void {
  // Walk up to the nearest existing entry, refusing files and dangling symlinks on the way.
  let current = dir;
  for (;;) {
    const st = lstatOrNone(flag, target, current);
    if (st) {
      let real;
      try {
        real = statSync(current);
      } catch (error) {
        return refuse(
          flag,
          target,
          `${current} is a symbolic link to nothing (${code(error)}): fix or remove the link`,
        );
      }
      if (!real.isDirectory())
        refuse(flag, target, `${current} is not a directory: choose a path under a directory`);
      break;
    }
    const up = path.dirname(current);
    if (up === current) break;
    current = up;
  }
  // Missing directories are left to the writer, which creates them; what it needs is to be able
  // to write in the nearest one that exists. access(2) says yes to root even where the file
  // system says no (/sys, read-only mounts): create and remove a probe file instead.
  const probe = path.join(current, `.mallocbench-write-test-${process.pid}`);
  try {
    closeSync(openSync(probe, "wx"));
    unlinkSync(probe);
  } catch (error) {
    refuse(flag, target, `the directory ${current} is not writable (${code(error)})`);
  }
}

/** Whether the file at `p` holds measured runs: a results file, a merged file or a journal. */
export function holdsMeasurements(p: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(p, "r");
    const buffer = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, n).toString("utf8");
    if (head.startsWith('{"type":"header"')) return true;
    return /"schemaVersion"/.test(head) && /"(environment|sets|runs)":/.test(head);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export interface FileCheck {
  /** The flag the path came from, for the message ("-o", "--output"). */
  flag: string;
  /**
   * "never": refuse any existing file unless `force`; "measurements": refuse only an existing
   * results file, merged file or journal unless `force`; "always": overwrite anything.
   */
  overwrite: "never" | "measurements" | "always";
  force?: boolean;
  /** What --force does, for the message. */
  forceHint?: string;
  /** The command's input files: writing over one would destroy what is being read, even with --force. */
  inputs?: string[];
}

/** Check that `file` can be written as a regular file; returns its absolute path. */
export function checkOutputFile(file: string, check: FileCheck): string {
  const target = path.resolve(file);
  if (file === "" || file.endsWith("/") || file.endsWith(`${path.sep}.`))
    refuse(check.flag, file, "names a directory: give a file name");
  checkWritableDir(check.flag, file, path.dirname(target));
  const st = lstatOrNone(check.flag, file, target);
  if (!st) return target;
  let real;
  try {
    real = statSync(target);
  } catch (error) {
    return refuse(
      check.flag,
      file,
      `is a symbolic link to nothing (${code(error)}): fix or remove the link`,
    );
  }
  if (real.isDirectory()) refuse(check.flag, file, "is a directory: give a file name");
  if (!real.isFile()) refuse(check.flag, file, "exists and is not a regular file");
  for (const input of check.inputs ?? []) {
    let other;
    try {
      other = statSync(input);
    } catch {
      continue; // a missing input is reported by its reader
    }
    if (other.dev === real.dev && other.ino === real.ino)
      refuse(check.flag, file, `is the input ${input}: write the output to another path`);
  }
  const protect =
    check.overwrite === "never" ||
    (check.overwrite === "measurements" && holdsMeasurements(target));
  if (protect && !check.force) {
    refuse(
      check.flag,
      file,
      `already exists${check.overwrite === "measurements" ? " and holds measured runs" : ""}; ${check.forceHint ?? "choose another path, or pass --force to replace it"}`,
    );
  }
  return target;
}

/** Check that `dir` is (or can be created as) a writable directory; returns its absolute path. */
export function checkOutputDir(dir: string, flag: string): string {
  const target = path.resolve(dir);
  checkWritableDir(flag, dir, target);
  return target;
}

/** The build cache must be a writable directory before anything is built into it. */
export function checkCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const label = env["MALLOCBENCH_CACHE_DIR"]
    ? "MALLOCBENCH_CACHE_DIR"
    : "the build cache (MALLOCBENCH_CACHE_DIR moves it)";
  return checkOutputDir(cacheDir(env), label);
}
