import { existsSync } from "node:fs";
import { copyFile, open, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostMachine } from "../../../src/platform/elf.js";
import { checkLibrary, libcOfNeeded } from "../../../src/allocators/validate.js";
import { compileAlpineStyleLib, compileShared, makeTempDir, removeDir, SYSTEM } from "./helpers.js";

const machine = hostMachine();
const onDebianX64 = machine === "x86_64" && existsSync(SYSTEM.jemalloc);
const hasMuslGcc = existsSync("/usr/bin/musl-gcc");

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir("mallocbench-validate-");
});
afterAll(async () => {
  await removeDir(dir);
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
  it.runIf(onDebianX64)("accepts jemalloc as a glibc library", async () => {
    const r = await checkLibrary(SYSTEM.jemalloc, { machine });
    expect(r).toEqual({
      status: "ok",
      machine: "x86_64",
      elfClass: 64,
      libc: "glibc",
      needed: expect.arrayContaining(["libc.so.6"]) as unknown as string[],
    });
  });

  it.runIf(onDebianX64)("accepts both installed Scudo builds", async () => {
    for (const p of [SYSTEM.scudo16, SYSTEM.scudo14].filter((x) => existsSync(x))) {
      const r = await checkLibrary(p, { machine });
      expect(r.status).toBe("ok");
      if (r.status === "ok") expect(r.libc).toBe("glibc");
    }
  });

  it.runIf(hasMuslGcc)("a library built with musl-gcc links musl (NEEDED libc.so)", async () => {
    const lib = await compileShared(dir, "libmuslalloc.so", undefined, [], "musl-gcc");
    const r = await checkLibrary(lib, { machine });
    expect(r.status).toBe("ok");
    if (r.status === "ok") {
      expect(r.needed).toContain("libc.so");
      expect(r.libc).toBe("musl");
    }
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

  it("a library that does not export malloc is rejected unless the check is off", async () => {
    const lib = await compileShared(dir, "libnomalloc.so", "int foo(void) { return 1; }\n");
    expect(await checkLibrary(lib, { machine })).toEqual({
      status: "invalid",
      reason: `${lib}: does not export malloc, so preloading it would not replace the allocator`,
    });
    expect((await checkLibrary(lib, { machine, requireSymbol: null })).status).toBe("ok");
    expect((await checkLibrary(lib, { machine, requireSymbol: "foo" })).status).toBe("ok");
  });

  it("names the wrong machine", async () => {
    const lib = await compileShared(dir, "libwrongarch.so");
    const copy = join(dir, "libaarch64.so");
    await copyFile(lib, copy);
    const fh = await open(copy, "r+");
    const b = Buffer.alloc(2);
    b.writeUInt16LE(183);
    await fh.write(b, 0, 2, 18);
    await fh.close();
    expect(await checkLibrary(copy, { machine: "x86_64" })).toEqual({
      status: "invalid",
      reason: `${copy}: ELF for aarch64, this machine runs x86_64`,
    });
  });

  it.runIf(existsSync(SYSTEM.scudo16i386) && machine === "x86_64")(
    "rejects a 32-bit library on x86_64",
    async () => {
      expect(await checkLibrary(SYSTEM.scudo16i386, { machine })).toEqual({
        status: "invalid",
        reason: `${SYSTEM.scudo16i386}: ELF for i386, this machine runs x86_64`,
      });
    },
  );

  it("rejects a PIE executable", async () => {
    const src = join(dir, "main.c");
    await writeFile(src, "#include <stdlib.h>\nint main(void) { return malloc(1) == 0; }\n");
    const exe = join(dir, "pie-exe");
    await execa("cc", ["-fPIE", "-pie", "-o", exe, src]);
    expect(await checkLibrary(exe, { machine })).toEqual({
      status: "invalid",
      reason: `${exe}: an executable (PIE), not a shared library`,
    });
  });

  it("rejects a non-PIE executable and an object file", async () => {
    const src = join(dir, "main2.c");
    await writeFile(src, "int main(void) { return 0; }\n");
    const exe = join(dir, "nopie-exe");
    await execa("cc", ["-fno-PIE", "-no-pie", "-o", exe, src]);
    expect(await checkLibrary(exe, { machine })).toEqual({
      status: "invalid",
      reason: `${exe}: an ELF executable (ET_EXEC), not a shared library`,
    });
    const obj = join(dir, "main2.o");
    await execa("cc", ["-c", "-o", obj, src]);
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
    const lib = await compileShared(dir, "libtotruncate.so");
    const cut = join(dir, "libcut.so");
    await writeFile(cut, (await readFile(lib)).subarray(0, 100));
    const t = await checkLibrary(cut, { machine });
    expect(t.status).toBe("invalid");
    if (t.status === "invalid") {
      expect(t.reason).toMatch(new RegExp(`^${cut}: truncated ELF file`));
      expect(t.reason).not.toContain("\n");
    }
  });

  it("reasons are single lines starting with the path", async () => {
    const paths = [join(dir, "nope2.so"), dir, "/bin/ls", "/etc/passwd"];
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
