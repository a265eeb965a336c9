import { createHash } from "node:crypto";
import { readFileSync, realpathSync, unlinkSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { UsageError } from "../errors.js";

/** Machine-wide lock file (MALLOCBENCH_LOCK overrides, e.g. for tests that need isolation). */
export function lockPath(env: NodeJS.ProcessEnv = process.env): string {
  return env["MALLOCBENCH_LOCK"] ?? path.join(os.tmpdir(), "mallocbench.lock");
}

export interface Lock {
  release(): void;
}

/**
 * The lock itself: a Linux abstract unix socket named after the lock file. Binding it is atomic
 * and exclusive, and the kernel frees the name when its holder exits however it exits, so there
 * is no stale lock to detect and no pid to trust. (It is per network namespace: containers with
 * their own network do not see each other's.)
 */
function socketName(file: string): string {
  const digest = createHash("sha256").update(path.resolve(file)).digest("hex").slice(0, 40);
  return `\0mallocbench-lock-${digest}`;
}

function holderPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Take the lock so that two `bench run` on one machine never measure at the same time; refuses
 * at once when another holds it. The lock file only says who holds it (its pid), for the message;
 * whatever it says, a lock whose holder has exited is free.
 */
export async function acquireLock(file = lockPath()): Promise<Lock> {
  const server = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(socketName(file), () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    server.close();
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      const pid = holderPid(file);
      throw new UsageError(
        `another bench run is measuring on this machine (pid ${pid ?? "unknown"}, lock ${file}); wait for it to finish so the two do not disturb each other`,
      );
    }
    throw new UsageError(
      `cannot take the lock ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  server.unref(); // holding the lock must not keep the process alive
  try {
    writeFileSync(file, `${process.pid}\n`, { mode: 0o644 });
  } catch (error) {
    server.close();
    throw new UsageError(
      `cannot write the lock file ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): set MALLOCBENCH_LOCK to a writable path`,
    );
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      // The file first, then the lock: the next holder writes its pid only once it holds it.
      if (holderPid(file) === process.pid) {
        try {
          unlinkSync(file);
        } catch {
          // already gone
        }
      }
      server.close();
    },
  };
}

/**
 * One writer per results file, whatever lock file each bench uses (another TMPDIR or
 * MALLOCBENCH_LOCK): a second run, `--force` or `--resume` onto a file being written would
 * interleave records in its journal. The same kernel-released abstract socket, named after the
 * file's real path.
 */
export async function acquireResultsLock(file: string): Promise<Lock> {
  let real = path.resolve(file);
  try {
    real = path.join(realpathSync(path.dirname(real)), path.basename(real));
  } catch {
    // the directory does not exist yet: nobody else can be writing there either
  }
  const digest = createHash("sha256").update(real).digest("hex").slice(0, 40);
  const server = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(`\0mallocbench-results-${digest}`, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    server.close();
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE")
      throw new UsageError(
        `${file} is being written by another bench run; wait for it to finish, or choose another -o`,
      );
    throw error;
  }
  server.unref();
  return { release: () => server.close() };
}
