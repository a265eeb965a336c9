import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  classifySystemAllocator,
  describeSystemAllocator,
  identifySystemAllocator,
  PROBE_SIZES,
  signaturesIn,
} from "../../../src/platform/system-allocator.js";
import { detectToolchains, type Toolchain } from "../../../src/platform/toolchain.js";

const exact = Object.fromEntries(PROBE_SIZES.map((n) => [String(n), n]));
const rounded = { "1": 24, "13": 24, "100": 104, "1000": 1000 };

describe("classifySystemAllocator", () => {
  it("glibc with ptmalloc2's consistency-check messages is ptmalloc2", () => {
    const r = classifySystemAllocator({
      libc: "glibc",
      signatures: ["malloc(): corrupted top size", "malloc_consolidate(): "],
      usable: rounded,
      libcVersion: "2.36",
    });
    expect(r.allocator).toBe("ptmalloc2");
    expect(r.evidence.join("\n")).toContain("rounded up");
  });

  it("musl reporting the requested sizes is mallocng; rounded sizes are oldmalloc", () => {
    expect(
      classifySystemAllocator({ libc: "musl", signatures: [], usable: exact, libcVersion: "1.2.3" })
        .allocator,
    ).toBe("mallocng");
    expect(
      classifySystemAllocator({
        libc: "musl",
        signatures: [],
        usable: { "1": 16, "13": 16, "100": 112, "1000": 1008 },
        libcVersion: "1.1.24",
      }).allocator,
    ).toBe("oldmalloc");
  });

  it("an allocator built into the libc wins over the behaviour (e.g. Scudo in musl)", () => {
    expect(
      classifySystemAllocator({
        libc: "musl",
        signatures: ["Scudo ERROR"],
        usable: exact,
        libcVersion: "1.2.5",
      }).allocator,
    ).toBe("scudo");
    expect(
      classifySystemAllocator({
        libc: "glibc",
        signatures: ["mimalloc: ", "malloc(): corrupted top size"],
        usable: rounded,
        libcVersion: null,
      }).allocator,
    ).toBe("mimalloc");
  });

  it("without evidence it says unknown", () => {
    expect(
      classifySystemAllocator({ libc: "musl", signatures: [], usable: null, libcVersion: null })
        .allocator,
    ).toBe("unknown");
    expect(
      classifySystemAllocator({ libc: "glibc", signatures: [], usable: rounded, libcVersion: null })
        .allocator,
    ).toBe("unknown");
  });

  it("describes the result in one line", () => {
    expect(describeSystemAllocator("glibc", "ptmalloc2", "2.36")).toBe("ptmalloc2 (glibc 2.36)");
    expect(describeSystemAllocator("musl", "scudo", "1.2.5")).toBe("scudo (built into musl 1.2.5)");
    expect(describeSystemAllocator("musl", "unknown", null)).toBe("unknown allocator in musl");
  });
});

describe("signatures in real allocator libraries", () => {
  const libs: [string, string][] = [
    [
      "/usr/lib/llvm-16/lib/clang/16/lib/linux/libclang_rt.scudo_standalone-x86_64.so",
      "Scudo ERROR",
    ],
    ["/usr/lib/x86_64-linux-gnu/libmimalloc.so.2", "mimalloc: "],
    ["/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", "<jemalloc>"],
  ];
  for (const [lib, signature] of libs) {
    it.skipIf(!existsSync(lib))(
      `${path.basename(lib)} carries "${signature}" and no other`,
      async () => {
        expect(await signaturesIn(lib)).toEqual([signature]);
      },
    );
  }
});

describe("identifySystemAllocator on this machine's toolchains", () => {
  let toolchains: Toolchain[] = [];
  let cache: string;
  beforeAll(async () => {
    toolchains = await detectToolchains();
    cache = await mkdtemp(path.join(os.tmpdir(), "mallocbench-system-"));
  });
  afterAll(async () => {
    await rm(cache, { recursive: true, force: true });
  });

  it("glibc's malloc is ptmalloc2, versioned like glibc, defined in libc.so.6", async () => {
    const tc = toolchains.find((t) => t.libc === "glibc");
    expect(tc, "a glibc toolchain").toBeDefined();
    const system = await identifySystemAllocator("glibc", (tc as Toolchain).cc, cache);
    expect(system.allocator).toBe("ptmalloc2");
    expect(system.libcVersion).toMatch(/^2\.\d+/);
    expect(path.basename(system.object ?? "")).toBe("libc.so.6");
    expect(system.description).toBe(`ptmalloc2 (glibc ${system.libcVersion ?? ""})`);
  });

  it("musl 1.2.x (Debian's musl-tools) uses mallocng", async () => {
    const tc = toolchains.find((t) => t.libc === "musl");
    expect(tc, "musl-gcc").toBeDefined();
    const system = await identifySystemAllocator("musl", (tc as Toolchain).cc, cache);
    expect(system.libcVersion).toMatch(/^1\.\d+\.\d+/);
    const [major, minor, patch] = (system.libcVersion ?? "").split(".").map(Number);
    // mallocng is the default from musl 1.2.1.
    const mallocngDefault =
      (major ?? 0) > 1 ||
      ((major ?? 0) === 1 && ((minor ?? 0) > 2 || ((minor ?? 0) === 2 && (patch ?? 0) >= 1)));
    expect(system.allocator).toBe(mallocngDefault ? "mallocng" : "oldmalloc");
    expect(system.evidence.join("\n")).toContain("malloc_usable_size");
  });
});
