import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DF_1_PIE } from "../../../src/platform/elf.js";
import { checkLibrary, libcOfNeeded } from "../../../src/allocators/validate.js";
import { allocatorElf, buildElf, EM, makeTempDir, removeDir, writeImage } from "./helpers.js";

// Synthetic x86_64 images, whatever machine runs the test; test/integration/allocators/
// validate.test.ts checks real libraries and compiler output.
const machine = "x86_64";

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir("mallocbench-validate-");
});
afterAll(async () => {
  await removeDir(dir);
});

const write = (name: string, image: Buffer): Promise<string> => writeImage(dir, name, image);
const program = (type: number, pie: boolean): Buffer =>
  buildElf({
    elfClass: 64,
    endian: "little",
    machine: EM.x86_64,
    type,
    needed: ["libc.so.6"],
    imports: ["malloc"],
    ...(pie ? { interp: "/lib64/ld-linux-x86-64.so.2", flags1: DF_1_PIE } : {}),
  });

describe("libcOfNeeded", () => {
  it("recognises glibc and both spellings of musl", () => {
    expect(libcOfNeeded(["libm.so.6", "libc.so.6"])).toBe("glibc");
    expect(libcOfNeeded(["libc.musl-x86_64.so.1"])).toBe("musl");
    expect(libcOfNeeded(["libc.musl-aarch64.so.1"])).toBe("musl");
    expect(libcOfNeeded(["libc.so"])).toBe("musl");
    expect(libcOfNeeded([])).toBe("none");
    expect(libcOfNeeded(["libm.so.6", "libpthread.so.0"])).toBe("none");
    expect(libcOfNeeded(["libc.so.0"])).toBe("none"); // uClibc
  });
});

describe("checkLibrary", () => {
  it("accepts a glibc library exporting malloc", async () => {
    const lib = await write("libglibc.so", allocatorElf());
    expect(await checkLibrary(lib, { machine })).toEqual({
      status: "ok",
      machine: "x86_64",
      elfClass: 64,
      libc: "glibc",
      needed: ["libc.so.6"],
    });
  });

  it("a library linking libc.so (musl-gcc) or libc.musl-x86_64.so.1 (Alpine) links musl", async () => {
    for (const needed of [["libc.so"], ["libc.musl-x86_64.so.1"]]) {
      const lib = await write(`libmusl-${needed[0]}`, allocatorElf({ needed }));
      expect(await checkLibrary(lib, { machine })).toMatchObject({
        status: "ok",
        libc: "musl",
        needed,
      });
    }
  });

  it("a library linking no libc is ok with libc none", async () => {
    const lib = await write("libnolibc.so", allocatorElf({ needed: [] }));
    expect(await checkLibrary(lib, { machine })).toMatchObject({
      status: "ok",
      libc: "none",
      needed: [],
    });
  });

  it("a library that does not export malloc is rejected unless the check is off", async () => {
    const lib = await write("libnomalloc.so", allocatorElf({ symbols: ["foo"] }));
    expect(await checkLibrary(lib, { machine })).toEqual({
      status: "invalid",
      reason: `${lib}: does not export malloc, so preloading it would not replace the allocator`,
    });
    expect((await checkLibrary(lib, { machine, requireSymbol: null })).status).toBe("ok");
    expect((await checkLibrary(lib, { machine, requireSymbol: "foo" })).status).toBe("ok");
  });

  it("names the wrong machine", async () => {
    const arm = await write("libaarch64.so", allocatorElf({ machine: "aarch64" }));
    expect(await checkLibrary(arm, { machine })).toEqual({
      status: "invalid",
      reason: `${arm}: ELF for aarch64, this machine runs x86_64`,
    });
    const i386 = await write("libi386.so", allocatorElf({ machine: "i386" }));
    expect(await checkLibrary(i386, { machine })).toEqual({
      status: "invalid",
      reason: `${i386}: ELF for i386, this machine runs x86_64`,
    });
  });

  it("rejects a PIE executable", async () => {
    const exe = await write("pie-exe", program(3, true));
    expect(await checkLibrary(exe, { machine })).toEqual({
      status: "invalid",
      reason: `${exe}: an executable (PIE), not a shared library`,
    });
  });

  it("rejects a non-PIE executable and an object file", async () => {
    const exe = await write("nopie-exe", program(2, false));
    expect(await checkLibrary(exe, { machine })).toEqual({
      status: "invalid",
      reason: `${exe}: an ELF executable (ET_EXEC), not a shared library`,
    });
    const obj = await write("main.o", program(1, false));
    expect(await checkLibrary(obj, { machine })).toEqual({
      status: "invalid",
      reason: `${obj}: an ELF relocatable object (.o), not a shared library`,
    });
  });

  it("rejects missing files, directories, non-ELF and truncated files", async () => {
    const missing = join(dir, "nope.so");
    expect(await checkLibrary(missing, { machine })).toEqual({
      status: "invalid",
      reason: `${missing}: no such file`,
    });
    expect(await checkLibrary(dir, { machine })).toEqual({
      status: "invalid",
      reason: `${dir}: is a directory, not a shared library`,
    });
    const text = join(dir, "text.so");
    await writeFile(text, "hello\n");
    const r = await checkLibrary(text, { machine });
    expect(r.status).toBe("invalid");
    if (r.status === "invalid") expect(r.reason).toMatch(new RegExp(`^${text}: not an ELF file`));
    const cut = await write("libcut.so", allocatorElf().subarray(0, 100));
    const t = await checkLibrary(cut, { machine });
    expect(t.status).toBe("invalid");
    if (t.status === "invalid") {
      expect(t.reason).toMatch(new RegExp(`^${cut}: truncated ELF file`));
      expect(t.reason).not.toContain("\n");
    }
  });

  it("reasons are single lines starting with the path", async () => {
    const text = join(dir, "passwd");
    await writeFile(text, "root:x:0:0:root:/root:/bin/sh\n");
    const paths = [join(dir, "nope2.so"), dir, await write("pie2", program(3, true)), text];
    for (const p of paths) {
      const r = await checkLibrary(p, { machine });
      expect(r.status).toBe("invalid");
      if (r.status === "invalid") {
        expect(r.reason.startsWith(`${p}: `)).toBe(true);
        expect(r.reason).not.toContain("\n");
      }
    }
  });
});
