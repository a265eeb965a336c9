/** packageOf against the real package database (dpkg here; rpm, apk, pacman elsewhere). */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageOf, pathSpellings, usrMergeAlias } from "../../../src/allocators/packages.js";
import { makeTempDir, removeDir } from "../../unit/allocators/helpers.js";
import { installed, missing } from "./helpers.js";

const found = await installed();
const noDpkg = existsSync("/usr/bin/dpkg-query") ? undefined : "dpkg-query is not on this machine";

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir("mallocbench-packages-");
});
afterAll(async () => {
  await removeDir(dir);
});

describe("packageOf on Debian (dpkg)", () => {
  const jemalloc = found.libs.jemalloc;
  const skipUnlessJemalloc = (ctx: { skip: (c: boolean, note?: string) => void }): void => {
    ctx.skip(noDpkg !== undefined, noDpkg);
    ctx.skip(jemalloc === undefined, missing("jemalloc", "libjemalloc2"));
  };

  it("jemalloc belongs to libjemalloc2", async (ctx) => {
    skipUnlessJemalloc(ctx);
    const pkg = await packageOf(jemalloc as string);
    expect(pkg?.manager).toBe("dpkg");
    expect(pkg?.name).toBe("libjemalloc2");
    expect(pkg?.version).toMatch(/^\S+$/);
  });

  it("works through the /usr-merge alias that dpkg does not know", async (ctx) => {
    skipUnlessJemalloc(ctx);
    const alias = usrMergeAlias(jemalloc as string);
    ctx.skip(alias === undefined || !existsSync(alias), `${jemalloc} has no /usr-merge alias here`);
    expect(await pathSpellings(alias as string)).toContain(jemalloc);
    expect((await packageOf(alias as string))?.name).toBe("libjemalloc2");
  });

  it("works for a symlink whose target is packaged under another name", async (ctx) => {
    ctx.skip(noDpkg !== undefined, noDpkg);
    ctx.skip(found.libs.tcmalloc === undefined, missing("tcmalloc", "libtcmalloc-minimal4"));
    const pkg = await packageOf(found.libs.tcmalloc as string);
    expect(pkg?.name).toBe("libtcmalloc-minimal4");
    expect(pkg?.version).not.toBe("");
  });

  it("each installed Scudo belongs to libclang-rt-<major>-dev", async (ctx) => {
    ctx.skip(noDpkg !== undefined, noDpkg);
    ctx.skip(found.scudo.length === 0, missing("Scudo", "libclang-rt-N-dev"));
    for (const { major, path } of found.scudo)
      expect((await packageOf(path))?.name).toBe(`libclang-rt-${major}-dev`);
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
