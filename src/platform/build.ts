import { mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { runHelper } from "../util/exec.js";
import type { Libc } from "./toolchain.js";
import { launcherSource, workloadsDir } from "../paths.js";
import { UsageError } from "../errors.js";
import { clipEnd, NotRegularFileError, readRegularFile } from "../util/files.js";
import { sha256Hex } from "../util/hash.js";
import { REQUIRED_CFLAGS, type Toolchain } from "./toolchain.js";

/** What a workload build needs: its name, its directory and its C sources (relative to it). */
export interface WorkloadSources {
  name: string;
  dir: string;
  sources: readonly string[];
}

/** Bump when the way we compile changes, so old cache entries are not reused. */
const BUILD_RECIPE_VERSION = 1;

export type BuildResult =
  | { status: "ok"; binary: string; hash: string; cached: boolean }
  | { status: "failed"; reason: string; hash: string };

export type BuiltWorkload = BuildResult & { workload: string; libc: Libc; toolchainId: string };

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** A source file's bytes; a source that is a FIFO, device or directory is a usage error. */
async function readSource(file: string): Promise<Buffer> {
  try {
    return await readRegularFile(file);
  } catch (error) {
    if (error instanceof NotRegularFileError)
      throw new UsageError(`workload source ${error.message}`);
    throw error;
  }
}

async function hashInputs(files: readonly string[], extra: unknown): Promise<string> {
  const parts: string[] = [JSON.stringify({ recipe: BUILD_RECIPE_VERSION, extra })];
  for (const file of files) {
    parts.push(path.basename(file), sha256Hex(await readSource(file)));
  }
  return sha256Hex(parts.join("\0")).slice(0, 16);
}

/**
 * Compile into `<cacheRoot>/<toolchainId>/<hash>/<name>` unless it is already there.
 * The compiler writes to a temporary name first and the result is renamed into place, so a
 * concurrent build or an interrupted one never leaves a half-written binary in the cache.
 */
async function compileCached(
  tc: Toolchain,
  name: string,
  sources: readonly string[],
  flags: readonly string[],
  libs: readonly string[],
  cacheRoot: string,
  alsoHashed: readonly string[] = [],
): Promise<BuildResult> {
  const hash = await hashInputs([...sources, ...alsoHashed], {
    cc: tc.cc,
    version: tc.ccVersion,
    target: tc.target,
    flags,
    libs,
  });
  const dir = path.join(cacheRoot, tc.id, hash);
  const binary = path.join(dir, name);
  if (await exists(binary)) return { status: "ok", binary, hash, cached: true };
  await mkdir(dir, { recursive: true });
  const tmp = `${binary}.tmp-${process.pid}-${Date.now()}`;
  const [cmd, ...pre] = tc.cc as [string, ...string[]];
  const result = await runHelper(cmd, [...pre, ...flags, ...sources, "-o", tmp, ...libs], {
    reject: false,
    timeout: 300_000,
    all: true,
  });
  if (result.exitCode !== 0) {
    await rm(tmp, { force: true });
    const output = String(result.all ?? "")
      .trim()
      .split("\n")
      .slice(-8)
      .join("\n");
    return {
      status: "failed",
      reason: `${path.basename(cmd)} failed for ${name}: ${clipEnd(output, 2000)}`,
      hash,
    };
  }
  await rename(tmp, binary);
  return { status: "ok", binary, hash, cached: false };
}

/** The launcher is built once, with the host toolchain: it only forks, execs and measures. */
export async function buildLauncher(host: Toolchain, cacheRoot: string): Promise<BuildResult> {
  return compileCached(
    host,
    "launcher",
    [launcherSource()],
    [...host.cflags, "-std=gnu11", "-Wall", "-Wextra"],
    [],
    cacheRoot,
  );
}

/** Build one workload for one toolchain, with the shared protocol code from workloads/common. */
export async function buildWorkload(
  tc: Toolchain,
  workload: WorkloadSources,
  cacheRoot: string,
): Promise<BuiltWorkload> {
  const common = path.join(workloadsDir(), "common");
  const sources = [
    path.join(common, "mallocbench.c"),
    ...workload.sources.map((s) => path.join(workload.dir, s)),
  ];
  const header = path.join(common, "mallocbench.h");
  // The header is an input too: hashed with the sources, not passed to the compiler.
  const result = await compileCached(
    tc,
    workload.name,
    sources,
    [...tc.cflags, ...REQUIRED_CFLAGS, `-I${common}`],
    ["-ldl"],
    cacheRoot,
    [header],
  );
  return { ...result, workload: workload.name, libc: tc.libc, toolchainId: tc.id };
}
