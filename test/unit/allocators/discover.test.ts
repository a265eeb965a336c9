/**
 * Allocator discovery over fake distribution trees: synthetic ELF images laid out where each
 * distribution installs them, so every layout is checked on any machine, without the
 * libraries, LLVM or a compiler. test/integration/allocators/discover.test.ts checks this
 * machine's own installation.
 */
import { mkdir, realpath } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isTargetTripleFor, librarySearchDirs } from "../../../src/allocators/catalog.js";
import {
  discoverAllocators,
  discoverAllocatorsDetailed,
} from "../../../src/allocators/discover.js";
import type { AllocatorSpec } from "../../../src/allocators/types.js";
import { allocatorElf, link, makeTempDir, removeDir, writeImage } from "./helpers.js";

// The trees are x86_64 distributions whatever machine runs the test.
const machine = "x86_64";
/** What discovery reads from a glibc allocator (jemalloc, tcmalloc, mimalloc, Scudo). */
const GLIBC_LIB = allocatorElf();
const I386_LIB = allocatorElf({ machine: "i386" });
/** Alpine's libraries link libc.musl-<arch>.so.1. */
const ALPINE_LIB = allocatorElf({ needed: ["libc.musl-x86_64.so.1"] });
const NO_MALLOC = allocatorElf({ symbols: ["je_mallctl"] });

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir("mallocbench-discover-");
});
afterAll(async () => {
  await removeDir(dir);
});

const summary = (specs: AllocatorSpec[]): Record<string, string | undefined> =>
  Object.fromEntries(specs.map((s) => [s.name, s.lib]));

describe("fake distribution trees (synthetic libraries)", () => {
  it("Debian/Ubuntu: multiarch dirs, /lib -> usr/lib, llvm-N resource dirs", async () => {
    const root = join(dir, "debian");
    const jem = await writeImage(root, "usr/lib/x86_64-linux-gnu/libjemalloc.so.2", GLIBC_LIB);
    const tcm = await writeImage(
      root,
      "usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4.5.10",
      GLIBC_LIB,
    );
    await link(
      root,
      "usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4",
      "libtcmalloc_minimal.so.4.5.10",
    );
    await writeImage(root, "usr/lib/x86_64-linux-gnu/libmimalloc.so.2.0", GLIBC_LIB);
    await link(root, "usr/lib/x86_64-linux-gnu/libmimalloc.so.2", "libmimalloc.so.2.0");
    const s14 = await writeImage(
      root,
      "usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.scudo_standalone-x86_64.so",
      GLIBC_LIB,
    );
    const s16 = await writeImage(
      root,
      "usr/lib/llvm-16/lib/clang/16/lib/linux/libclang_rt.scudo_standalone-x86_64.so",
      GLIBC_LIB,
    );
    // the i386 build next to it is not for this machine and not even a candidate
    await writeImage(
      root,
      "usr/lib/llvm-16/lib/clang/16/lib/linux/libclang_rt.scudo_standalone-i386.so",
      I386_LIB,
    );
    await link(root, "lib", "usr/lib");

    const { allocators, skipped } = await discoverAllocatorsDetailed({
      machine,
      libcs: ["glibc", "musl"],
      root,
    });
    expect(allocators.map((a) => a.name)).toEqual([
      "glibc",
      "musl",
      "jemalloc",
      "tcmalloc",
      "mimalloc",
      "scudo",
      "scudo@16",
      "scudo@14",
    ]);
    const byName = summary(allocators);
    expect(byName["jemalloc"]).toBe(jem);
    expect(byName["tcmalloc"]).toBe(
      join(root, "usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"),
    );
    expect(await realpath(byName["tcmalloc"] as string)).toBe(await realpath(tcm));
    expect(byName["mimalloc"]).toBe(join(root, "usr/lib/x86_64-linux-gnu/libmimalloc.so.2"));
    expect(byName["scudo"]).toBe(s16);
    expect(byName["scudo@16"]).toBe(s16);
    expect(byName["scudo@14"]).toBe(s14);
    const scudo = allocators.find((a) => a.name === "scudo");
    expect(scudo).toMatchObject({
      family: "scudo",
      version: "16",
      libc: "glibc",
      source: "discovered",
      env: {},
    });
    expect(allocators.find((a) => a.name === "glibc")).toEqual({
      name: "glibc",
      family: "glibc",
      libc: "glibc",
      env: {},
      source: "libc",
    });
    // /lib/x86_64-linux-gnu/... is the same file through the /usr merge: not reported twice
    expect(skipped).toEqual([]);
  });

  it("Fedora: /usr/lib64, 32-bit libraries in /usr/lib skipped, per-target and old clang layouts", async () => {
    const root = join(dir, "fedora");
    const jem = await writeImage(root, "usr/lib64/libjemalloc.so.2", GLIBC_LIB);
    // gperftools' full tcmalloc only
    const tc = await writeImage(root, "usr/lib64/libtcmalloc.so.4", GLIBC_LIB);
    // an i686 "mimalloc" in /usr/lib: found, rejected for its machine
    const i386 = await writeImage(root, "usr/lib/libmimalloc.so.2", I386_LIB);
    const s17 = await writeImage(
      root,
      "usr/lib/clang/17/lib/x86_64-redhat-linux-gnu/libclang_rt.scudo_standalone.so",
      GLIBC_LIB,
    );
    await writeImage(
      root,
      "usr/lib/clang/17/lib/i386-redhat-linux-gnu/libclang_rt.scudo_standalone.so",
      I386_LIB,
    );
    const s15 = await writeImage(
      root,
      "usr/lib64/clang/15.0.7/lib/linux/libclang_rt.scudo_standalone-x86_64.so",
      GLIBC_LIB,
    );

    const { allocators, skipped } = await discoverAllocatorsDetailed({
      machine,
      libcs: ["glibc"],
      root,
    });
    expect(summary(allocators)).toEqual({
      glibc: undefined,
      jemalloc: jem,
      tcmalloc: tc,
      scudo: s17,
      "scudo@17": s17,
      "scudo@15": s15,
    });
    expect(skipped).toEqual([
      { family: "mimalloc", path: i386, reason: `${i386}: ELF for i386, this machine runs x86_64` },
    ]);
  });

  it("Alpine: musl libraries in /usr/lib, llvmNN resource dirs; glibc libraries need a glibc toolchain", async () => {
    const root = join(dir, "alpine");
    const jem = await writeImage(root, "usr/lib/libjemalloc.so.2", ALPINE_LIB);
    const mim = await writeImage(root, "usr/lib/libmimalloc.so.2", ALPINE_LIB);
    const s17 = await writeImage(
      root,
      "usr/lib/llvm17/lib/clang/17/lib/x86_64-alpine-linux-musl/libclang_rt.scudo_standalone.so",
      ALPINE_LIB,
    );
    // a glibc tcmalloc (say, copied from elsewhere): unusable without a glibc toolchain
    const tc = await writeImage(root, "usr/lib/libtcmalloc_minimal.so.4", GLIBC_LIB);

    const { allocators, skipped } = await discoverAllocatorsDetailed({
      machine,
      libcs: ["musl"],
      root,
    });
    expect(summary(allocators)).toEqual({
      musl: undefined,
      jemalloc: jem,
      mimalloc: mim,
      scudo: s17,
      "scudo@17": s17,
    });
    expect(allocators.filter((a) => a.lib).every((a) => a.libc === "musl")).toBe(true);
    expect(skipped).toEqual([
      {
        family: "tcmalloc",
        path: tc,
        reason: `${tc}: links glibc, but no glibc workload toolchain is available`,
      },
    ]);

    // With both toolchains, the glibc tcmalloc is usable and keeps libc glibc.
    const both = await discoverAllocators({ machine, libcs: ["glibc", "musl"], root });
    expect(both.find((a) => a.name === "tcmalloc")?.libc).toBe("glibc");
    expect(both.find((a) => a.name === "jemalloc")?.libc).toBe("musl");
  });

  it("Arch: /usr/lib, /usr/lib/clang/<ver>/lib/<triple>, newest version wins", async () => {
    const root = join(dir, "arch");
    const jem = await writeImage(root, "usr/lib/libjemalloc.so.2", GLIBC_LIB);
    await link(root, "usr/lib/libjemalloc.so", "libjemalloc.so.2");
    const tcMin = await writeImage(root, "usr/lib/libtcmalloc_minimal.so.4", GLIBC_LIB);
    await writeImage(root, "usr/lib/libtcmalloc.so.4", GLIBC_LIB);
    const mim = await writeImage(root, "usr/lib/libmimalloc.so.3", GLIBC_LIB);
    const s18 = await writeImage(
      root,
      "usr/lib/clang/18/lib/x86_64-pc-linux-gnu/libclang_rt.scudo_standalone.so",
      GLIBC_LIB,
    );
    const s19 = await writeImage(
      root,
      "usr/lib/clang/19/lib/x86_64-pc-linux-gnu/libclang_rt.scudo_standalone.so",
      GLIBC_LIB,
    );
    // not Linux/glibc-or-musl targets: ignored
    await writeImage(
      root,
      "usr/lib/clang/20/lib/x86_64-linux-android/libclang_rt.scudo_standalone.so",
      GLIBC_LIB,
    );
    await writeImage(
      root,
      "usr/lib/clang/20/lib/x86_64-pc-linux-gnux32/libclang_rt.scudo_standalone.so",
      GLIBC_LIB,
    );

    const allocators = await discoverAllocators({ machine, libcs: ["glibc"], root });
    expect(summary(allocators)).toEqual({
      glibc: undefined,
      jemalloc: jem,
      tcmalloc: tcMin,
      mimalloc: mim,
      scudo: s19,
      "scudo@19": s19,
      "scudo@18": s18,
    });
    expect(allocators.find((a) => a.name === "scudo")?.version).toBe("19");
  });

  it("a library that does not export malloc is skipped, the next candidate is used", async () => {
    const root = join(dir, "nomalloc");
    const bad = await writeImage(root, "usr/lib/x86_64-linux-gnu/libjemalloc.so.2", NO_MALLOC);
    const good = await writeImage(root, "usr/lib64/libjemalloc.so.2", GLIBC_LIB);
    const { allocators, skipped } = await discoverAllocatorsDetailed({
      machine,
      libcs: ["glibc"],
      root,
    });
    expect(summary(allocators)).toEqual({ glibc: undefined, jemalloc: good });
    expect(skipped).toEqual([
      {
        family: "jemalloc",
        path: bad,
        reason: `${bad}: does not export malloc, so preloading it would not replace the allocator`,
      },
    ]);
  });

  it("legacy Scudo only on request", async () => {
    const root = join(dir, "legacy");
    const legacy = await writeImage(
      root,
      "usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.scudo-x86_64.so",
      GLIBC_LIB,
    );
    const s14 = await writeImage(
      root,
      "usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.scudo_standalone-x86_64.so",
      GLIBC_LIB,
    );
    expect(summary(await discoverAllocators({ machine, libcs: ["glibc"], root }))).toEqual({
      glibc: undefined,
      scudo: s14,
      "scudo@14": s14,
    });
    const withLegacy = await discoverAllocators({
      machine,
      libcs: ["glibc"],
      root,
      includeLegacyScudo: true,
    });
    expect(withLegacy.find((a) => a.name === "scudo-legacy@14")).toMatchObject({
      family: "scudo-legacy",
      lib: legacy,
      version: "14",
    });
  });

  it("an empty root has only the libc allocators", async () => {
    const root = join(dir, "empty");
    await mkdir(root, { recursive: true });
    expect(await discoverAllocators({ machine, libcs: ["glibc", "musl"], root })).toEqual([
      { name: "glibc", family: "glibc", libc: "glibc", env: {}, source: "libc" },
      { name: "musl", family: "musl", libc: "musl", env: {}, source: "libc" },
    ]);
    expect(await discoverAllocators({ machine, libcs: [], root })).toEqual([]);
  });
});

describe("catalog", () => {
  it("search dirs: Debian multiarch first, then lib64, then lib", () => {
    expect(librarySearchDirs("x86_64")).toEqual([
      "/usr/lib/x86_64-linux-gnu",
      "/lib/x86_64-linux-gnu",
      "/usr/lib/x86_64-linux-musl",
      "/lib/x86_64-linux-musl",
      "/usr/lib64",
      "/lib64",
      "/usr/lib",
      "/lib",
    ]);
    expect(librarySearchDirs("ppc64le").slice(0, 2)).toEqual([
      "/usr/lib/powerpc64le-linux-gnu",
      "/lib/powerpc64le-linux-gnu",
    ]);
    expect(librarySearchDirs("riscv64")[0]).toBe("/usr/lib/riscv64-linux-gnu");
    expect(librarySearchDirs("aarch64")[0]).toBe("/usr/lib/aarch64-linux-gnu");
  });

  it("target triples", () => {
    for (const t of [
      "x86_64-pc-linux-gnu",
      "x86_64-unknown-linux-gnu",
      "x86_64-redhat-linux-gnu",
      "x86_64-alpine-linux-musl",
      "x86_64-linux-gnu",
      "x86_64-chimera-linux-musl",
    ]) {
      expect(isTargetTripleFor(t, "x86_64")).toBe(true);
    }
    for (const t of [
      "x86_64-linux-android",
      "x86_64-pc-linux-gnux32",
      "i386-pc-linux-gnu",
      "linux",
      "aarch64-linux-gnu",
    ]) {
      expect(isTargetTripleFor(t, "x86_64")).toBe(false);
    }
    expect(isTargetTripleFor("aarch64-unknown-linux-gnu", "aarch64")).toBe(true);
    expect(isTargetTripleFor("powerpc64le-unknown-linux-gnu", "ppc64le")).toBe(true);
    expect(isTargetTripleFor("powerpc64-unknown-linux-gnu", "ppc64le")).toBe(false);
    expect(isTargetTripleFor("riscv64-alpine-linux-musl", "riscv64")).toBe(true);
    expect(isTargetTripleFor("i686-pc-linux-gnu", "i386")).toBe(true);
    expect(isTargetTripleFor("armv7-alpine-linux-musleabihf", "arm")).toBe(true);
  });
});
