import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { UsageError } from "../errors.js";

/** Machine-wide lock file (MALLOCBENCH_LOCK overrides, e.g. for tests that need isolation). */
export function lockPath(env: NodeJS.ProcessEnv = process.env): string {
  return env["MALLOCBENCH_LOCK"] ?? path.join(os.tmpdir(), "mallocbench.lock");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface Lock {
  release(): void;
}

/**
 * Take the lock so that two `bench run` on one machine never measure at the same time.
 * A lock left by a process that no longer exists is taken over.
 */
export function acquireLock(file = lockPath()): Lock {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          try {
            if (readFileSync(file, "utf8").trim() === String(process.pid)) unlinkSync(file);
          } catch {
            // already gone
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new UsageError(`cannot create the lock file ${file}: ${(error as Error).message}`);
      }
      let pid = Number.NaN;
      try {
        pid = Number.parseInt(readFileSync(file, "utf8").trim(), 10);
      } catch {
        // vanished between open and read: try again
      }
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw new UsageError(
          `another bench run is measuring on this machine (pid ${pid}, lock ${file}); wait for it to finish so the two do not disturb each other`,
        );
      }
      try {
        unlinkSync(file); // stale: its owner is gone
      } catch {
        // someone else removed it first
      }
    }
  }
  throw new UsageError(`could not take the lock ${file}; remove it if no bench run is active`);
}
