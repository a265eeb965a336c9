/**
 * The ELF reader on this machine's real libraries and programs (jemalloc, the libcs, an i386
 * Scudo), found where they are installed; test/unit/platform/elf.test.ts covers every layout
 * with synthetic images.
 */
import { copyFile, open, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ElfError, readElfInfo, readElfInfoSync } from "../../../src/platform/elf.js";
import { makeTempDir, removeDir } from "../../unit/allocators/helpers.js";
import { installed, missing } from "../allocators/helpers.js";

const found = await installed();
const jemalloc = found.libs.jemalloc;
const noJemalloc = missing("jemalloc", "libjemalloc2");

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir("mallocbench-elf-");
});
afterAll(async () => {
  await removeDir(dir);
});

async function expectElfError(
  path: string,
  kind: ElfError["kind"],
  pattern: RegExp,
): Promise<void> {
  const error = await readElfInfo(path).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ElfError);
  expect((error as ElfError).kind).toBe(kind);
  expect((error as ElfError).reason).toMatch(pattern);
  expect(() => readElfInfoSync(path)).toThrow(ElfError);
}

describe("real system libraries", () => {
  it("reads jemalloc: shared object of this machine, NEEDED, SONAME, exports malloc", async (ctx) => {
    ctx.skip(jemalloc === undefined, noJemalloc);
    const info = await readElfInfo(jemalloc as string);
    expect(info.typeName).toBe("dyn");
    expect(info.machine).toBe(found.machine);
    expect(info.needed).toContain("libc.so.6");
    expect(info.soname).toBe("libjemalloc.so.2");
    expect(info.interp).toBeUndefined();
    expect(info.pie).toBe(false);
    expect(info.hasDynamic).toBe(true);
    expect(info.definedSymbols?.has("malloc")).toBe(true);
    expect(info.definedSymbols?.has("free")).toBe(true);
    // imported, not defined
    expect(info.definedSymbols?.has("pthread_mutex_lock")).toBe(false);
    expect(info.importedSymbols?.has("pthread_mutex_lock")).toBe(true);
    expect(info.importedSymbols?.has("malloc")).toBe(false);
  });

  it("the sync reader returns the same facts", async (ctx) => {
    ctx.skip(jemalloc === undefined, noJemalloc);
    const a = await readElfInfo(jemalloc as string);
    const b = readElfInfoSync(jemalloc as string);
    expect({ ...b, definedSymbols: [...(b.definedSymbols ?? [])] }).toEqual({
      ...a,
      definedSymbols: [...(a.definedSymbols ?? [])],
    });
  });

  it("reads the musl libc: no NEEDED, no SONAME, defines malloc", async (ctx) => {
    ctx.skip(found.muslLibc === undefined, missing("musl", "musl"));
    const info = await readElfInfo(found.muslLibc as string);
    expect(info.machine).toBe(found.machine);
    expect(info.typeName).toBe("dyn");
    expect(info.needed).toEqual([]);
    expect(info.soname).toBeUndefined();
    expect(info.definedSymbols?.has("malloc")).toBe(true);
  });

  it("reads a PIE executable: PT_INTERP, DF_1_PIE", async () => {
    const info = await readElfInfo("/bin/ls");
    expect(info.typeName).toBe("dyn");
    expect(info.interp).toMatch(/\/ld-/);
    expect(info.soname).toBeUndefined();
    expect(info.pie).toBe(true);
  });

  it("reads glibc's libc.so.6, a shared library that also has PT_INTERP", async (ctx) => {
    ctx.skip(found.glibcLibc === undefined, missing("glibc", "libc6"));
    const info = await readElfInfo(found.glibcLibc as string);
    expect(info.interp).toBeDefined();
    expect(info.soname).toBe("libc.so.6");
    expect(info.pie).toBe(false);
    expect(info.definedSymbols?.has("malloc")).toBe(true);
  });

  it("reads a 32-bit i386 library", async (ctx) => {
    ctx.skip(
      found.scudoI386 === undefined,
      missing("an i386 Scudo", "libclang-rt-N-dev on x86_64"),
    );
    const info = await readElfInfo(found.scudoI386?.path as string);
    expect(info.elfClass).toBe(32);
    expect(info.machine).toBe("i386");
    expect(info.needed).toContain("libc.so.6");
    expect(info.definedSymbols?.has("malloc")).toBe(true);
  });

  it("a copy with e_machine patched to 183 reads as aarch64", async (ctx) => {
    ctx.skip(jemalloc === undefined, noJemalloc);
    const copy = join(dir, "jemalloc-aarch64.so");
    await copyFile(jemalloc as string, copy);
    const littleEndian = (await readFile(copy))[5] === 1; // EI_DATA
    const fh = await open(copy, "r+");
    const b = Buffer.alloc(2);
    if (littleEndian) b.writeUInt16LE(183);
    else b.writeUInt16BE(183);
    await fh.write(b, 0, 2, 18);
    await fh.close();
    const info = await readElfInfo(copy);
    expect(info.machine).toBe("aarch64");
    expect(info.needed).toContain("libc.so.6");
  });

  it("a truncated copy is reported as truncated", async (ctx) => {
    ctx.skip(jemalloc === undefined, noJemalloc);
    const whole = await readFile(jemalloc as string);
    const head = join(dir, "head.so");
    await writeFile(head, whole.subarray(0, 40));
    await expectElfError(head, "truncated", /truncated ELF file/);
    const half = join(dir, "half.so");
    await writeFile(half, whole.subarray(0, Math.floor(whole.length / 2)));
    await expectElfError(half, "truncated", /truncated ELF file .*past the end/);
  });
});
