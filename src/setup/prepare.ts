import { realpathSync } from "node:fs";
import { runHelper } from "../util/exec.js";
import { clipEnd } from "../util/files.js";
import type { AllocatorSpec, Libc, ResolvedAllocator } from "../allocators/types.js";
import { buildLauncher, buildWorkload, type BuiltWorkload } from "../platform/build.js";
import {
  detectToolchains,
  glibcVersion,
  muslVersion,
  type Toolchain,
} from "../platform/toolchain.js";
import { EnvironmentError, UsageError } from "../errors.js";
import { cacheDir } from "../paths.js";
import type { LibcFacts } from "../platform/environment.js";
import type { Workload } from "../targets/workloads.js";

export interface BuildSet {
  launcher: string;
  /** `${workload}/${libc}` -> build */
  builds: Map<string, BuiltWorkload>;
  /** Per libc: the facts recorded in the environment, including which object is the libc's own malloc. */
  libcs: Map<Libc, LibcFacts>;
}

export function buildKey(workload: string, libc: Libc): string {
  return `${workload}/${libc}`;
}

export interface Identity {
  malloc: string;
  free?: string;
  /** Entry point -> object defining it (src/setup/identity.ts checks them). */
  entryPoints?: unknown;
  /** The entry points the workload calls (malloc and free always). */
  uses?: unknown;
  libc?: string;
  libcVersion?: string | null;
}

/** Ask a workload binary which object file defines malloc, with an optional preload. */
export async function identify(
  binary: string,
  setEnv: Record<string, string> = {},
): Promise<Identity | { error: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...setEnv };
  if (!("LD_PRELOAD" in setEnv)) delete env["LD_PRELOAD"];
  const result = await runHelper(binary, ["--identify"], {
    reject: false,
    env,
    extendEnv: false,
    timeout: 30_000,
  });
  const lines = String(result.stdout)
    .split("\n")
    .filter((l) => l.startsWith("@identity "));
  // More than one line means something else in the process printed one: trust neither.
  const line = lines.length === 1 ? lines[0] : undefined;
  if (lines.length > 1)
    return { error: `${binary} --identify printed ${lines.length} @identity lines, expected one` };
  if (result.exitCode !== 0 || !line) {
    const why = clipEnd(String(result.stderr).trim().split("\n").at(-1) ?? "", 500);
    return {
      error: `${binary} --identify failed (${result.signal ?? `exit ${String(result.exitCode)}`})${why ? `: ${why}` : ""}`,
    };
  }
  try {
    return JSON.parse(line.slice("@identity ".length)) as Identity;
  } catch {
    return { error: `${binary} --identify printed an unreadable line` };
  }
}

export function realpathOr(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/**
 * Toolchain per libc; throws when no compiler exists at all. A cross compiler (CC for another
 * machine) is refused unless `allowCross`: only `bench build` uses one, since its binaries cannot
 * run here.
 */
export async function toolchainsByLibc(
  env: NodeJS.ProcessEnv = process.env,
  options: { allowCross?: boolean } = {},
): Promise<Map<Libc, Toolchain>> {
  const toolchains = await detectToolchains(env);
  if (toolchains.length === 0) {
    throw new EnvironmentError(
      "no C compiler found (tried $CC, cc, gcc, clang): install gcc, or run `bench setup`",
    );
  }
  const cross = toolchains.find((t) => t.cross);
  if (cross && !options.allowCross) {
    throw new UsageError(
      `CC=${cross.cc.join(" ")} builds for ${cross.machine} (${cross.target}), not for this machine: only \`bench build --cc\` cross-builds; unset CC to run here`,
    );
  }
  return new Map(toolchains.map((t) => [t.libc, t]));
}

/**
 * Build the launcher and every (workload, libc) pair needed, then ask one binary per libc what
 * its own malloc is. Build failures are returned as data, not thrown.
 */
export async function buildAll(
  toolchains: Map<Libc, Toolchain>,
  workloads: readonly Workload[],
  libcs: readonly Libc[],
  onProgress?: (message: string) => void,
): Promise<BuildSet> {
  const root = cacheDir();
  const host =
    [...toolchains.values()].find((t) => t.kind === "host") ?? [...toolchains.values()][0];
  if (!host) throw new EnvironmentError("no C compiler found: install gcc, or run `bench setup`");
  const launcher = await buildLauncher(host, root);
  if (launcher.status === "failed")
    throw new EnvironmentError(`cannot build the launcher: ${launcher.reason}`);
  const builds = new Map<string, BuiltWorkload>();
  const facts = new Map<Libc, LibcFacts>();
  for (const libc of libcs) {
    const tc = toolchains.get(libc);
    if (!tc) continue;
    for (const workload of workloads) {
      const built = await buildWorkload(tc, workload, root);
      onProgress?.(
        built.status === "ok"
          ? `${built.cached ? "cached" : "built"} ${workload.name} for ${libc}`
          : `FAILED to build ${workload.name} for ${libc}`,
      );
      builds.set(buildKey(workload.name, libc), built);
    }
    const probe = [...builds.values()].find((b) => b.libc === libc && b.status === "ok");
    let systemMalloc: string | null = null;
    let version: string | null = null;
    // A cross-built binary cannot run here: its libc's malloc stays unknown.
    if (probe?.status === "ok" && !tc.cross) {
      const id = await identify(probe.binary);
      if ("malloc" in id) {
        systemMalloc = realpathOr(id.malloc);
        version = id.libcVersion ?? null;
      }
    }
    if (libc === "musl" && version === null && !tc.cross) version = (await muslVersion()) ?? null;
    if (libc === "glibc" && version === null && !tc.cross) version = (await glibcVersion()) ?? null;
    facts.set(libc, {
      libc,
      version,
      toolchain: tc.id,
      compiler: tc.cc,
      compilerVersion: tc.ccVersion,
      target: tc.target,
      machine: tc.machine,
      cflags: tc.cflags,
      cflagsFromEnv: tc.cflagsFromEnv,
      systemMalloc,
    });
  }
  return { launcher: launcher.binary, builds, libcs: facts };
}

/** How a run's reported identity is checked against what was asked for. */
export function identityMatcher(
  allocator: ResolvedAllocator | AllocatorSpec,
  libcFacts: LibcFacts | undefined,
): {
  expected: string;
  matches: (identity: string) => boolean;
} {
  if (allocator.lib) {
    const want =
      "realLib" in allocator && allocator.realLib ? allocator.realLib : realpathOr(allocator.lib);
    return { expected: want, matches: (identity) => realpathOr(identity) === want };
  }
  const system = libcFacts?.systemMalloc ?? null;
  return {
    expected: system
      ? `${allocator.libc}'s own malloc (${system})`
      : `${allocator.libc}'s own malloc`,
    matches: (identity) => system !== null && realpathOr(identity) === system,
  };
}
