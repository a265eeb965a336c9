/**
 * Allocator discovery on this machine's own installation: every installed Scudo becomes
 * scudo@<its LLVM major>, plain scudo is the newest, and the libraries found are this
 * machine's glibc libraries. Nothing is named by version: the Debian layout is listed here
 * directly (/usr/lib/llvm-N) as a check independent of the product's own search.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compilerRtArchNames } from "../../../src/allocators/catalog.js";
import { discoverAllocatorsDetailed } from "../../../src/allocators/discover.js";
import { checkLibrary } from "../../../src/allocators/validate.js";
import { installed, missing } from "./helpers.js";

async function list(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

/** Scudo shared libraries in Debian's /usr/lib/llvm-N/lib/clang/<ver>/lib/linux, by major. */
async function debianScudo(machine: string): Promise<Map<number, string[]>> {
  const names = compilerRtArchNames(machine).map((a) => `libclang_rt.scudo_standalone-${a}.so`);
  const out = new Map<number, string[]>();
  for (const llvm of (await list("/usr/lib")).filter((d) => /^llvm-\d+$/.test(d))) {
    const clang = join("/usr/lib", llvm, "lib", "clang");
    for (const version of await list(clang)) {
      const files = await list(join(clang, version, "lib", "linux"));
      const major = Number(/^\d+/.exec(version)?.[0]);
      for (const n of names.filter((x) => files.includes(x)))
        out.set(major, [...(out.get(major) ?? []), join(clang, version, "lib", "linux", n)]);
    }
  }
  return out;
}

describe("this machine", async () => {
  const found = await installed();
  const { allocators, skipped } = await discoverAllocatorsDetailed({
    machine: found.machine,
    libcs: ["glibc", "musl"],
  });
  const byName = new Map(allocators.map((a) => [a.name, a]));

  it("every Scudo in /usr/lib/llvm-N is scudo@N; plain scudo is the newest", async (ctx) => {
    const debian = await debianScudo(found.machine);
    ctx.skip(debian.size === 0, missing("Scudo in /usr/lib/llvm-N", "libclang-rt-N-dev"));
    for (const [major, paths] of debian)
      expect(paths, `scudo@${major}`).toContain(byName.get(`scudo@${major}`)?.lib);
    const newest = Math.max(...found.scudo.map((s) => s.major));
    expect(byName.get("scudo")).toMatchObject({
      lib: byName.get(`scudo@${newest}`)?.lib,
      version: String(newest),
    });
  });

  it("lists one scudo@N per installed LLVM major, newest first", (ctx) => {
    ctx.skip(found.scudo.length === 0, missing("Scudo", "libclang-rt-N-dev"));
    const versioned = allocators.filter((a) => a.family === "scudo" && a.name !== "scudo");
    expect(versioned.map((a) => a.name)).toEqual(found.scudo.map((s) => `scudo@${s.major}`));
  });

  it("every library found is a preloadable library of this machine, for its libc", async () => {
    for (const a of allocators.filter((x) => x.lib !== undefined)) {
      const check = await checkLibrary(a.lib as string, { machine: found.machine });
      expect(check, a.name).toMatchObject({ status: "ok", machine: found.machine });
      if (check.status === "ok" && check.libc !== "none") expect(a.libc).toBe(check.libc);
    }
    // Nothing installed in a standard place is rejected on this machine.
    expect(skipped).toEqual([]);
  });
});
