import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readElfInfo } from "../../../src/platform/elf.js";
import {
  cxxArchiveFor,
  ensureScudoMusl,
  findScudoArchives,
  scudoMuslAllocators,
  scudoMuslLibPath,
  selfCheckScudoMusl,
} from "../../../src/setup/scudo-musl.js";
import type { AllocatorSpec } from "../../../src/allocators/types.js";
import { detectToolchains, type Toolchain } from "../../../src/platform/toolchain.js";
import { makeTempDir, removeDir } from "../allocators/helpers.js";

async function touch(root: string, rel: string): Promise<string> {
  const file = path.join(root, rel);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, "");
  return file;
}

let dir: string;
let musl: Toolchain | undefined;
beforeAll(async () => {
  dir = await makeTempDir("mallocbench-scudo-musl-");
  musl = (await detectToolchains()).find((t) => t.libc === "musl");
});
afterAll(async () => {
  await removeDir(dir);
});

describe("findScudoArchives", () => {
  it("finds old-layout and per-target archives for this machine, one per LLVM major, newest first", async () => {
    const root = path.join(dir, "root");
    const old = await touch(
      root,
      "usr/lib/llvm-16/lib/clang/16/lib/linux/libclang_rt.scudo_standalone-x86_64.a",
    );
    const perTarget = await touch(
      root,
      "usr/lib/llvm-18/lib/clang/18/lib/x86_64-pc-linux-gnu/libclang_rt.scudo_standalone.a",
    );
    // Another architecture, and the shared library: not archives for x86_64.
    await touch(
      root,
      "usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.scudo_standalone-i386.a",
    );
    await touch(
      root,
      "usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.scudo_standalone-x86_64.so",
    );
    expect(await findScudoArchives("x86_64", root)).toEqual([
      { major: 18, path: perTarget },
      { major: 16, path: old },
    ]);
    expect(await findScudoArchives("aarch64", root)).toEqual([]);
  });

  it("names the C++ archive next to either layout", () => {
    expect(cxxArchiveFor("/x/linux/libclang_rt.scudo_standalone-x86_64.a")).toBe(
      "/x/linux/libclang_rt.scudo_standalone_cxx-x86_64.a",
    );
    expect(cxxArchiveFor("/x/x86_64-pc-linux-gnu/libclang_rt.scudo_standalone.a")).toBe(
      "/x/x86_64-pc-linux-gnu/libclang_rt.scudo_standalone_cxx.a",
    );
  });

  it("offers nothing without a musl toolchain", async () => {
    expect(await scudoMuslAllocators("x86_64", undefined)).toEqual([]);
  });
});

describe("ensureScudoMusl", () => {
  it("reports a link failure in one message naming the archive", async () => {
    expect(musl, "musl-gcc").toBeDefined();
    const tc = musl as Toolchain;
    const archive = await touch(dir, "bad/libclang_rt.scudo_standalone-x86_64.a");
    await writeFile(archive, "not an archive\n");
    const spec: AllocatorSpec = {
      name: "scudo-musl@99",
      family: "scudo-musl",
      lib: await scudoMuslLibPath({ major: 99, path: archive }, tc, path.join(dir, "cache-bad")),
      libc: "musl",
      env: {},
      source: "discovered",
      builtFrom: archive,
    };
    const built = await ensureScudoMusl(spec, tc, "x86_64");
    expect(built.status).toBe("failed");
    if (built.status === "failed") expect(built.reason).toContain(`linking ${archive}`);
  });

  it("builds the installed archive into a musl-linked library exporting malloc, once", async () => {
    expect(musl, "musl-gcc").toBeDefined();
    const tc = musl as Toolchain;
    const [archive] = await findScudoArchives("x86_64");
    expect(archive, "libclang-rt-N-dev").toBeDefined();
    if (!archive) return;
    const cache = path.join(dir, "cache");
    const lib = await scudoMuslLibPath(archive, tc, cache);
    expect(lib.startsWith(path.join(cache, "scudo-musl", `${archive.major}-`))).toBe(true);
    const spec: AllocatorSpec = {
      name: `scudo-musl@${archive.major}`,
      family: "scudo-musl",
      lib,
      libc: "musl",
      env: {},
      source: "discovered",
      builtFrom: archive.path,
    };
    const first = await ensureScudoMusl(spec, tc, "x86_64");
    expect(first).toEqual({ status: "ok", lib, cached: false });
    const info = await readElfInfo(lib);
    expect(info.needed).toEqual(["libc.so"]);
    for (const symbol of ["malloc", "free", "calloc", "realloc", "posix_memalign", "_Znwm"])
      expect(info.definedSymbols?.has(symbol), symbol).toBe(true);
    // The compat definitions stay private to the library.
    for (const symbol of ["backtrace", "backtrace_symbols", "__memcpy_chk"])
      expect(info.definedSymbols?.has(symbol), symbol).toBe(false);
    expect(await ensureScudoMusl(spec, tc, "x86_64")).toEqual({ status: "ok", lib, cached: true });
    expect(await selfCheckScudoMusl(lib, tc)).toBeUndefined();
  });

  it("the self-check rejects a library that does not replace malloc", async () => {
    expect(musl, "musl-gcc").toBeDefined();
    const tc = musl as Toolchain;
    const src = path.join(dir, "nomalloc.c");
    await writeFile(src, "int mallocbench_unrelated(void) { return 1; }\n");
    const lib = path.join(dir, "libnomalloc.so");
    const { execa } = await import("execa");
    const [cmd, ...pre] = tc.cc as [string, ...string[]];
    await execa(cmd, [...pre, "-shared", "-fPIC", src, "-o", lib]);
    expect(await selfCheckScudoMusl(lib, tc)).toMatch(/self-check failed: .* takes malloc from /);
  });
});
