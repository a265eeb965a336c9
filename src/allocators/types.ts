import type { Libc } from "../platform/toolchain.js";

export type { Libc };

/** Where an allocator entry came from. */
export type AllocatorSource = "libc" | "discovered" | "user" | "config";

/**
 * One allocator as the harness will run it.
 * `lib` absent means the libc's own malloc (no preload).
 */
export interface AllocatorSpec {
  /** Unique name used on the command line and in results: glibc, musl, scudo, scudo@16, jemalloc, ... */
  name: string;
  /** Family: glibc, musl, scudo, jemalloc, tcmalloc, mimalloc, or "custom". */
  family: string;
  /** Absolute path of the shared object to LD_PRELOAD; undefined for the libc's own allocator. */
  lib?: string;
  /** The libc the library links against (and therefore which workload build it runs with). */
  libc: Libc;
  /** Extra environment for the workload (variants; empty for plain allocators). */
  env: Record<string, string>;
  /** Version when known (LLVM major for scudo, package version otherwise). */
  version?: string;
  source: AllocatorSource;
  /** For allocators the harness builds (scudo-musl): the static archive it is built from. */
  builtFrom?: string;
  /** For variants (`--variant NAME=BASE:KEY=VALUE`): the base allocator and the settings added to it. */
  variant?: { base: string; env: Record<string, string> };
}

/** An allocator after validation, with the facts recorded in results. */
export interface ResolvedAllocator extends AllocatorSpec {
  /** realpath of lib, the path identity reports are compared with. */
  realLib?: string;
  sha256?: string;
  /** Owning package and its version when the package manager can tell. */
  package?: { manager: "dpkg" | "rpm" | "apk" | "pacman"; name: string; version: string };
}

/** Result of validating a library file for preloading. */
export type LibraryCheck =
  | { status: "ok"; machine: string; elfClass: 32 | 64; libc: Libc | "none"; needed: string[] }
  | { status: "invalid"; reason: string };
