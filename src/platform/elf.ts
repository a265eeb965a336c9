/**
 * A small, dependency-free ELF reader: just enough to decide whether a file can be
 * LD_PRELOADed on this machine and against which libc.
 *
 * It reads the header, program headers, the dynamic section (DT_NEEDED, DT_SONAME,
 * DT_FLAGS_1, with DT_STRTAB mapped to a file offset through the PT_LOAD segments) and the
 * dynamic symbol table (from the SHT_DYNSYM section, or, when the section headers were
 * stripped, from DT_SYMTAB sized by DT_HASH / DT_GNU_HASH). ELF32 and ELF64, little and big
 * endian. Only the byte ranges needed are read, through a file handle.
 */
import { closeSync, fstatSync, readSync } from "node:fs";
import { type FileHandle } from "node:fs/promises";
import { endianness } from "node:os";
import { NotRegularFileError, openRegular, openRegularSync } from "../util/files.js";

export type ElfClass = 32 | 64;
export type ElfEndian = "little" | "big";
export type ElfTypeName = "none" | "rel" | "exec" | "dyn" | "core" | "unknown";

export interface ElfInfo {
  path: string;
  elfClass: ElfClass;
  /** Raw e_type. */
  type: number;
  typeName: ElfTypeName;
  /** Normalised machine name (see machineName); `unknown-em-<n>` when not known. */
  machine: string;
  /** PT_INTERP contents (the requested program interpreter), when present. */
  interp?: string;
  /** Whether a PT_DYNAMIC segment exists. */
  hasDynamic: boolean;
  /** DT_NEEDED entries, in order. */
  needed: string[];
  soname?: string;
  /** DT_FLAGS_1 has DF_1_PIE: a position-independent executable. */
  pie: boolean;
  /**
   * Names of the dynamic symbols this object defines and exports (global, weak or unique
   * binding, default/protected visibility, not SHN_UNDEF). Undefined when no dynamic
   * symbol table could be located.
   */
  definedSymbols?: ReadonlySet<string>;
  /**
   * Names of the dynamic symbols this object references but does not define (SHN_UNDEF,
   * global or weak): what the dynamic linker binds elsewhere. Undefined with definedSymbols.
   */
  importedSymbols?: ReadonlySet<string>;
}

/** Why a file could not be read as ELF. */
export type ElfErrorKind = "not-elf" | "truncated" | "malformed" | "io";

export class ElfError extends Error {
  readonly path: string;
  readonly kind: ElfErrorKind;
  /** The reason without the path prefix. */
  readonly reason: string;
  constructor(path: string, kind: ElfErrorKind, reason: string, options?: { cause?: unknown }) {
    super(`${path}: ${reason}`, options);
    this.name = "ElfError";
    this.path = path;
    this.kind = kind;
    this.reason = reason;
  }
}

// e_type
export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;

// p_type
const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;

// d_tag
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_HASH = 4;
const DT_STRTAB = 5;
const DT_SYMTAB = 6;
const DT_STRSZ = 10;
const DT_SYMENT = 11;
const DT_SONAME = 14;
const DT_RPATH = 15;
const DT_RUNPATH = 29;
const DT_GNU_HASH = 0x6ffffef5;
const DT_FLAGS_1 = 0x6ffffffb;
export const DF_1_PIE = 0x08000000;

// sections / symbols
const SHT_DYNSYM = 11;
const SHN_UNDEF = 0;
const STB_GLOBAL = 1;
const STB_WEAK = 2;
const STB_GNU_UNIQUE = 10;
const STV_INTERNAL = 1;
const STV_HIDDEN = 2;

/** Upper bounds that keep a hostile file from making us allocate absurd buffers. */
const MAX_PHNUM = 0xffff;
const MAX_SHNUM = 1 << 20;
const MAX_DYNAMIC_ENTRIES = 1 << 16;
const MAX_TABLE_BYTES = 256 * 1024 * 1024;

/**
 * Normalised machine name of an ELF file.
 * EM_PPC64 depends on the data encoding (ppc64 big endian, ppc64le little), several
 * others on the class.
 */
export function machineName(eMachine: number, elfClass: ElfClass, endian: ElfEndian): string {
  switch (eMachine) {
    case 3:
      return "i386";
    case 8:
      return (elfClass === 64 ? "mips64" : "mips") + (endian === "little" ? "el" : "");
    case 20:
      return "ppc";
    case 21:
      return endian === "little" ? "ppc64le" : "ppc64";
    case 22:
      return elfClass === 64 ? "s390x" : "s390";
    case 40:
      return endian === "little" ? "arm" : "armeb";
    case 62:
      return elfClass === 64 ? "x86_64" : "x32";
    case 183:
      return elfClass === 64 ? (endian === "little" ? "aarch64" : "aarch64_be") : "aarch64_ilp32";
    case 243:
      return elfClass === 64 ? "riscv64" : "riscv32";
    case 258:
      return elfClass === 64 ? "loongarch64" : "loongarch32";
    default:
      return `unknown-em-${eMachine}`;
  }
}

/**
 * The machine name (same vocabulary as machineName) of a Node `process.arch`.
 * ppc64 is split by the byte order the process runs with.
 */
export function machineOfArch(
  arch: string = process.arch,
  byteOrder: "BE" | "LE" = endianness(),
): string {
  switch (arch) {
    case "x64":
      return "x86_64";
    case "arm64":
      return "aarch64";
    case "ia32":
      return "i386";
    case "arm":
      return "arm";
    case "ppc64":
      return byteOrder === "LE" ? "ppc64le" : "ppc64";
    case "ppc":
      return "ppc";
    case "s390x":
      return "s390x";
    case "s390":
      return "s390";
    case "riscv64":
      return "riscv64";
    case "loong64":
      return "loongarch64";
    case "mips":
      return "mips";
    case "mipsel":
      return "mipsel";
    default:
      return arch;
  }
}

/** The machine this Node process runs as. */
export function hostMachine(): string {
  return machineOfArch(process.arch, endianness());
}

function typeNameOf(type: number): ElfTypeName {
  switch (type) {
    case 0:
      return "none";
    case ET_REL:
      return "rel";
    case ET_EXEC:
      return "exec";
    case ET_DYN:
      return "dyn";
    case ET_CORE:
      return "core";
    default:
      return "unknown";
  }
}

/** A read the parser asks its driver for (already bounds-checked). */
interface ReadRequest {
  offset: number;
  length: number;
  what: string;
}

/**
 * The parser is a generator yielding the byte ranges it needs, so the same code runs
 * asynchronously (file handle) and synchronously (readSync).
 */
type Parser<T> = Generator<ReadRequest, T, Buffer>;

/** Bounds-checks reads against the file size, throwing typed errors. */
class RangeReader {
  constructor(
    readonly path: string,
    readonly size: number,
  ) {}

  *read(offset: number, length: number, what: string): Parser<Buffer> {
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length < 0
    ) {
      throw new ElfError(
        this.path,
        "malformed",
        `malformed ELF file (${what} at an impossible offset)`,
      );
    }
    if (length > MAX_TABLE_BYTES) {
      throw new ElfError(
        this.path,
        "malformed",
        `malformed ELF file (${what} is implausibly large: ${length} bytes)`,
      );
    }
    if (offset + length > this.size) {
      throw new ElfError(
        this.path,
        "truncated",
        `truncated ELF file (${what} at ${offset}+${length} extends past the end of the ${this.size}-byte file)`,
      );
    }
    if (length === 0) return Buffer.alloc(0);
    return yield { offset, length, what };
  }
}

/** Endian- and class-aware field access on a buffer. */
class Fields {
  constructor(
    readonly elfClass: ElfClass,
    readonly endian: ElfEndian,
    private readonly path: string,
  ) {}
  u8(b: Buffer, o: number): number {
    return b.readUInt8(o);
  }
  u16(b: Buffer, o: number): number {
    return this.endian === "little" ? b.readUInt16LE(o) : b.readUInt16BE(o);
  }
  u32(b: Buffer, o: number): number {
    return this.endian === "little" ? b.readUInt32LE(o) : b.readUInt32BE(o);
  }
  u64(b: Buffer, o: number): number {
    const v = this.endian === "little" ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new ElfError(
        this.path,
        "malformed",
        `malformed ELF file (64-bit value 0x${v.toString(16)} out of range)`,
      );
    }
    return Number(v);
  }
  s64(b: Buffer, o: number): number {
    const v = this.endian === "little" ? b.readBigInt64LE(o) : b.readBigInt64BE(o);
    // Tags beyond the safe range are never ones we look at; clamp rather than fail.
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) return -1;
    return Number(v);
  }
  /** A word: Elf32_Addr/Off/Word (4 bytes) or Elf64_Addr/Off/Xword (8 bytes). */
  word(b: Buffer, o: number): number {
    return this.elfClass === 64 ? this.u64(b, o) : this.u32(b, o);
  }
  /** A signed word (d_tag). */
  sword(b: Buffer, o: number): number {
    if (this.elfClass === 64) return this.s64(b, o);
    return this.endian === "little" ? b.readInt32LE(o) : b.readInt32BE(o);
  }
  get wordSize(): number {
    return this.elfClass === 64 ? 8 : 4;
  }
}

interface ProgramHeader {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
}

interface SectionHeader {
  type: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

function cString(buf: Buffer, offset: number): string | undefined {
  if (offset < 0 || offset >= buf.length) return undefined;
  const end = buf.indexOf(0, offset);
  return buf.toString("utf8", offset, end === -1 ? buf.length : end);
}

function openError(path: string, error: unknown): ElfError {
  if (error instanceof NotRegularFileError)
    return new ElfError(path, "io", error.reason, { cause: error });
  const code = (error as NodeJS.ErrnoException).code ?? "error";
  const what =
    code === "ENOENT"
      ? "no such file"
      : code === "EACCES"
        ? "not readable (permission denied)"
        : code === "EISDIR"
          ? "is a directory, not a file"
          : `cannot open (${code})`;
  return new ElfError(path, "io", what, { cause: error });
}

function ioError(path: string, error: unknown): ElfError {
  if (error instanceof ElfError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  return new ElfError(path, "io", `read error (${code})`, { cause: error });
}

function notRegular(path: string, isDirectory: boolean): ElfError {
  return new ElfError(
    path,
    "io",
    isDirectory ? "is a directory, not a file" : "not a regular file",
  );
}

/**
 * Parse the ELF facts of `path`, reading only the ranges needed through a file handle.
 * @throws ElfError for I/O errors, non-ELF files, truncated or malformed ELF files.
 */
export async function readElfInfo(path: string): Promise<ElfInfo> {
  let fh: FileHandle;
  try {
    fh = await openRegular(path);
  } catch (error) {
    throw openError(path, error);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw notRegular(path, st.isDirectory());
    const parser = parse(new RangeReader(path, st.size));
    let step = parser.next();
    while (!step.done) {
      const { offset, length, what } = step.value;
      const buf = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
        if (bytesRead === 0)
          throw new ElfError(path, "truncated", `truncated ELF file (short read of ${what})`);
        done += bytesRead;
      }
      step = parser.next(buf);
    }
    return step.value;
  } catch (error) {
    throw ioError(path, error);
  } finally {
    await fh.close();
  }
}

/** Synchronous readElfInfo, for code paths that cannot await (argument parsers). */
export function readElfInfoSync(path: string): ElfInfo {
  let fd: number;
  try {
    fd = openRegularSync(path);
  } catch (error) {
    throw openError(path, error);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw notRegular(path, st.isDirectory());
    const parser = parse(new RangeReader(path, st.size));
    let step = parser.next();
    while (!step.done) {
      const { offset, length, what } = step.value;
      const buf = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const bytesRead = readSync(fd, buf, done, length - done, offset + done);
        if (bytesRead === 0)
          throw new ElfError(path, "truncated", `truncated ELF file (short read of ${what})`);
        done += bytesRead;
      }
      step = parser.next(buf);
    }
    return step.value;
  } catch (error) {
    throw ioError(path, error);
  } finally {
    closeSync(fd);
  }
}

/** The ELF header: class, byte order, type, machine, and where the header tables are. */
interface ElfHeader {
  f: Fields;
  type: number;
  eMachine: number;
  phoff: number;
  phentsize: number;
  phnum: number;
  shoff: number;
  shentsize: number;
  shnum: number;
  /** Size of one section header of this class. */
  shdrSize: number;
  /** Section header 0 when it holds the real counts (extended numbering). */
  section0: SectionHeader | undefined;
}

/** What the dynamic section says: libraries needed, soname, and where the symbols are. */
interface DynamicInfo {
  needed: string[];
  soname?: string;
  pie: boolean;
  symtabAddr?: number;
  hashAddr?: number;
  gnuHashAddr?: number;
  syment: number;
  strtab?: Buffer;
}

function* parse(r: RangeReader): Parser<ElfInfo> {
  const header = yield* readHeader(r);
  const { f } = header;
  const info: ElfInfo = {
    path: r.path,
    elfClass: f.elfClass,
    type: header.type,
    typeName: typeNameOf(header.type),
    machine: machineName(header.eMachine, f.elfClass, f.endian),
    hasDynamic: false,
    needed: [],
    pie: false,
  };
  const phdrs = yield* readProgramHeaders(r, header);
  const loads = phdrs.filter((p) => p.type === PT_LOAD);
  /** Map a virtual address to a file offset through the PT_LOAD segments. */
  const vaddrToOffset = (addr: number): number | undefined => {
    for (const p of loads) {
      if (addr >= p.vaddr && addr < p.vaddr + p.filesz) return addr - p.vaddr + p.offset;
    }
    return undefined;
  };

  const interpPh = phdrs.find((p) => p.type === PT_INTERP);
  if (interpPh) {
    const buf = yield* r.read(interpPh.offset, interpPh.filesz, "PT_INTERP");
    info.interp = cString(buf, 0) ?? "";
  }

  const dynPh = phdrs.find((p) => p.type === PT_DYNAMIC);
  const dynamic = dynPh ? yield* readDynamic(r, f, dynPh, vaddrToOffset) : undefined;
  if (dynamic) {
    info.hasDynamic = true;
    info.pie = dynamic.pie;
    info.needed = dynamic.needed;
    if (dynamic.soname !== undefined) info.soname = dynamic.soname;
  }

  // Dynamic symbols: prefer the section headers, fall back to DT_SYMTAB + hash tables.
  const { shoff, shnum, shentsize, shdrSize, section0 } = header;
  const fromSections = yield* dynsymFromSections(r, f, shoff, shnum, shentsize, shdrSize, section0);
  if (fromSections) {
    info.definedSymbols = fromSections.defined;
    info.importedSymbols = fromSections.imported;
  } else if (dynamic?.symtabAddr !== undefined && dynamic.strtab) {
    const symOff = vaddrToOffset(dynamic.symtabAddr);
    const count = yield* dynsymCountFromHash(
      r,
      f,
      vaddrToOffset,
      dynamic.hashAddr,
      dynamic.gnuHashAddr,
    );
    if (symOff !== undefined && count !== undefined) {
      const table = yield* r.read(symOff, count * dynamic.syment, "dynamic symbol table");
      const symbols = collectSymbols(f, table, count, dynamic.syment, dynamic.strtab);
      info.definedSymbols = symbols.defined;
      info.importedSymbols = symbols.imported;
    }
  }
  return info;
}

/** The magic, e_ident and the ELF header, with extended numbering resolved. */
function* readHeader(r: RangeReader): Parser<ElfHeader> {
  const path = r.path;
  if (r.size < 4) {
    throw new ElfError(path, "not-elf", `not an ELF file (only ${r.size} bytes)`);
  }
  const magic = yield* r.read(0, 4, "ELF magic");
  if (magic[0] !== 0x7f || magic[1] !== 0x45 || magic[2] !== 0x4c || magic[3] !== 0x46) {
    throw new ElfError(path, "not-elf", "not an ELF file (no \\x7fELF magic)");
  }
  if (r.size < 16) {
    throw new ElfError(path, "truncated", `truncated ELF file (${r.size} bytes, e_ident needs 16)`);
  }
  const ident = yield* r.read(0, 16, "e_ident");
  const classByte = ident[4];
  const dataByte = ident[5];
  const elfClass: ElfClass | undefined = classByte === 1 ? 32 : classByte === 2 ? 64 : undefined;
  if (elfClass === undefined) {
    throw new ElfError(
      path,
      "malformed",
      `malformed ELF file (EI_CLASS ${classByte ?? "?"} is neither ELF32 nor ELF64)`,
    );
  }
  const endian: ElfEndian | undefined =
    dataByte === 1 ? "little" : dataByte === 2 ? "big" : undefined;
  if (endian === undefined) {
    throw new ElfError(
      path,
      "malformed",
      `malformed ELF file (EI_DATA ${dataByte ?? "?"} is neither little nor big endian)`,
    );
  }
  const f = new Fields(elfClass, endian, path);
  const ehsize = elfClass === 64 ? 64 : 52;
  if (r.size < ehsize) {
    throw new ElfError(
      path,
      "truncated",
      `truncated ELF file (${r.size} bytes, the ELF${elfClass} header needs ${ehsize})`,
    );
  }
  const eh = yield* r.read(0, ehsize, "ELF header");
  // Offsets of the class-dependent header fields.
  const [phoffAt, shoffAt, tailAt] = elfClass === 64 ? [32, 40, 52] : [28, 32, 40];
  const header: ElfHeader = {
    f,
    type: f.u16(eh, 16),
    eMachine: f.u16(eh, 18),
    phoff: f.word(eh, phoffAt),
    shoff: f.word(eh, shoffAt),
    phentsize: f.u16(eh, tailAt + 2),
    phnum: f.u16(eh, tailAt + 4),
    shentsize: f.u16(eh, tailAt + 6),
    shnum: f.u16(eh, tailAt + 8),
    shdrSize: elfClass === 64 ? 64 : 40,
    section0: undefined,
  };

  // Extended numbering: real counts live in section header 0.
  if (header.shoff !== 0 && (header.shnum === 0 || header.phnum === 0xffff)) {
    if (header.shentsize < header.shdrSize) {
      throw new ElfError(
        path,
        "malformed",
        `malformed ELF file (e_shentsize ${header.shentsize} < ${header.shdrSize})`,
      );
    }
    const sh0 = yield* r.read(header.shoff, header.shdrSize, "section header 0");
    header.section0 = readSectionHeader(f, sh0, 0);
    const section0Info = f.u32(sh0, elfClass === 64 ? 44 : 28);
    if (header.shnum === 0) header.shnum = header.section0.size;
    if (header.phnum === 0xffff) header.phnum = section0Info;
  }
  return header;
}

/** The program header table. */
function* readProgramHeaders(r: RangeReader, header: ElfHeader): Parser<ProgramHeader[]> {
  const { f, phoff, phnum, phentsize } = header;
  const phdrSize = f.elfClass === 64 ? 56 : 32;
  const phdrs: ProgramHeader[] = [];
  if (phoff === 0 || phnum <= 0) return phdrs;
  if (phentsize < phdrSize) {
    throw new ElfError(
      r.path,
      "malformed",
      `malformed ELF file (e_phentsize ${phentsize} < ${phdrSize})`,
    );
  }
  if (phnum > MAX_PHNUM) {
    throw new ElfError(r.path, "malformed", `malformed ELF file (${phnum} program headers)`);
  }
  const table = yield* r.read(phoff, phentsize * phnum, "program header table");
  for (let i = 0; i < phnum; i++) {
    const o = i * phentsize;
    phdrs.push(
      f.elfClass === 64
        ? {
            type: f.u32(table, o),
            offset: f.u64(table, o + 8),
            vaddr: f.u64(table, o + 16),
            filesz: f.u64(table, o + 32),
            memsz: f.u64(table, o + 40),
          }
        : {
            type: f.u32(table, o),
            offset: f.u32(table, o + 4),
            vaddr: f.u32(table, o + 8),
            filesz: f.u32(table, o + 16),
            memsz: f.u32(table, o + 20),
          },
    );
  }
  return phdrs;
}

/** The PT_DYNAMIC segment: its tags, and the strings they name from the dynamic string table. */
function* readDynamic(
  r: RangeReader,
  f: Fields,
  dynPh: ProgramHeader,
  vaddrToOffset: (addr: number) => number | undefined,
): Parser<DynamicInfo> {
  const path = r.path;
  const dynSize = f.elfClass === 64 ? 16 : 8;
  const count = Math.min(Math.floor(dynPh.filesz / dynSize), MAX_DYNAMIC_ENTRIES);
  const dyn = yield* r.read(dynPh.offset, count * dynSize, "dynamic section");
  const dynamic: DynamicInfo = { needed: [], pie: false, syment: f.elfClass === 64 ? 24 : 16 };
  const neededOffsets: number[] = [];
  let sonameOff: number | undefined;
  let rpathOff: number | undefined;
  let runpathOff: number | undefined;
  let strtabAddr: number | undefined;
  let strsz: number | undefined;
  let flags1 = 0;
  for (let i = 0; i < count; i++) {
    const o = i * dynSize;
    const tag = f.sword(dyn, o);
    if (tag === DT_NULL) break;
    const val = f.word(dyn, o + f.wordSize);
    switch (tag) {
      case DT_NEEDED:
        neededOffsets.push(val);
        break;
      case DT_SONAME:
        sonameOff = val;
        break;
      case DT_RPATH:
        rpathOff = val;
        break;
      case DT_RUNPATH:
        runpathOff = val;
        break;
      case DT_STRTAB:
        strtabAddr = val;
        break;
      case DT_STRSZ:
        strsz = val;
        break;
      case DT_SYMTAB:
        dynamic.symtabAddr = val;
        break;
      case DT_SYMENT:
        if (val > 0) dynamic.syment = val;
        break;
      case DT_HASH:
        dynamic.hashAddr = val;
        break;
      case DT_GNU_HASH:
        dynamic.gnuHashAddr = val;
        break;
      case DT_FLAGS_1:
        flags1 = val;
        break;
    }
  }
  dynamic.pie = (flags1 & DF_1_PIE) !== 0;
  const wantsStrings =
    neededOffsets.length > 0 ||
    sonameOff !== undefined ||
    rpathOff !== undefined ||
    runpathOff !== undefined;
  if (strtabAddr !== undefined) {
    const strOff = vaddrToOffset(strtabAddr);
    if (strOff === undefined) {
      if (wantsStrings) {
        throw new ElfError(
          path,
          "malformed",
          `malformed ELF file (DT_STRTAB 0x${strtabAddr.toString(16)} is not inside any PT_LOAD segment)`,
        );
      }
    } else {
      const length = Math.min(strsz ?? r.size - strOff, r.size - strOff);
      if (strsz !== undefined && strOff + strsz > r.size) {
        throw new ElfError(
          path,
          "truncated",
          "truncated ELF file (dynamic string table extends past the end of the file)",
        );
      }
      dynamic.strtab = yield* r.read(strOff, Math.max(length, 0), "dynamic string table");
    }
  } else if (wantsStrings) {
    throw new ElfError(
      path,
      "malformed",
      "malformed ELF file (dynamic section names strings but has no DT_STRTAB)",
    );
  }
  const strtab = dynamic.strtab;
  const str = (off: number, what: string): string => {
    const s = strtab ? cString(strtab, off) : undefined;
    if (s === undefined) {
      throw new ElfError(
        path,
        "malformed",
        `malformed ELF file (${what} string offset ${off} outside the string table)`,
      );
    }
    return s;
  };
  dynamic.needed = neededOffsets.map((o) => str(o, "DT_NEEDED"));
  if (sonameOff !== undefined) dynamic.soname = str(sonameOff, "DT_SONAME");
  // Search paths are not used, but a malformed one makes the file malformed, as for the loader.
  if (rpathOff !== undefined) str(rpathOff, "DT_RPATH");
  if (runpathOff !== undefined) str(runpathOff, "DT_RUNPATH");
  return dynamic;
}

function readSectionHeader(f: Fields, b: Buffer, o: number): SectionHeader {
  return f.elfClass === 64
    ? {
        type: f.u32(b, o + 4),
        offset: f.u64(b, o + 24),
        size: f.u64(b, o + 32),
        link: f.u32(b, o + 40),
        entsize: f.u64(b, o + 56),
      }
    : {
        type: f.u32(b, o + 4),
        offset: f.u32(b, o + 16),
        size: f.u32(b, o + 20),
        link: f.u32(b, o + 24),
        entsize: f.u32(b, o + 36),
      };
}

function* dynsymFromSections(
  r: RangeReader,
  f: Fields,
  shoff: number,
  shnum: number,
  shentsize: number,
  shdrSize: number,
  section0: SectionHeader | undefined,
): Parser<DynamicSymbols | undefined> {
  if (shoff === 0 || shnum === 0) return undefined;
  if (shentsize < shdrSize || shnum > MAX_SHNUM) {
    throw new ElfError(
      r.path,
      "malformed",
      `malformed ELF file (section header table: ${shnum} entries of ${shentsize} bytes)`,
    );
  }
  // A section header table past the end of the file means the file was cut short.
  if (shoff + shnum * shentsize > r.size) {
    throw new ElfError(
      r.path,
      "truncated",
      "truncated ELF file (section header table extends past the end of the file)",
    );
  }
  const table = yield* r.read(shoff, shnum * shentsize, "section header table");
  const sections: SectionHeader[] = [];
  for (let i = 0; i < shnum; i++)
    sections.push(i === 0 && section0 ? section0 : readSectionHeader(f, table, i * shentsize));
  const dynsym = sections.find((s) => s.type === SHT_DYNSYM);
  if (!dynsym) return undefined;
  const strSec = sections[dynsym.link];
  if (!strSec) {
    throw new ElfError(
      r.path,
      "malformed",
      `malformed ELF file (.dynsym links to missing section ${dynsym.link})`,
    );
  }
  const entsize = dynsym.entsize || (f.elfClass === 64 ? 24 : 16);
  const count = Math.floor(dynsym.size / entsize);
  const symbols = yield* r.read(dynsym.offset, count * entsize, ".dynsym");
  const strings = yield* r.read(strSec.offset, strSec.size, ".dynstr");
  return collectSymbols(f, symbols, count, entsize, strings);
}

interface DynamicSymbols {
  defined: Set<string>;
  imported: Set<string>;
}

function collectSymbols(
  f: Fields,
  table: Buffer,
  count: number,
  entsize: number,
  strings: Buffer,
): DynamicSymbols {
  const out = new Set<string>();
  const imported = new Set<string>();
  for (let i = 1; i < count; i++) {
    const o = i * entsize;
    if (o + entsize > table.length) break;
    let nameOff: number;
    let infoByte: number;
    let other: number;
    let shndx: number;
    if (f.elfClass === 64) {
      nameOff = f.u32(table, o);
      infoByte = f.u8(table, o + 4);
      other = f.u8(table, o + 5);
      shndx = f.u16(table, o + 6);
    } else {
      nameOff = f.u32(table, o);
      infoByte = f.u8(table, o + 12);
      other = f.u8(table, o + 13);
      shndx = f.u16(table, o + 14);
    }
    const bind = infoByte >> 4;
    const visibility = other & 3;
    if (bind !== STB_GLOBAL && bind !== STB_WEAK && bind !== STB_GNU_UNIQUE) continue;
    if (shndx === SHN_UNDEF) {
      const name = cString(strings, nameOff);
      if (name) imported.add(name);
      continue;
    }
    if (visibility === STV_HIDDEN || visibility === STV_INTERNAL) continue;
    const name = cString(strings, nameOff);
    if (name) out.add(name);
  }
  return { defined: out, imported };
}

/** Number of dynamic symbols, from DT_HASH (nchain) or by walking DT_GNU_HASH. */
function* dynsymCountFromHash(
  r: RangeReader,
  f: Fields,
  vaddrToOffset: (addr: number) => number | undefined,
  hashAddr: number | undefined,
  gnuHashAddr: number | undefined,
): Parser<number | undefined> {
  if (hashAddr !== undefined) {
    const off = vaddrToOffset(hashAddr);
    if (off !== undefined) {
      const head = yield* r.read(off, 8, "DT_HASH header");
      return f.u32(head, 4);
    }
  }
  if (gnuHashAddr !== undefined) {
    const off = vaddrToOffset(gnuHashAddr);
    if (off === undefined) return undefined;
    const head = yield* r.read(off, 16, "DT_GNU_HASH header");
    const nbuckets = f.u32(head, 0);
    const symoffset = f.u32(head, 4);
    const bloomSize = f.u32(head, 8);
    const bucketsOff = off + 16 + bloomSize * f.wordSize;
    const buckets = yield* r.read(bucketsOff, nbuckets * 4, "DT_GNU_HASH buckets");
    let last = 0;
    for (let i = 0; i < nbuckets; i++) last = Math.max(last, f.u32(buckets, i * 4));
    if (last < symoffset) return symoffset;
    const chainsOff = bucketsOff + nbuckets * 4;
    // Walk the chain of the highest bucket until the end-of-chain bit, a chunk at a time.
    const CHUNK = 1024;
    for (let base = last; base - last < MAX_SHNUM * 16; base += CHUNK) {
      const from = chainsOff + (base - symoffset) * 4;
      const n = Math.min(CHUNK, Math.floor((r.size - from) / 4));
      if (n <= 0) {
        throw new ElfError(
          r.path,
          "truncated",
          "truncated ELF file (DT_GNU_HASH chain runs past the end of the file)",
        );
      }
      const chunk = yield* r.read(from, n * 4, "DT_GNU_HASH chain");
      for (let i = 0; i < n; i++) {
        if ((f.u32(chunk, i * 4) & 1) !== 0) return base + i + 1;
      }
    }
    return undefined;
  }
  return undefined;
}
