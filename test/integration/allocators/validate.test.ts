/**
 * checkLibrary on real libraries and real compiler output: the installed allocators, and
 * libraries, executables and objects built here with cc and musl-gcc.
 */
import { copyFile, open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkLibrary } from "../../../src/allocators/validate.js";
import { detectToolchains } from "../../../src/platform/toolchain.js";
import { makeTempDir, removeDir } from "../../unit/allocators/helpers.js";
import { compileAlpineStyleLib, compileShared, installed, missing } from "./helpers.js";

const found = await installed();
const { machine } = found;
const musl = (await detectToolchains()).find((t) => t.libc === "musl" && !t.cross);

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir("mallocbench-validate-");
});
afterAll(async () => {
  await removeDir(dir);
});

describe("checkLibrary on installed allocators", () => {
  it("accepts jemalloc as a glibc library", async (ctx) => {
    ctx.skip(found.libs.jemalloc === undefined, missing("jemalloc", "libjemalloc2"));
    expect(await checkLibrary(found.libs.jemalloc as string, { machine })).toEqual({
      status: "ok",
      machine,
      elfClass: 64,
      libc: "glibc",
      needed: expect.arrayContaining(["libc.so.6"]) as unknown as string[],
    });
  });

  it("accepts every installed Scudo build as a glibc library", async (ctx) => {
    ctx.skip(found.scudo.length === 0, missing("Scudo", "libclang-rt-N-dev"));
    for (const { major, path } of found.scudo)
      expect(await checkLibrary(path, { machine }), `LLVM ${major}`).toMatchObject({
        status: "ok",
        libc: "glibc",
      });
  });

  it("rejects the i386 Scudo on x86_64", async (ctx) => {
    ctx.skip(
      found.scudoI386 === undefined,
      missing("an i386 Scudo", "libclang-rt-N-dev on x86_64"),
    );
    const lib = found.scudoI386?.path as string;
    expect(await checkLibrary(lib, { machine })).toEqual({
      status: "invalid",
      reason: `${lib}: ELF for i386, this machine runs x86_64`,
    });
  });
});

describe("checkLibrary on compiler output", () => {
  it("a library built with musl-gcc links musl (NEEDED libc.so)", async (ctx) => {
    ctx.skip(musl === undefined, missing("musl-gcc", "musl-tools"));
    const lib = await compileShared(dir, "libmuslalloc.so", undefined, [], "musl-gcc");
    expect(await checkLibrary(lib, { machine })).toMatchObject({
      status: "ok",
      libc: "musl",
      needed: expect.arrayContaining(["libc.so"]) as unknown as string[],
    });
  });

  it.runIf(machine === "x86_64")(
    "a library linking libc.musl-x86_64.so.1 (Alpine) links musl",
    async () => {
      const lib = await compileAlpineStyleLib(dir, "libalpine.so");
      const r = await checkLibrary(lib, { machine });
      expect(r).toMatchObject({ status: "ok", libc: "musl", needed: ["libc.musl-x86_64.so.1"] });
    },
  );

  it("a library linking no libc is ok with libc none", async () => {
    const lib = await compileShared(dir, "libnolibc.so", undefined, ["-nostdlib"]);
    expect(await checkLibrary(lib, { machine })).toMatchObject({
      status: "ok",
      libc: "none",
      needed: [],
    });
  });

  it("a library that does not export malloc is rejected", async () => {
    const lib = await compileShared(dir, "libnomalloc.so", "int foo(void) { return 1; }\n");
    expect(await checkLibrary(lib, { machine })).toEqual({
      status: "invalid",
      reason: `${lib}: does not export malloc, so preloading it would not replace the allocator`,
    });
  });

  it("a copy with another e_machine names the wrong machine", async () => {
    const lib = await compileShared(dir, "libwrongarch.so");
    const copy = join(dir, "libother.so");
    await copyFile(lib, copy);
    const other = machine === "aarch64" ? { em: 62, name: "x86_64" } : { em: 183, name: "aarch64" };
    const fh = await open(copy, "r+");
    const b = Buffer.alloc(2);
    b.writeUInt16LE(other.em);
    await fh.write(b, 0, 2, 18);
    await fh.close();
    expect(await checkLibrary(copy, { machine })).toEqual({
      status: "invalid",
      reason: `${copy}: ELF for ${other.name}, this machine runs ${machine}`,
    });
  });

  it("rejects a PIE executable, a non-PIE executable and an object file", async () => {
    const src = join(dir, "main.c");
    await writeFile(src, "#include <stdlib.h>\nint main(void) { return malloc(1) == 0; }\n");
    const pie = join(dir, "pie-exe");
    await execa("cc", ["-fPIE", "-pie", "-o", pie, src]);
    expect(await checkLibrary(pie, { machine })).toEqual({
      status: "invalid",
      reason: `${pie}: an executable (PIE), not a shared library`,
    });
    const exe = join(dir, "nopie-exe");
    await execa("cc", ["-fno-PIE", "-no-pie", "-o", exe, src]);
    expect(await checkLibrary(exe, { machine })).toEqual({
      status: "invalid",
      reason: `${exe}: an ELF executable (ET_EXEC), not a shared library`,
    });
    const obj = join(dir, "main.o");
    await execa("cc", ["-c", "-o", obj, src]);
    expect(await checkLibrary(obj, { machine })).toEqual({
      status: "invalid",
      reason: `${obj}: an ELF relocatable object (.o), not a shared library`,
    });
  });
});
