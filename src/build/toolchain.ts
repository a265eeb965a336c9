import { access, constants, readdir } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import type { Libc } from "../allocators/types.js";
import { sha256Hex } from "../util/hash.js";

/** A C compiler that targets one libc. */
export interface Toolchain {
  /** "glibc" or "musl": one toolchain per libc (the libc decides which workload build an allocator uses). */
  libc: Libc;
  /** How it was found: the host compiler, or musl-gcc on a glibc host. */
  kind: "host" | "musl-gcc";
  /** The compiler command and its fixed leading arguments (CC may be "ccache gcc"). */
  cc: string[];
  /** First line of `cc --version`. */
  ccVersion: string;
  /** `cc -dumpmachine` (for musl-gcc: the underlying target). */
  target: string;
  /** Optimisation/user flags: CFLAGS when set, else the default. Recorded in results. */
  cflags: string[];
  /** True when CFLAGS came from the environment. */
  cflagsFromEnv: boolean;
  /** Short stable id used in build paths. */
  id: string;
}

/** Default optimisation flags. Deliberately no -march=native: every allocator meets the same code. */
export const DEFAULT_CFLAGS = ["-O2"];
/** Flags the protocol needs whatever the user asks for. */
export const REQUIRED_CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-pthread"];

async function onPath(cmd: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (cmd.includes("/")) {
    try {
      await access(cmd, constants.X_OK);
      return cmd;
    } catch {
      return undefined;
    }
  }
  for (const dir of (env["PATH"] ?? "").split(":")) {
    if (!dir) continue;
    const candidate = path.join(dir, cmd);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

function splitWords(value: string): string[] {
  return value.split(/\s+/).filter(Boolean);
}

async function describe(cc: string[]): Promise<{ version: string; target: string } | undefined> {
  const [cmd, ...pre] = cc as [string, ...string[]];
  const version = await execa(cmd, [...pre, "--version"], { reject: false, timeout: 20_000 });
  const target = await execa(cmd, [...pre, "-dumpmachine"], { reject: false, timeout: 20_000 });
  if (version.exitCode !== 0 || target.exitCode !== 0) return undefined;
  return {
    version: String(version.stdout).split("\n")[0]?.trim() ?? "",
    target: String(target.stdout).trim(),
  };
}

function libcOfTarget(target: string): Libc {
  return /musl/.test(target) ? "musl" : "glibc";
}

function makeId(libc: Libc, kind: string, cc: string[], version: string, cflags: string[]): string {
  return `${libc}-${sha256Hex(JSON.stringify([kind, cc, version, cflags])).slice(0, 10)}`;
}

/**
 * Find the toolchains of this machine: the host compiler (CC, else cc/gcc/clang), whose libc is
 * read from its target triple, and musl-gcc (or MUSL_CC) when the host targets glibc.
 */
export async function detectToolchains(env: NodeJS.ProcessEnv = process.env): Promise<Toolchain[]> {
  const cflagsFromEnv = env["CFLAGS"] !== undefined && env["CFLAGS"].trim() !== "";
  const cflags = cflagsFromEnv ? splitWords(env["CFLAGS"] as string) : DEFAULT_CFLAGS;
  const toolchains: Toolchain[] = [];

  const ccCandidates = env["CC"] ? [splitWords(env["CC"])] : [["cc"], ["gcc"], ["clang"]];
  for (const candidate of ccCandidates) {
    const [cmd, ...rest] = candidate as [string, ...string[]];
    const resolved = await onPath(cmd, env);
    if (!resolved) continue;
    const cc = [resolved, ...rest];
    const info = await describe(cc);
    if (!info) continue;
    const libc = libcOfTarget(info.target);
    toolchains.push({
      libc,
      kind: "host",
      cc,
      ccVersion: info.version,
      target: info.target,
      cflags,
      cflagsFromEnv,
      id: makeId(libc, "host", cc, info.version, cflags),
    });
    break;
  }

  const host = toolchains[0];
  if (!host || host.libc === "glibc") {
    const muslCmd = env["MUSL_CC"] ? splitWords(env["MUSL_CC"]) : ["musl-gcc"];
    const resolved = await onPath(muslCmd[0] as string, env);
    if (resolved) {
      const cc = [resolved, ...muslCmd.slice(1)];
      const info = await describe(cc);
      if (info) {
        toolchains.push({
          libc: "musl",
          kind: "musl-gcc",
          cc,
          ccVersion: info.version,
          target: info.target.replace(/-gnu$/, "-musl"),
          cflags,
          cflagsFromEnv,
          id: makeId("musl", "musl-gcc", cc, info.version, cflags),
        });
      }
    }
  }
  return toolchains;
}

/** musl's dynamic loader prints its version when run without arguments: "Version 1.2.3". */
export async function muslVersion(): Promise<string | undefined> {
  let loaders: string[] = [];
  for (const dir of ["/lib", "/usr/lib/musl/lib"]) {
    try {
      loaders = loaders.concat(
        (await readdir(dir))
          .filter((f) => /^ld-musl-.*\.so\.1$/.test(f))
          .map((f) => path.join(dir, f)),
      );
    } catch {
      // not there
    }
  }
  for (const loader of loaders) {
    const result = await execa(loader, [], { reject: false, timeout: 5000 });
    const match = /Version\s+([0-9][^\s]*)/.exec(
      `${String(result.stderr)}\n${String(result.stdout)}`,
    );
    if (match?.[1]) return match[1];
  }
  return undefined;
}
