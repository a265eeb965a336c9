/**
 * finalizeAllocator on real libraries: realpath, sha256 as sha256sum computes it, and the
 * owning package and version from the package manager, for whatever is installed here.
 */
import { existsSync } from "node:fs";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  finalizeAllocator,
  finalizeAllocators,
  isUnusable,
  sha256File,
} from "../../../src/allocators/resolve.js";
import { makeTempDir, removeDir, userSpec } from "../../unit/allocators/helpers.js";
import { compileShared, installed, missing } from "./helpers.js";

const found = await installed();
const { machine } = found;
const dpkg = existsSync("/usr/bin/dpkg-query");

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir("mallocbench-resolve-");
});
afterAll(async () => {
  await removeDir(dir);
});

const spec = userSpec;

describe("finalizeAllocator", () => {
  it("tcmalloc: realpath, sha256 (as sha256sum computes it), package and version", async (ctx) => {
    const lib = found.libs.tcmalloc;
    ctx.skip(lib === undefined, missing("tcmalloc", "libtcmalloc-minimal4"));
    const r = await finalizeAllocator(
      spec({ name: "tcmalloc", family: "tcmalloc", lib, source: "discovered" }),
      machine,
    );
    if (isUnusable(r)) throw new Error(r.reason);
    expect(r.realLib).toMatch(/libtcmalloc(_minimal)?\.so\.4\.\d+/);
    const { stdout } = await execa("sha256sum", [r.realLib as string]);
    expect(r.sha256).toBe(stdout.split(" ")[0]);
    if (dpkg) expect(r.package).toMatchObject({ manager: "dpkg", name: "libtcmalloc-minimal4" });
    expect(r.version).toBe(r.package?.version);
  });

  it("each installed Scudo keeps its LLVM major as version", async (ctx) => {
    ctx.skip(found.scudo.length === 0, missing("Scudo", "libclang-rt-N-dev"));
    for (const { major, path } of found.scudo) {
      const r = await finalizeAllocator(
        spec({
          name: "scudo",
          family: "scudo",
          lib: path,
          version: String(major),
          source: "discovered",
        }),
        machine,
      );
      if (isUnusable(r)) throw new Error(r.reason);
      expect(r.version).toBe(String(major));
      if (dpkg) expect(r.package?.name).toBe(`libclang-rt-${major}-dev`);
    }
  });

  it("a user library outside any package: no package, still hashed", async () => {
    const lib = await compileShared(dir, "libuser.so");
    const r = await finalizeAllocator(spec({ name: "mine", lib }), machine);
    if (isUnusable(r)) throw new Error(r.reason);
    expect(r.package).toBeUndefined();
    expect(r.sha256).toBe(await sha256File(lib));
    expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.realLib).toBe(lib);
  });

  it("finalizeAllocators splits usable from unusable", async () => {
    const lib = await compileShared(dir, "libok.so");
    const { resolved, unusable } = await finalizeAllocators(
      [
        spec({ name: "ok", lib }),
        spec({ name: "bad", lib: `${dir}/nothing.so` }),
        spec({ name: "glibc", source: "libc" }),
      ],
      machine,
    );
    expect(resolved.map((r) => r.name)).toEqual(["ok", "glibc"]);
    expect(unusable.map((u) => u.name)).toEqual(["bad"]);
  });
});
