import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { AllocatorSpec } from "../../../src/allocators/types.js";
import {
  allocatorNotes,
  applyVariants,
  combineVariants,
  mergeVariantDefs,
  parseVariantArg,
  parseVariantArgs,
  variantsFromConfig,
} from "../../../src/allocators/variants.js";
import { loadConfigFile } from "../../../src/config.js";
import { UsageError } from "../../../src/errors.js";

const glibc: AllocatorSpec = {
  name: "glibc",
  family: "glibc",
  libc: "glibc",
  env: {},
  source: "libc",
};
const jemalloc: AllocatorSpec = {
  name: "jemalloc",
  family: "jemalloc",
  lib: "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
  libc: "glibc",
  env: {},
  version: "5.3.0",
  source: "discovered",
};

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error("expected a UsageError");
}

describe("parseVariantArg", () => {
  it("splits NAME=BASE:KEY=VALUE at the first = and the first :", () => {
    expect(parseVariantArg("scudo-nozero=scudo:SCUDO_OPTIONS=zero_contents=0")).toEqual({
      name: "scudo-nozero",
      base: "scudo",
      env: { SCUDO_OPTIONS: "zero_contents=0" },
    });
  });

  it("keeps commas, colons and = in the value verbatim", () => {
    expect(parseVariantArg("je2=jemalloc:MALLOC_CONF=narenas:2,tcache:false").env).toEqual({
      MALLOC_CONF: "narenas:2,tcache:false",
    });
    expect(
      parseVariantArg("s=scudo@16:SCUDO_OPTIONS=release_to_os_interval_ms=-1:zero_contents=1").env,
    ).toEqual({ SCUDO_OPTIONS: "release_to_os_interval_ms=-1:zero_contents=1" });
  });

  it("accepts a variant without settings and an empty value", () => {
    expect(parseVariantArg("glibc-again=glibc")).toEqual({
      name: "glibc-again",
      base: "glibc",
      env: {},
    });
    expect(parseVariantArg("x=glibc:GLIBC_TUNABLES=").env).toEqual({ GLIBC_TUNABLES: "" });
  });

  it.each([
    ["no-equals", "expected NAME=BASE"],
    ["=glibc", "expected NAME=BASE"],
    ["x=", "expected NAME=BASE"],
    ["x=:K=V", "expected NAME=BASE"],
    ["x=glibc:", "expected NAME=BASE"],
    ["x=glibc:=V", "expected NAME=BASE"],
    ["x=glibc:NOVALUE", "expected NAME=BASE"],
    ["x=glibc:1BAD=V", "not an environment variable name"],
    ["x=glibc:LD_PRELOAD=/tmp/evil.so", "cannot be set by a variant"],
    ["x=glibc:LD_LIBRARY_PATH=/tmp", "cannot be set by a variant"],
    ["bad name=glibc:K=V", "invalid allocator name"],
    ["all=glibc:K=V", "reserved"],
    ["glibc=glibc:K=V", "the libc's own allocator"],
    ["x=ba/se:K=V", "not an allocator name"],
  ])("rejects %s with one line naming --variant", (arg, fragment) => {
    const message = usageMessage(() => parseVariantArg(arg));
    expect(message).toContain("--variant");
    expect(message).toContain(fragment);
    expect(message).not.toContain("\n");
  });
});

describe("merging and combining", () => {
  it("repeating a name adds settings", () => {
    expect(
      parseVariantArgs([
        "j=jemalloc:MALLOC_CONF=narenas:1",
        "j=jemalloc:JE_EXTRA=1",
        "g=glibc:GLIBC_TUNABLES=glibc.malloc.tcache_count=0",
      ]),
    ).toEqual([
      { name: "j", base: "jemalloc", env: { MALLOC_CONF: "narenas:1", JE_EXTRA: "1" } },
      { name: "g", base: "glibc", env: { GLIBC_TUNABLES: "glibc.malloc.tcache_count=0" } },
    ]);
  });

  it("rejects two bases or two values for one variable", () => {
    expect(usageMessage(() => parseVariantArgs(["j=jemalloc:A=1", "j=glibc:B=2"]))).toContain(
      "two bases",
    );
    expect(usageMessage(() => parseVariantArgs(["j=jemalloc:A=1", "j=jemalloc:A=2"]))).toContain(
      "sets A twice",
    );
    // The same value twice is harmless.
    expect(
      mergeVariantDefs([
        ...parseVariantArgs(["j=jemalloc:A=1"]),
        ...parseVariantArgs(["j=jemalloc:A=1"]),
      ]),
    ).toHaveLength(1);
  });

  it("a command-line variant replaces the config file's of the same name", () => {
    const config = [
      { name: "a", base: "glibc", env: { X: "1" } },
      { name: "b", base: "glibc", env: { X: "2" } },
    ];
    const flags = [{ name: "a", base: "jemalloc", env: { Y: "3" } }];
    expect(combineVariants(config, flags)).toEqual([config[1], flags[0]]);
  });
});

describe("applyVariants", () => {
  it("copies the base and adds the settings to its environment", () => {
    const base: AllocatorSpec = { ...jemalloc, env: { BASE_SETTING: "1" } };
    const [v] = applyVariants(
      [{ name: "je-one-arena", base: "jemalloc", env: { MALLOC_CONF: "narenas:1" } }],
      [glibc, base],
    );
    expect(v).toEqual({
      ...base,
      name: "je-one-arena",
      env: { BASE_SETTING: "1", MALLOC_CONF: "narenas:1" },
      variant: { base: "jemalloc", env: { MALLOC_CONF: "narenas:1" } },
    });
    // The base is not modified.
    expect(base.env).toEqual({ BASE_SETTING: "1" });
  });

  it("a libc's own allocator can be a base (no library, same libc)", () => {
    const [v] = applyVariants(
      [
        {
          name: "glibc-notcache",
          base: "glibc",
          env: { GLIBC_TUNABLES: "glibc.malloc.tcache_count=0" },
        },
      ],
      [glibc],
    );
    expect(v?.lib).toBeUndefined();
    expect(v?.libc).toBe("glibc");
    expect(v?.env).toEqual({ GLIBC_TUNABLES: "glibc.malloc.tcache_count=0" });
  });

  it("a variant can build on an earlier variant", () => {
    const out = applyVariants(
      [
        { name: "a", base: "jemalloc", env: { A: "1" } },
        { name: "b", base: "a", env: { B: "2" } },
      ],
      [jemalloc],
    );
    expect(out[1]?.env).toEqual({ A: "1", B: "2" });
    expect(out[1]?.variant).toEqual({ base: "a", env: { B: "2" } });
  });

  it("rejects an unknown base (listing the valid ones) and a taken name", () => {
    const unknown = usageMessage(() =>
      applyVariants([{ name: "x", base: "hoard", env: {} }], [glibc, jemalloc]),
    );
    expect(unknown).toContain('unknown base allocator "hoard"');
    expect(unknown).toContain("glibc, jemalloc");
    expect(
      usageMessage(() =>
        applyVariants([{ name: "jemalloc", base: "glibc", env: {} }], [glibc, jemalloc]),
      ),
    ).toContain("already an allocator");
  });
});

describe("config file variants", () => {
  it("{base, env} entries are variants; {lib} entries and paths are not", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "mallocbench-variants-"));
    try {
      const file = path.join(dir, "bench.config.json");
      await writeFile(
        file,
        JSON.stringify({
          allocators: {
            mine: "./libmine.so",
            theirs: { lib: "./libtheirs.so", env: { T: "1" } },
            "glibc-notcache": {
              base: "glibc",
              env: { GLIBC_TUNABLES: "glibc.malloc.tcache_count=0" },
            },
            "plain-copy": { base: "jemalloc" },
          },
        }),
      );
      const { config } = await loadConfigFile(file);
      expect(config.allocators?.["theirs"]).toEqual({
        lib: path.join(dir, "libtheirs.so"),
        env: { T: "1" },
      });
      expect(variantsFromConfig(config.allocators ?? {})).toEqual([
        {
          name: "glibc-notcache",
          base: "glibc",
          env: { GLIBC_TUNABLES: "glibc.malloc.tcache_count=0" },
        },
        { name: "plain-copy", base: "jemalloc", env: {} },
      ]);

      await writeFile(
        file,
        JSON.stringify({ allocators: { v: { base: "glibc", env: { LD_PRELOAD: "x" } } } }),
      );
      const { config: bad } = await loadConfigFile(file);
      expect(usageMessage(() => variantsFromConfig(bad.allocators ?? {}))).toContain(
        "allocators.v.env: LD_PRELOAD cannot be set",
      );

      await writeFile(file, JSON.stringify({ allocators: { v: { base: "glibc", extra: 1 } } }));
      await expect(loadConfigFile(file)).rejects.toThrow(UsageError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("allocatorNotes", () => {
  it("says what variants and harness-built allocators stand for", () => {
    expect(
      allocatorNotes([
        { name: "glibc" },
        {
          name: "g0",
          variant: { base: "glibc", env: { GLIBC_TUNABLES: "glibc.malloc.tcache_count=0" } },
        },
        {
          name: "scudo-musl",
          lib: "/c/libscudo-musl.so",
          builtFrom: "/a/libclang_rt.scudo_standalone-x86_64.a",
        },
      ]),
    ).toEqual([
      "g0: variant of glibc with GLIBC_TUNABLES=glibc.malloc.tcache_count=0",
      "scudo-musl: /c/libscudo-musl.so, built by the harness from /a/libclang_rt.scudo_standalone-x86_64.a",
    ]);
  });
});
