import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa, type ResultPromise } from "execa";

export const ROOT = path.resolve(import.meta.dirname, "..", "..");
export const BIN = path.join(ROOT, "bin", "bench.js");
export const FIXTURE_WORKLOADS = path.join(ROOT, "test", "fixtures", "workloads");
export const FIXTURE_LIBS = path.join(ROOT, "test", "fixtures", "libs");

export async function tempDir(prefix = "mallocbench-test-"): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/** Run the real CLI in a child process. Each caller passes its own lock file unless it tests the lock. */
export function bench(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): ResultPromise<{ reject: false; all: true }> {
  return execa("node", [BIN, ...args], {
    reject: false,
    all: true,
    cwd: options.cwd ?? ROOT,
    env: { ...options.env },
    stdin: "ignore",
  }) as unknown as ResultPromise<{ reject: false; all: true }>;
}

/** stderr lines, for asserting "one clear line and no stack trace". */
export function errorLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.trim() !== "");
}
