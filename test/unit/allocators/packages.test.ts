import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageOf, pathSpellings, usrMergeAlias } from "../../../src/allocators/packages.js";
import { makeTempDir, removeDir, SYSTEM } from "./helpers.js";

const haveDpkg = existsSync("/usr/bin/dpkg-query") && existsSync(SYSTEM.jemalloc);

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir("mallocbench-packages-");
});
afterAll(async () => {
  await removeDir(dir);
});

describe("usrMergeAlias", () => {
  it("maps /lib <-> /usr/lib and friends", () => {
    expect(usrMergeAlias("/lib/x86_64-linux-gnu/libc.so.6")).toBe(
      "/usr/lib/x86_64-linux-gnu/libc.so.6",
    );
    expect(usrMergeAlias("/usr/lib/x86_64-linux-gnu/libc.so.6")).toBe(
      "/lib/x86_64-linux-gnu/libc.so.6",
    );
    expect(usrMergeAlias("/usr/lib64/libjemalloc.so.2")).toBe("/lib64/libjemalloc.so.2");
    expect(usrMergeAlias("/usr/bin/ls")).toBe("/bin/ls");
    expect(usrMergeAlias("/usr/libexec/x")).toBeUndefined();
    expect(usrMergeAlias("/opt/x.so")).toBeUndefined();
  });
});

describe.runIf(haveDpkg)("packageOf on Debian (dpkg)", () => {
  it("jemalloc belongs to libjemalloc2", async () => {
    const pkg = await packageOf(SYSTEM.jemalloc);
    expect(pkg?.manager).toBe("dpkg");
    expect(pkg?.name).toBe("libjemalloc2");
    expect(pkg?.version).toMatch(/^\S+$/);
  });

  it("works through the /usr-merge alias that dpkg does not know", async () => {
    const alias = "/lib/x86_64-linux-gnu/libjemalloc.so.2";
    expect(await pathSpellings(alias)).toContain(SYSTEM.jemalloc);
    expect((await packageOf(alias))?.name).toBe("libjemalloc2");
  });

  it("works for a symlink whose target is packaged under another name", async () => {
    const pkg = await packageOf(SYSTEM.tcmalloc);
    expect(pkg?.name).toBe("libtcmalloc-minimal4");
    expect(pkg?.version).not.toBe("");
  });

  it.runIf(existsSync(SYSTEM.scudo16))("scudo belongs to libclang-rt-16-dev", async () => {
    expect((await packageOf(SYSTEM.scudo16))?.name).toBe("libclang-rt-16-dev");
  });
});

describe("packageOf without an owner", () => {
  it("an unowned file and a missing file give undefined, without throwing", async () => {
    const p = join(dir, "libunowned.so");
    await writeFile(p, "x");
    expect(await packageOf(p)).toBeUndefined();
    expect(await packageOf(join(dir, "missing.so"))).toBeUndefined();
    expect(await packageOf("/tmp/*")).toBeUndefined();
  });
});
