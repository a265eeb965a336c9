// Building scudo-musl with musl-gcc: test/integration/allocators/scudo-musl.test.ts.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cxxArchiveFor,
  findScudoArchives,
  scudoMuslAllocators,
} from "../../../src/setup/scudo-musl.js";
import { makeTempDir, removeDir } from "../allocators/helpers.js";

async function touch(root: string, rel: string): Promise<string> {
  const file = path.join(root, rel);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, "");
  return file;
}

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir("mallocbench-scudo-musl-");
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
