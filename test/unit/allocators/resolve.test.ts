import { existsSync } from "node:fs";
import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostMachine } from "../../../src/platform/elf.js";
import {
  finalizeAllocator,
  finalizeAllocators,
  isUnusable,
  sha256File,
} from "../../../src/allocators/resolve.js";
import type { AllocatorSpec } from "../../../src/allocators/types.js";
import { compileShared, makeTempDir, removeDir, SYSTEM } from "./helpers.js";

const machine = hostMachine();
const onDebianX64 =
  machine === "x86_64" && existsSync(SYSTEM.jemalloc) && existsSync("/usr/bin/dpkg-query");

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir("mallocbench-resolve-");
});
afterAll(async () => {
  await removeDir(dir);
});

const spec = (over: Partial<AllocatorSpec>): AllocatorSpec => ({
  name: "x",
  family: "custom",
  libc: "glibc",
  env: {},
  source: "user",
  ...over,
});

describe("finalizeAllocator", () => {
  it("the libc's own allocator resolves as it is", async () => {
    const glibc = spec({ name: "glibc", family: "glibc", source: "libc" });
    expect(await finalizeAllocator(glibc, machine)).toEqual(glibc);
  });

  it.runIf(onDebianX64)(
    "tcmalloc: realpath, sha256 (as sha256sum computes it), package and version",
    async () => {
      const r = await finalizeAllocator(
        spec({ name: "tcmalloc", family: "tcmalloc", lib: SYSTEM.tcmalloc, source: "discovered" }),
        machine,
      );
      if (isUnusable(r)) throw new Error(r.reason);
      expect(r.realLib).toMatch(/libtcmalloc_minimal\.so\.4\.\d+/);
      const { stdout } = await execa("sha256sum", [r.realLib as string]);
      expect(r.sha256).toBe(stdout.split(" ")[0]);
      expect(r.package).toMatchObject({ manager: "dpkg", name: "libtcmalloc-minimal4" });
      expect(r.version).toBe(r.package?.version);
    },
  );

  it.runIf(onDebianX64 && existsSync(SYSTEM.scudo16))(
    "scudo keeps its LLVM major as version",
    async () => {
      const r = await finalizeAllocator(
        spec({
          name: "scudo",
          family: "scudo",
          lib: SYSTEM.scudo16,
          version: "16",
          source: "discovered",
        }),
        machine,
      );
      if (isUnusable(r)) throw new Error(r.reason);
      expect(r.version).toBe("16");
      expect(r.package?.name).toBe("libclang-rt-16-dev");
    },
  );

  it("a user library outside any package: no package, still hashed", async () => {
    const lib = await compileShared(dir, "libuser.so");
    const r = await finalizeAllocator(spec({ name: "mine", lib }), machine);
    if (isUnusable(r)) throw new Error(r.reason);
    expect(r.package).toBeUndefined();
    expect(r.sha256).toBe(await sha256File(lib));
    expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.realLib).toBe(lib);
  });

  it.runIf(onDebianX64)("a glibc library registered for musl is unusable", async () => {
    const r = await finalizeAllocator(
      spec({ name: "je-musl", lib: SYSTEM.jemalloc, libc: "musl" }),
      machine,
    );
    expect(r).toEqual({
      name: "je-musl",
      reason: `${SYSTEM.jemalloc}: links glibc (libc.so.6), but allocator "je-musl" is meant for musl workloads`,
    });
  });

  it("invalid libraries come back with the reason", async () => {
    const missing = join(dir, "gone.so");
    expect(await finalizeAllocator(spec({ name: "gone", lib: missing }), machine)).toEqual({
      name: "gone",
      reason: `${missing}: no such file`,
    });
    const exe = join(dir, "true");
    await copyFile("/bin/true", exe);
    const r = await finalizeAllocator(spec({ name: "exe", lib: exe }), machine);
    expect(isUnusable(r)).toBe(true);
  });

  it("finalizeAllocators splits usable from unusable", async () => {
    const lib = await compileShared(dir, "libok.so");
    const { resolved, unusable } = await finalizeAllocators(
      [
        spec({ name: "ok", lib }),
        spec({ name: "bad", lib: join(dir, "nothing.so") }),
        spec({ name: "glibc", source: "libc" }),
      ],
      machine,
    );
    expect(resolved.map((r) => r.name)).toEqual(["ok", "glibc"]);
    expect(unusable.map((u) => u.name)).toEqual(["bad"]);
  });
});
