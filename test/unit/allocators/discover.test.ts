import { existsSync } from "node:fs";
import { mkdir, realpath } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isTargetTripleFor, librarySearchDirs } from "../../../src/allocators/catalog.js";
import {
  discoverAllocators,
  discoverAllocatorsDetailed,
  findScudoCandidates,
} from "../../../src/allocators/discover.js";
import { hostMachine } from "../../../src/platform/elf.js";
import type { AllocatorSpec } from "../../../src/allocators/types.js";
import {
  compileAlpineStyleLib,
  compileShared,
  link,
  makeTempDir,
  place,
  removeDir,
  SYSTEM,
} from "./helpers.js";

const machine = hostMachine();
const haveSystemLibs =
  machine === "x86_64" &&
  [SYSTEM.jemalloc, SYSTEM.tcmalloc, SYSTEM.mimalloc, SYSTEM.scudo16, SYSTEM.scudo14].every((p) =>
    existsSync(p),
  );

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir("mallocbench-discover-");
});
afterAll(async () => {
  await removeDir(dir);
});

const summary = (specs: AllocatorSpec[]): Record<string, string | undefined> =>
  Object.fromEntries(specs.map((s) => [s.name, s.lib]));

describe.runIf(haveSystemLibs)("fake distribution trees (copies of real libraries)", () => {
  it("Debian/Ubuntu: multiarch dirs, /lib -> usr/lib, llvm-N resource dirs", async () => {
    const root = join(dir, "debian");
    const jem = await place(root, "usr/lib/x86_64-linux-gnu/libjemalloc.so.2", SYSTEM.jemalloc);
    const tcm = await place(
      root,
      "usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4.5.10",
      SYSTEM.tcmalloc,
    );
    await link(
      root,
      "usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4",
      "libtcmalloc_minimal.so.4.5.10",
    );
    await place(root, "usr/lib/x86_64-linux-gnu/libmimalloc.so.2.0", SYSTEM.mimalloc);
    await link(root, "usr/lib/x86_64-linux-gnu/libmimalloc.so.2", "libmimalloc.so.2.0");
    const s14 = await place(
      root,
      "usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.scudo_standalone-x86_64.so",
      SYSTEM.scudo14,
    );
    const s16 = await place(
      root,
      "usr/lib/llvm-16/lib/clang/16/lib/linux/libclang_rt.scudo_standalone-x86_64.so",
      SYSTEM.scudo16,
    );
    // the i386 build next to it is not for this machine and not even a candidate
    await place(
      root,
      "usr/lib/llvm-16/lib/clang/16/lib/linux/libclang_rt.scudo_standalone-i386.so",
      SYSTEM.scudo16i386,
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
    const jem = await place(root, "usr/lib64/libjemalloc.so.2", SYSTEM.jemalloc);
    // gperftools' full tcmalloc only
    const tc = await place(root, "usr/lib64/libtcmalloc.so.4", SYSTEM.tcmalloc);
    // an i686 "mimalloc" in /usr/lib: found, rejected for its machine
    const i386 = await place(root, "usr/lib/libmimalloc.so.2", SYSTEM.scudo16i386);
    const s17 = await place(
      root,
      "usr/lib/clang/17/lib/x86_64-redhat-linux-gnu/libclang_rt.scudo_standalone.so",
      SYSTEM.scudo16,
    );
    await place(
      root,
      "usr/lib/clang/17/lib/i386-redhat-linux-gnu/libclang_rt.scudo_standalone.so",
      SYSTEM.scudo16i386,
    );
    const s15 = await place(
      root,
      "usr/lib64/clang/15.0.7/lib/linux/libclang_rt.scudo_standalone-x86_64.so",
      SYSTEM.scudo14,
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
    const build = join(dir, "alpine-build");
    await mkdir(build, { recursive: true });
    const muslLib = await compileAlpineStyleLib(build, "libfake.so");
    const jem = await place(root, "usr/lib/libjemalloc.so.2", muslLib);
    const mim = await place(root, "usr/lib/libmimalloc.so.2", muslLib);
    const s17 = await place(
      root,
      "usr/lib/llvm17/lib/clang/17/lib/x86_64-alpine-linux-musl/libclang_rt.scudo_standalone.so",
      muslLib,
    );
    // a glibc tcmalloc (say, copied from elsewhere): unusable without a glibc toolchain
    const tc = await place(root, "usr/lib/libtcmalloc_minimal.so.4", SYSTEM.tcmalloc);

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
    const jem = await place(root, "usr/lib/libjemalloc.so.2", SYSTEM.jemalloc);
    await link(root, "usr/lib/libjemalloc.so", "libjemalloc.so.2");
    const tcMin = await place(root, "usr/lib/libtcmalloc_minimal.so.4", SYSTEM.tcmalloc);
    await place(root, "usr/lib/libtcmalloc.so.4", SYSTEM.tcmalloc);
    const mim = await place(root, "usr/lib/libmimalloc.so.3", SYSTEM.mimalloc);
    const s18 = await place(
      root,
      "usr/lib/clang/18/lib/x86_64-pc-linux-gnu/libclang_rt.scudo_standalone.so",
      SYSTEM.scudo14,
    );
    const s19 = await place(
      root,
      "usr/lib/clang/19/lib/x86_64-pc-linux-gnu/libclang_rt.scudo_standalone.so",
      SYSTEM.scudo16,
    );
    // not Linux/glibc-or-musl targets: ignored
    await place(
      root,
      "usr/lib/clang/20/lib/x86_64-linux-android/libclang_rt.scudo_standalone.so",
      SYSTEM.scudo16,
    );
    await place(
      root,
      "usr/lib/clang/20/lib/x86_64-pc-linux-gnux32/libclang_rt.scudo_standalone.so",
      SYSTEM.scudo16,
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
    const build = join(dir, "nomalloc-build");
    await mkdir(build, { recursive: true });
    const stub = await compileShared(build, "libstub.so", "int je_mallctl(void) { return 0; }\n");
    const bad = await place(root, "usr/lib/x86_64-linux-gnu/libjemalloc.so.2", stub);
    const good = await place(root, "usr/lib64/libjemalloc.so.2", SYSTEM.jemalloc);
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
    const legacySrc = "/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.scudo-x86_64.so";
    if (!existsSync(legacySrc)) return;
    const legacy = await place(
      root,
      "usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.scudo-x86_64.so",
      legacySrc,
    );
    const s14 = await place(
      root,
      "usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.scudo_standalone-x86_64.so",
      SYSTEM.scudo14,
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

describe.runIf(haveSystemLibs)("this machine", () => {
  it("finds jemalloc, tcmalloc, mimalloc, scudo@14 and scudo@16, with scudo = 16", async () => {
    const { allocators } = await discoverAllocatorsDetailed({ machine, libcs: ["glibc", "musl"] });
    const byName = summary(allocators);
    expect(Object.keys(byName)).toEqual(
      expect.arrayContaining([
        "glibc",
        "musl",
        "jemalloc",
        "tcmalloc",
        "mimalloc",
        "scudo",
        "scudo@16",
        "scudo@14",
      ]),
    );
    expect(byName["jemalloc"]).toBe(SYSTEM.jemalloc);
    expect(byName["tcmalloc"]).toBe(SYSTEM.tcmalloc);
    expect(byName["mimalloc"]).toBe(SYSTEM.mimalloc);
    expect(byName["scudo"]).toBe(SYSTEM.scudo16);
    expect(byName["scudo@16"]).toBe(SYSTEM.scudo16);
    expect(byName["scudo@14"]).toBe(SYSTEM.scudo14);
    for (const a of allocators.filter((x) => x.lib)) expect(a.libc).toBe("glibc");
    const scudos = await findScudoCandidates(machine);
    expect(scudos.map((c) => c.major)).toEqual(expect.arrayContaining([14, 16]));
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
