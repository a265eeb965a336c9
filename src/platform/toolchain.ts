import { access, constants, readdir } from "node:fs/promises";
import path from "node:path";
import { runHelper } from "../util/exec.js";
import { hostMachine } from "./elf.js";
import { sha256Hex } from "../util/hash.js";

/** The libc flavour a toolchain targets and an allocator library links against. */
export type Libc = "glibc" | "musl";

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
  /** The machine it compiles for, in elf.ts's vocabulary (x86_64, aarch64, riscv64, ppc64le, ...). */
  machine: string;
  /** True when `machine` is not the machine this process runs on: binaries need an emulator. */
  cross: boolean;
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
  const version = await runHelper(cmd, [...pre, "--version"], { reject: false, timeout: 20_000 });
  const target = await runHelper(cmd, [...pre, "-dumpmachine"], { reject: false, timeout: 20_000 });
  if (version.exitCode !== 0 || target.exitCode !== 0) return undefined;
  return {
    version: String(version.stdout).split("\n")[0]?.trim() ?? "",
    target: String(target.stdout).trim(),
  };
}

function libcOfTarget(target: string): Libc {
  return /musl/.test(target) ? "musl" : "glibc";
}

/**
 * The machine of a GNU target triple ("aarch64-linux-gnu", "powerpc64le-unknown-linux-gnu",
 * "x86_64-pc-linux-musl"), named as elf.ts names ELF machines so the two can be compared.
 */
export function machineOfTriple(target: string): string {
  const cpu = target.split("-")[0] ?? "";
  if (/^i[3-6]86$/.test(cpu)) return "i386";
  if (cpu === "x86_64" && /-gnux32$/.test(target)) return "x32";
  if (cpu === "amd64") return "x86_64";
  if (cpu === "arm64") return "aarch64";
  if (cpu === "powerpc64le" || cpu === "ppc64le") return "ppc64le";
  if (cpu === "powerpc64" || cpu === "ppc64") return "ppc64";
  if (cpu === "powerpc" || cpu === "ppc") return "ppc";
  if (/^arm(v\d+\w*)?$/.test(cpu)) return "arm";
  if (/^armv?\d*\w*eb$/.test(cpu)) return "armeb";
  return cpu;
}

function makeId(
  libc: Libc,
  kind: string,
  cc: string[],
  version: string,
  cflags: string[],
  machine: string,
  cross: boolean,
): string {
  const hash = sha256Hex(JSON.stringify([kind, cc, version, cflags, machine])).slice(0, 10);
  // Cross builds carry their machine in the cache path: .build/aarch64-glibc-<hash>/...
  return `${cross ? `${machine}-` : ""}${libc}-${hash}`;
}

/**
 * Find the toolchains: the main compiler (CC, else cc/gcc/clang), whose machine and libc are read
 * from its target triple (`cc -dumpmachine`), and musl-gcc (or MUSL_CC) when the main compiler
 * targets glibc on this machine. A CC for another machine (e.g. aarch64-linux-gnu-gcc) is a
 * cross toolchain: its binaries run only under an emulator, and no musl-gcc is paired with it.
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
    const machine = machineOfTriple(info.target);
    const cross = machine !== hostMachine();
    toolchains.push({
      libc,
      kind: "host",
      cc,
      ccVersion: info.version,
      target: info.target,
      machine,
      cross,
      cflags,
      cflagsFromEnv,
      id: makeId(libc, "host", cc, info.version, cflags, machine, cross),
    });
    break;
  }

  const host = toolchains[0];
  if (!host || (host.libc === "glibc" && !host.cross)) {
    const muslCmd = env["MUSL_CC"] ? splitWords(env["MUSL_CC"]) : ["musl-gcc"];
    const resolved = await onPath(muslCmd[0] as string, env);
    if (resolved) {
      const cc = [resolved, ...muslCmd.slice(1)];
      const info = await describe(cc);
      const machine = info ? machineOfTriple(info.target) : undefined;
      if (info && machine) {
        const cross = machine !== hostMachine();
        toolchains.push({
          libc: "musl",
          kind: "musl-gcc",
          cc,
          ccVersion: info.version,
          target: info.target.replace(/-gnu$/, "-musl"),
          machine,
          cross,
          cflags,
          cflagsFromEnv,
          id: makeId("musl", "musl-gcc", cc, info.version, cflags, machine, cross),
        });
      }
    }
  }
  return toolchains;
}

/**
 * The host glibc's version ("2.36") from `getconf GNU_LIBC_VERSION`: known even when no workload
 * was built to ask (a run of programs only).
 */
export async function glibcVersion(): Promise<string | undefined> {
  const result = await runHelper("getconf", ["GNU_LIBC_VERSION"], { reject: false, timeout: 5000 });
  return /^glibc\s+([0-9][^\s]*)/.exec(String(result.stdout).trim())?.[1];
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
    const result = await runHelper(loader, [], { reject: false, timeout: 5000 });
    const match = /Version\s+([0-9][^\s]*)/.exec(
      `${String(result.stderr)}\n${String(result.stdout)}`,
    );
    if (match?.[1]) return match[1];
  }
  return undefined;
}
