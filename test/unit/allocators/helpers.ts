/**
 * Test helpers for the allocator layer: temporary directories, file trees, and a synthetic ELF
 * writer, for libraries of any machine and layout without a compiler (big endian, other
 * classes, stripped section headers).
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { AllocatorSpec } from "../../../src/allocators/types.js";

export async function makeTempDir(prefix = "mallocbench-alloc-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

/** Create a symlink `root`/`rel` -> `target` (target taken literally, keep it relative). */
export async function link(root: string, rel: string, target: string): Promise<string> {
  const dest = join(root, rel);
  await mkdir(dirname(dest), { recursive: true });
  await symlink(target, dest);
  return dest;
}

/** e_machine numbers the synthetic images use. */
export const EM = { i386: 3, x86_64: 62, aarch64: 183 } as const;

/**
 * The ELF facts discovery and validation read from an allocator library: a little-endian
 * shared object for `machine` that exports malloc and free and links `needed` (glibc's
 * libc.so.6 unless told). Written without a compiler, so the same tree can be laid out on any
 * machine.
 */
export function allocatorElf(
  options: { needed?: string[]; symbols?: string[]; machine?: keyof typeof EM } = {},
): Buffer {
  const machine = options.machine ?? "x86_64";
  return buildElf({
    elfClass: machine === "i386" ? 32 : 64,
    endian: "little",
    machine: EM[machine],
    needed: options.needed ?? ["libc.so.6"],
    symbols: options.symbols ?? ["malloc", "free"],
  });
}

/** Write `image` to `root`/`rel`, creating directories. Returns the path. */
export async function writeImage(root: string, rel: string, image: Buffer): Promise<string> {
  const dest = join(root, rel);
  await mkdir(dirname(dest), { recursive: true });
  await writeFile(dest, image);
  return dest;
}

// ---------------------------------------------------------------------------------------
// Synthetic ELF writer

export interface SyntheticElf {
  elfClass: 32 | 64;
  endian: "little" | "big";
  machine: number;
  type?: number;
  needed?: string[];
  soname?: string;
  interp?: string;
  flags1?: number;
  /** Defined global function symbols. */
  symbols?: string[];
  /** Undefined (imported) global symbols. */
  imports?: string[];
  /** Write SHT_DYNSYM / SHT_STRTAB section headers (default true). */
  sections?: boolean;
  /** Hash table for the section-less fallback (default "sysv"). */
  hash?: "sysv" | "gnu" | "none";
  /** Base virtual address of the single PT_LOAD (file offset 0). */
  base?: number;
  /** Put DT_STRTAB outside every PT_LOAD. */
  badStrtab?: boolean;
}

class Writer {
  private readonly chunks: Buffer[] = [];
  size = 0;
  constructor(
    private readonly le: boolean,
    private readonly is64: boolean,
  ) {}
  u8(v: number): void {
    const b = Buffer.alloc(1);
    b.writeUInt8(v);
    this.push(b);
  }
  u16(v: number): void {
    const b = Buffer.alloc(2);
    if (this.le) b.writeUInt16LE(v);
    else b.writeUInt16BE(v);
    this.push(b);
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    if (this.le) b.writeUInt32LE(v >>> 0);
    else b.writeUInt32BE(v >>> 0);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    if (this.le) b.writeBigUInt64LE(BigInt(v));
    else b.writeBigUInt64BE(BigInt(v));
    this.push(b);
  }
  word(v: number): void {
    if (this.is64) this.u64(v);
    else this.u32(v);
  }
  bytes(b: Buffer): void {
    this.push(b);
  }
  align(n: number): void {
    while (this.size % n !== 0) this.u8(0);
  }
  private push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
  }
  result(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Build a minimal but well-formed ELF shared object image. */
export function buildElf(spec: SyntheticElf): Buffer {
  const is64 = spec.elfClass === 64;
  const le = spec.endian === "little";
  const base = spec.base ?? 0x400000;
  const sections = spec.sections ?? true;
  const hashKind = spec.hash ?? "sysv";
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const shentsize = is64 ? 64 : 40;
  const symentsize = is64 ? 24 : 16;
  const dynentsize = is64 ? 16 : 8;
  const wordSize = is64 ? 8 : 4;

  // String table.
  const strings: string[] = [];
  const strOffsets = new Map<string, number>();
  let strSize = 1;
  const addStr = (s: string): number => {
    const known = strOffsets.get(s);
    if (known !== undefined) return known;
    strOffsets.set(s, strSize);
    strings.push(s);
    strSize += Buffer.byteLength(s) + 1;
    return strOffsets.get(s) as number;
  };
  const needed = (spec.needed ?? []).map(addStr);
  const soname = spec.soname !== undefined ? addStr(spec.soname) : undefined;
  const defined = (spec.symbols ?? []).map(addStr);
  const imported = (spec.imports ?? []).map(addStr);
  const dynstr = Buffer.concat([Buffer.alloc(1), ...strings.map((s) => Buffer.from(`${s}\0`))]);

  // Layout.
  const phnum = 2 + (spec.interp !== undefined ? 1 : 0);
  const phoff = ehsize;
  let off = phoff + phnum * phentsize;
  const interpOff = off;
  const interpBuf = spec.interp !== undefined ? Buffer.from(`${spec.interp}\0`) : Buffer.alloc(0);
  off += interpBuf.length;
  const dynstrOff = off;
  off += dynstr.length;
  off = Math.ceil(off / 8) * 8;
  const dynsymOff = off;
  const nsyms = 1 + imported.length + defined.length;
  off += nsyms * symentsize;
  off = Math.ceil(off / 8) * 8;
  const hashOff = off;
  let hashBuf: Buffer = Buffer.alloc(0);
  {
    const hw = new Writer(le, is64);
    if (hashKind === "sysv") {
      hw.u32(1); // nbucket
      hw.u32(nsyms); // nchain
      hw.u32(0); // bucket
      for (let i = 0; i < nsyms; i++) hw.u32(0);
    } else if (hashKind === "gnu") {
      // Imported symbols are not hashed: symoffset points past them.
      const symoffset = 1 + imported.length;
      hw.u32(1); // nbuckets
      hw.u32(symoffset);
      hw.u32(1); // bloom size
      hw.u32(0); // bloom shift
      hw.word(~0 >>> 0); // bloom
      hw.u32(defined.length > 0 ? symoffset : 0); // bucket
      for (let i = 0; i < defined.length; i++) hw.u32(i === defined.length - 1 ? 1 : 0);
    }
    hashBuf = hw.result();
  }
  off += hashBuf.length;
  off = Math.ceil(off / 8) * 8;
  const dynOff = off;
  const dynEntries: [number, number][] = [];
  for (const n of needed) dynEntries.push([1, n]);
  if (soname !== undefined) dynEntries.push([14, soname]);
  dynEntries.push([5, spec.badStrtab ? 0x7fff0000 : base + dynstrOff]);
  dynEntries.push([10, dynstr.length]);
  dynEntries.push([6, base + dynsymOff]);
  dynEntries.push([11, symentsize]);
  if (hashKind === "sysv") dynEntries.push([4, base + hashOff]);
  if (hashKind === "gnu") dynEntries.push([0x6ffffef5, base + hashOff]);
  if (spec.flags1 !== undefined) dynEntries.push([0x6ffffffb, spec.flags1]);
  dynEntries.push([0, 0]);
  off += dynEntries.length * dynentsize;
  off = Math.ceil(off / 8) * 8;
  const shoff = sections ? off : 0;
  const shnum = sections ? 3 : 0;
  const fileSize = off + shnum * shentsize;

  const w = new Writer(le, is64);
  // e_ident
  w.bytes(Buffer.from([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1, 0]));
  w.bytes(Buffer.alloc(8));
  w.u16(spec.type ?? 3);
  w.u16(spec.machine);
  w.u32(1);
  w.word(0); // entry
  w.word(phoff);
  w.word(shoff);
  w.u32(0); // flags
  w.u16(ehsize);
  w.u16(phentsize);
  w.u16(phnum);
  w.u16(shentsize);
  w.u16(shnum);
  w.u16(0); // shstrndx
  const phdr = (type: number, offset: number, size: number, flags: number): void => {
    if (is64) {
      w.u32(type);
      w.u32(flags);
      w.u64(offset);
      w.u64(base + offset);
      w.u64(base + offset);
      w.u64(size);
      w.u64(size);
      w.u64(type === 1 ? 0x1000 : 8);
    } else {
      w.u32(type);
      w.u32(offset);
      w.u32(base + offset);
      w.u32(base + offset);
      w.u32(size);
      w.u32(size);
      w.u32(flags);
      w.u32(type === 1 ? 0x1000 : 4);
    }
  };
  phdr(1, 0, fileSize, 5); // PT_LOAD
  phdr(2, dynOff, dynEntries.length * dynentsize, 6); // PT_DYNAMIC
  if (spec.interp !== undefined) phdr(3, interpOff, interpBuf.length, 4);
  w.bytes(interpBuf);
  w.bytes(dynstr);
  w.align(8);
  // dynsym
  const sym = (name: number, shndx: number): void => {
    const info = (1 << 4) | 2; // GLOBAL FUNC
    if (is64) {
      w.u32(name);
      w.u8(name === 0 ? 0 : info);
      w.u8(0);
      w.u16(shndx);
      w.u64(shndx === 0 ? 0 : base);
      w.u64(0);
    } else {
      w.u32(name);
      w.u32(shndx === 0 ? 0 : base);
      w.u32(0);
      w.u8(name === 0 ? 0 : info);
      w.u8(0);
      w.u16(shndx);
    }
  };
  sym(0, 0);
  for (const n of imported) sym(n, 0);
  for (const n of defined) sym(n, 2);
  w.align(8);
  w.bytes(hashBuf);
  w.align(8);
  for (const [tag, val] of dynEntries) {
    w.word(tag);
    w.word(val);
  }
  w.align(8);
  if (sections) {
    const shdr = (
      type: number,
      offset: number,
      size: number,
      link: number,
      entsize: number,
    ): void => {
      if (is64) {
        w.u32(0);
        w.u32(type);
        w.u64(0);
        w.u64(type === 0 ? 0 : base + offset);
        w.u64(offset);
        w.u64(size);
        w.u32(link);
        w.u32(type === 11 ? 1 : 0);
        w.u64(wordSize);
        w.u64(entsize);
      } else {
        w.u32(0);
        w.u32(type);
        w.u32(0);
        w.u32(type === 0 ? 0 : base + offset);
        w.u32(offset);
        w.u32(size);
        w.u32(link);
        w.u32(type === 11 ? 1 : 0);
        w.u32(wordSize);
        w.u32(entsize);
      }
    };
    shdr(0, 0, 0, 0, 0);
    shdr(3, dynstrOff, dynstr.length, 0, 0); // .dynstr
    shdr(11, dynsymOff, nsyms * symentsize, 1, symentsize); // .dynsym -> link 1
  }
  const out = w.result();
  if (out.length !== fileSize)
    throw new Error(`synthetic ELF size ${out.length} != planned ${fileSize}`);
  return out;
}

/** A user allocator spec with defaults, to vary one field at a time. */
export function userSpec(over: Partial<AllocatorSpec>): AllocatorSpec {
  return { name: "x", family: "custom", libc: "glibc", env: {}, source: "user", ...over };
}
