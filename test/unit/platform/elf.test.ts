import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DF_1_PIE,
  ElfError,
  hostMachine,
  machineName,
  machineOfArch,
  readElfInfo,
  readElfInfoSync,
} from "../../../src/platform/elf.js";
import { buildElf, makeTempDir, removeDir } from "../allocators/helpers.js";

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
): Promise<ElfError> {
  const error = await readElfInfo(path).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ElfError);
  const e = error as ElfError;
  expect(e.kind).toBe(kind);
  expect(e.message.startsWith(`${path}: `)).toBe(true);
  expect(e.reason).toMatch(pattern);
  // The sync reader agrees.
  expect(() => readElfInfoSync(path)).toThrow(ElfError);
  return e;
}

describe("files that are not ELF", () => {
  it("a text file", async () => {
    const p = join(dir, "notes.txt");
    await writeFile(p, "this is not a shared library\n");
    await expectElfError(p, "not-elf", /^not an ELF file/);
  });

  it("an empty file", async () => {
    const p = join(dir, "empty.so");
    await writeFile(p, "");
    await expectElfError(p, "not-elf", /^not an ELF file \(only 0 bytes\)/);
  });

  it("a linker script named like a library", async () => {
    const p = join(dir, "libc.so");
    await writeFile(p, "/* GNU ld script */\nGROUP ( /lib/x86_64-linux-gnu/libc.so.6 )\n");
    await expectElfError(p, "not-elf", /not an ELF file/);
  });

  it("a missing file and a directory", async () => {
    await expectElfError(join(dir, "missing.so"), "io", /^no such file$/);
    await expectElfError(dir, "io", /directory/);
  });

  it("bad EI_CLASS / EI_DATA", async () => {
    const good = buildElf({ elfClass: 64, endian: "little", machine: 62 });
    const badClass = Buffer.from(good);
    badClass[4] = 7;
    const p1 = join(dir, "badclass.so");
    await writeFile(p1, badClass);
    await expectElfError(p1, "malformed", /EI_CLASS 7/);
    const badData = Buffer.from(good);
    badData[5] = 0;
    const p2 = join(dir, "baddata.so");
    await writeFile(p2, badData);
    await expectElfError(p2, "malformed", /EI_DATA 0/);
  });
});

describe("synthetic ELF images", () => {
  const write = async (name: string, image: Buffer): Promise<string> => {
    const p = join(dir, name);
    await writeFile(p, image);
    return p;
  };

  it("ELF64 big endian ppc64 with section headers", async () => {
    const p = await write(
      "ppc64be.so",
      buildElf({
        elfClass: 64,
        endian: "big",
        machine: 21,
        needed: ["libm.so.6", "libc.so.6"],
        soname: "libfoo.so.1",
        symbols: ["malloc", "free"],
        imports: ["abort"],
      }),
    );
    const info = await readElfInfo(p);
    expect(info.elfClass).toBe(64);
    expect(info.machine).toBe("ppc64");
    expect(info.needed).toEqual(["libm.so.6", "libc.so.6"]);
    expect(info.soname).toBe("libfoo.so.1");
    expect([...(info.definedSymbols ?? [])].sort()).toEqual(["free", "malloc"]);
  });

  it("the same machine number little endian is ppc64le", async () => {
    const p = await write(
      "ppc64le.so",
      buildElf({ elfClass: 64, endian: "little", machine: 21, needed: ["libc.so.6"] }),
    );
    expect((await readElfInfo(p)).machine).toBe("ppc64le");
  });

  it("ELF32 big endian (mips) and ELF32 little endian (arm)", async () => {
    const mips = await write(
      "mips.so",
      buildElf({
        elfClass: 32,
        endian: "big",
        machine: 8,
        needed: ["libc.so.6"],
        symbols: ["malloc"],
      }),
    );
    const a = await readElfInfo(mips);
    expect([a.elfClass, a.machine]).toEqual([32, "mips"]);
    expect(a.needed).toEqual(["libc.so.6"]);
    expect(a.definedSymbols?.has("malloc")).toBe(true);
    const arm = await write(
      "arm.so",
      buildElf({
        elfClass: 32,
        endian: "little",
        machine: 40,
        needed: ["libc.musl-armhf.so.1"],
        soname: "x",
      }),
    );
    const b = await readElfInfo(arm);
    expect([b.elfClass, b.machine, b.soname]).toEqual([32, "arm", "x"]);
  });

  it("without section headers, symbols come from DT_HASH", async () => {
    for (const [elfClass, endian] of [
      [64, "big"],
      [32, "little"],
    ] as const) {
      const p = await write(
        `sysv-${elfClass}-${endian}.so`,
        buildElf({
          elfClass,
          endian,
          machine: 243,
          sections: false,
          hash: "sysv",
          symbols: ["malloc"],
          imports: ["write"],
        }),
      );
      const info = await readElfInfo(p);
      expect(info.machine).toBe(elfClass === 64 ? "riscv64" : "riscv32");
      expect([...(info.definedSymbols ?? [])]).toEqual(["malloc"]);
    }
  });

  it("without section headers, symbols come from DT_GNU_HASH", async () => {
    const p = await write(
      "gnuhash.so",
      buildElf({
        elfClass: 64,
        endian: "big",
        machine: 22,
        sections: false,
        hash: "gnu",
        symbols: ["malloc", "calloc", "free"],
        imports: ["mmap", "munmap"],
      }),
    );
    const info = await readElfInfo(p);
    expect(info.machine).toBe("s390x");
    expect([...(info.definedSymbols ?? [])].sort()).toEqual(["calloc", "free", "malloc"]);
    expect([...(info.importedSymbols ?? [])].sort()).toEqual(["mmap", "munmap"]);
  });

  it("without section headers or hash tables, symbols are unknown", async () => {
    const p = await write(
      "nosyms.so",
      buildElf({ elfClass: 64, endian: "little", machine: 258, sections: false, hash: "none" }),
    );
    const info = await readElfInfo(p);
    expect(info.machine).toBe("loongarch64");
    expect(info.definedSymbols).toBeUndefined();
  });

  it("PT_INTERP, DF_1_PIE and e_type come through", async () => {
    const p = await write(
      "pie.bin",
      buildElf({
        elfClass: 64,
        endian: "little",
        machine: 183,
        interp: "/lib/ld-linux-aarch64.so.1",
        flags1: DF_1_PIE,
      }),
    );
    const info = await readElfInfo(p);
    expect(info.interp).toBe("/lib/ld-linux-aarch64.so.1");
    expect(info.pie).toBe(true);
    const rel = await write(
      "obj.o",
      buildElf({ elfClass: 64, endian: "little", machine: 62, type: 1 }),
    );
    expect((await readElfInfo(rel)).typeName).toBe("rel");
  });

  it("DT_STRTAB outside every PT_LOAD is malformed", async () => {
    const p = await write(
      "badstrtab.so",
      buildElf({
        elfClass: 64,
        endian: "little",
        machine: 62,
        needed: ["libc.so.6"],
        badStrtab: true,
      }),
    );
    await expectElfError(p, "malformed", /DT_STRTAB .* not inside any PT_LOAD/);
  });

  it("a synthetic image cut before its section headers is truncated", async () => {
    const image = buildElf({
      elfClass: 64,
      endian: "little",
      machine: 62,
      needed: ["libc.so.6"],
      symbols: ["malloc"],
    });
    const p = await write("cut.so", image.subarray(0, image.length - 10));
    await expectElfError(p, "truncated", /section header table/);
  });
});

describe("machine names", () => {
  it("maps e_machine with class and byte order", () => {
    expect(machineName(62, 64, "little")).toBe("x86_64");
    expect(machineName(62, 32, "little")).toBe("x32");
    expect(machineName(183, 64, "little")).toBe("aarch64");
    expect(machineName(21, 64, "little")).toBe("ppc64le");
    expect(machineName(21, 64, "big")).toBe("ppc64");
    expect(machineName(243, 64, "little")).toBe("riscv64");
    expect(machineName(3, 32, "little")).toBe("i386");
    expect(machineName(40, 32, "little")).toBe("arm");
    expect(machineName(22, 64, "big")).toBe("s390x");
    expect(machineName(258, 64, "little")).toBe("loongarch64");
    expect(machineName(9999, 64, "little")).toBe("unknown-em-9999");
  });

  it("maps Node's process.arch to the same names", () => {
    expect(machineOfArch("x64", "LE")).toBe("x86_64");
    expect(machineOfArch("arm64", "LE")).toBe("aarch64");
    expect(machineOfArch("ppc64", "LE")).toBe("ppc64le");
    expect(machineOfArch("ppc64", "BE")).toBe("ppc64");
    expect(machineOfArch("riscv64", "LE")).toBe("riscv64");
    expect(machineOfArch("ia32", "LE")).toBe("i386");
    expect(machineOfArch("arm", "LE")).toBe("arm");
    expect(machineOfArch("s390x", "BE")).toBe("s390x");
    expect(machineOfArch("loong64", "LE")).toBe("loongarch64");
  });

  it("the host machine matches the ELF machine of the running node binary", async () => {
    expect((await readElfInfo(process.execPath)).machine).toBe(hostMachine());
  });
});
