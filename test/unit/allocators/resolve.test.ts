import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  finalizeAllocator,
  finalizeAllocators,
  isUnusable,
} from "../../../src/allocators/resolve.js";
import {
  allocatorElf,
  buildElf,
  EM,
  makeTempDir,
  removeDir,
  userSpec,
  writeImage,
} from "./helpers.js";

// What finalizeAllocator decides before it asks the package manager; the rest (hash, package,
// version of real libraries) is in test/integration/allocators/resolve.test.ts.
const machine = "x86_64";

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir("mallocbench-resolve-");
});
afterAll(async () => {
  await removeDir(dir);
});

const spec = userSpec;

describe("finalizeAllocator", () => {
  it("the libc's own allocator resolves as it is", async () => {
    const glibc = spec({ name: "glibc", family: "glibc", source: "libc" });
    expect(await finalizeAllocator(glibc, machine)).toEqual(glibc);
  });

  it("a glibc library registered for musl is unusable", async () => {
    const lib = await writeImage(dir, "libje.so", allocatorElf());
    expect(await finalizeAllocator(spec({ name: "je-musl", lib, libc: "musl" }), machine)).toEqual({
      name: "je-musl",
      reason: `${lib}: links glibc (libc.so.6), but allocator "je-musl" is meant for musl workloads`,
    });
  });

  it("invalid libraries come back with the reason", async () => {
    const missing = join(dir, "gone.so");
    expect(await finalizeAllocator(spec({ name: "gone", lib: missing }), machine)).toEqual({
      name: "gone",
      reason: `${missing}: no such file`,
    });
    const exe = await writeImage(
      dir,
      "true",
      buildElf({ elfClass: 64, endian: "little", machine: EM.x86_64, type: 2 }),
    );
    const r = await finalizeAllocator(spec({ name: "exe", lib: exe }), machine);
    expect(isUnusable(r)).toBe(true);
  });

  it("finalizeAllocators splits usable from unusable", async () => {
    const musl = await writeImage(dir, "libmusl.so", allocatorElf({ needed: ["libc.so"] }));
    const { resolved, unusable } = await finalizeAllocators(
      [
        spec({ name: "bad", lib: join(dir, "nothing.so") }),
        spec({ name: "glibc", source: "libc" }),
        spec({ name: "wrong-libc", lib: musl }),
      ],
      machine,
    );
    expect(resolved.map((r) => r.name)).toEqual(["glibc"]);
    expect(unusable.map((u) => u.name)).toEqual(["bad", "wrong-libc"]);
  });
});
