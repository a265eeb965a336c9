import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addUserAllocators,
  parseAllocatorArg,
  parseUserAllocator,
  resolveAllocators,
} from "../../../src/allocators/discover.js";
import type { AllocatorSpec } from "../../../src/allocators/types.js";
import { UsageError } from "../../../src/errors.js";
import { allocatorElf, link, makeTempDir, removeDir, writeImage } from "./helpers.js";

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir("mallocbench-select-");
});
afterAll(async () => {
  await removeDir(dir);
});

const glibc: AllocatorSpec = {
  name: "glibc",
  family: "glibc",
  libc: "glibc",
  env: {},
  source: "libc",
};
const musl: AllocatorSpec = { name: "musl", family: "musl", libc: "musl", env: {}, source: "libc" };
const lib16 = "/x/llvm-16/libclang_rt.scudo_standalone-x86_64.so";
const scudo: AllocatorSpec = {
  name: "scudo",
  family: "scudo",
  lib: lib16,
  libc: "glibc",
  env: {},
  version: "16",
  source: "discovered",
};
const scudo16: AllocatorSpec = { ...scudo, name: "scudo@16" };
const scudo14: AllocatorSpec = {
  ...scudo,
  name: "scudo@14",
  lib: "/x/llvm-14/scudo.so",
  version: "14",
};
const jemalloc: AllocatorSpec = {
  name: "jemalloc",
  family: "jemalloc",
  lib: "/x/libjemalloc.so.2",
  libc: "glibc",
  env: {},
  source: "discovered",
};
const available = [glibc, musl, jemalloc, scudo, scudo16, scudo14];

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error("expected a UsageError");
}

describe("parseAllocatorArg", () => {
  it("parses name=/path into a user spec, reading the libc from the ELF", async () => {
    const lib = await writeImage(dir, "libmine.so", allocatorElf());
    expect(parseAllocatorArg(`mine=${lib}`)).toEqual({
      name: "mine",
      family: "custom",
      lib,
      libc: "glibc",
      env: {},
      source: "user",
    });
  });

  it("a musl library gets libc musl", async () => {
    const lib = await writeImage(
      dir,
      "libmusl-alloc.so",
      allocatorElf({ needed: ["libc.musl-x86_64.so.1"] }),
    );
    expect(parseAllocatorArg(`mm=${lib}`).libc).toBe("musl");
  });

  it("resolves relative paths; a missing file still parses (validation comes later)", () => {
    const spec = parseUserAllocator("x1=lib/none.so", { cwd: "/opt/thing" });
    expect(spec.lib).toBe("/opt/thing/lib/none.so");
    expect(spec.libc).toBe("glibc");
    expect(parseUserAllocator("x2=/nope.so", { libcs: ["musl"] }).libc).toBe("musl");
  });

  it("works as an Array.prototype.map callback", () => {
    expect(["a=/a.so", "b=/b.so"].map(parseAllocatorArg).map((s) => s.name)).toEqual(["a", "b"]);
  });

  it("rejects bad syntax and names, naming --allocator", () => {
    for (const bad of [
      "jemalloc",
      "=/x.so",
      "name=",
      "bad name=/x.so",
      "-x=/x.so",
      "a/b=/x.so",
      "all=/x.so",
      "glibc=/x.so",
      "musl=/x.so",
    ]) {
      const e = usageError(() => parseAllocatorArg(bad));
      expect(e.message).toContain("--allocator");
      expect(e.exitCode).toBe(2);
    }
    expect(parseAllocatorArg("My.Alloc_2+x@3-y=/x.so").name).toBe("My.Alloc_2+x@3-y");
  });
});

describe("addUserAllocators", () => {
  it("appends user allocators", () => {
    const out = addUserAllocators(["a=/a.so", "b=/b.so"], available);
    expect(out.map((a) => a.name)).toEqual([...available.map((a) => a.name), "a", "b"]);
  });

  it("rejects a built-in name for another file, accepts it for the same file", async () => {
    const e = usageError(() =>
      addUserAllocators(["jemalloc=/elsewhere/libjemalloc.so.2"], available),
    );
    expect(e.message).toContain("--allocator");
    expect(e.message).toContain("/x/libjemalloc.so.2");
    expect(addUserAllocators(["jemalloc=/x/libjemalloc.so.2"], available)).toEqual(available);
    // same file through a symlink
    const file = await writeImage(dir, "real/libjemalloc.so.2", allocatorElf());
    const viaLink = await link(dir, "links/libje.so", file);
    const real: AllocatorSpec = { ...jemalloc, lib: file };
    expect(addUserAllocators([`jemalloc=${viaLink}`], [real])).toEqual([real]);
  });

  it("rejects a name given twice", () => {
    const e = usageError(() => addUserAllocators(["a=/a.so", "a=/b.so"], available));
    expect(e.message).toMatch(/more than once/);
  });
});

describe("resolveAllocators", () => {
  it("all: every allocator, aliases of an earlier entry skipped", () => {
    expect(resolveAllocators("all", available).map((a) => a.name)).toEqual([
      "glibc",
      "musl",
      "jemalloc",
      "scudo",
      "scudo@14",
    ]);
    expect(resolveAllocators(["all"], available).map((a) => a.name)).toEqual([
      "glibc",
      "musl",
      "jemalloc",
      "scudo",
      "scudo@14",
    ]);
  });

  it("names in the order requested, without duplicates; aliases by explicit request", () => {
    expect(
      resolveAllocators(["scudo@16", "glibc", "scudo@16", "scudo"], available).map((a) => a.name),
    ).toEqual(["scudo@16", "glibc", "scudo"]);
  });

  it("unknown names: UsageError listing the valid names", () => {
    const e = usageError(() => resolveAllocators(["jemalloc", "hoard", "tbb"], available));
    expect(e.message).toBe(
      'unknown allocators "hoard", "tbb"; valid names: glibc, musl, jemalloc, scudo, scudo@16, scudo@14, all',
    );
    expect(usageError(() => resolveAllocators([], available)).message).toMatch(/no allocators/);
  });

  it("user allocators with env variants are distinct from the same library without", () => {
    const variant: AllocatorSpec = {
      ...jemalloc,
      name: "jemalloc-bg",
      env: { MALLOC_CONF: "background_thread:true" },
      source: "config",
    };
    expect(resolveAllocators("all", [jemalloc, variant]).map((a) => a.name)).toEqual([
      "jemalloc",
      "jemalloc-bg",
    ]);
  });
});
