/**
 * The system allocator's identity on this machine: signatures read from the installed
 * allocator libraries, and the libcs' own mallocs identified by probes built with this
 * machine's toolchains.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { identifySystemAllocator, signaturesIn } from "../../../src/platform/system-allocator.js";
import { detectToolchains, type Toolchain } from "../../../src/platform/toolchain.js";
import { installed, missing } from "../allocators/helpers.js";

const found = await installed();

describe("signatures in real allocator libraries", () => {
  it('every installed Scudo carries "Scudo ERROR" and no other', async (ctx) => {
    ctx.skip(found.scudo.length === 0, missing("Scudo", "libclang-rt-N-dev"));
    for (const { major, path: lib } of found.scudo)
      expect(await signaturesIn(lib), `LLVM ${major}`).toEqual(["Scudo ERROR"]);
  });

  const libs = [
    ["mimalloc", "mimalloc: ", "libmimalloc2.0"],
    ["jemalloc", "<jemalloc>", "libjemalloc2"],
  ] as const;
  for (const [family, signature, debianPackage] of libs) {
    it(`${family} carries "${signature}" and no other`, async (ctx) => {
      const lib = found.libs[family];
      ctx.skip(lib === undefined, missing(family, debianPackage));
      expect(await signaturesIn(lib as string)).toEqual([signature]);
    });
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

  it("musl 1.2.x (Debian's musl-tools) uses mallocng", async (ctx) => {
    const tc = toolchains.find((t) => t.libc === "musl");
    ctx.skip(tc === undefined, missing("musl-gcc", "musl-tools"));
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
