/**
 * The discovered allocators really replace malloc when preloaded: a probe program asks the
 * dynamic linker which object provides `malloc` and exercises it from several threads.
 */
import { existsSync } from "node:fs";
import { realpath, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discoverAllocators } from "../../../src/allocators/discover.js";
import { hostMachine } from "../../../src/platform/elf.js";
import { finalizeAllocators } from "../../../src/allocators/resolve.js";
import type { ResolvedAllocator } from "../../../src/allocators/types.js";
import { makeTempDir, removeDir } from "../../unit/allocators/helpers.js";

const PROBE = `
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *work(void *arg) {
  (void)arg;
  for (int i = 0; i < 20000; i++) {
    char *p = malloc((size_t)(i % 4096) + 1);
    if (!p) abort();
    memset(p, 1, (size_t)(i % 4096) + 1);
    p = realloc(p, (size_t)(i % 8192) + 16);
    free(p);
  }
  return 0;
}

int main(void) {
  pthread_t t[4];
  for (int i = 0; i < 4; i++) pthread_create(&t[i], 0, work, 0);
  for (int i = 0; i < 4; i++) pthread_join(t[i], 0);
  Dl_info info;
  void *sym = dlsym(RTLD_DEFAULT, "malloc");
  if (!sym || !dladdr(sym, &info) || !info.dli_fname) return 3;
  printf("%s\\n", info.dli_fname);
  return 0;
}
`;

const machine = hostMachine();
let dir: string;
let glibcProbe: string | undefined;
let muslProbe: string | undefined;
let allocators: ResolvedAllocator[] = [];

beforeAll(async () => {
  dir = await makeTempDir("mallocbench-preload-");
  const src = join(dir, "probe.c");
  await writeFile(src, PROBE);
  glibcProbe = join(dir, "probe-glibc");
  await execa("cc", ["-O1", "-pthread", "-o", glibcProbe, src, "-ldl"]);
  const libcs: ("glibc" | "musl")[] = ["glibc"];
  if (existsSync("/usr/bin/musl-gcc")) {
    muslProbe = join(dir, "probe-musl");
    await execa("musl-gcc", ["-O1", "-pthread", "-o", muslProbe, src]);
    libcs.push("musl");
  }
  const { resolved, unusable } = await finalizeAllocators(
    await discoverAllocators({ machine, libcs }),
    machine,
  );
  expect(unusable).toEqual([]);
  allocators = resolved;
});

afterAll(async () => {
  await removeDir(dir);
});

describe("preloading discovered allocators", () => {
  it("each glibc library provides malloc to a multithreaded glibc program", async () => {
    const libs = allocators.filter((a) => a.lib && a.libc === "glibc");
    expect(libs.length).toBeGreaterThan(0);
    for (const a of libs) {
      const r = await execa(glibcProbe as string, [], {
        env: { ...a.env, LD_PRELOAD: a.lib as string },
        reject: false,
      });
      expect(r.exitCode, `${a.name}: ${r.stderr}`).toBe(0);
      expect(await realpath(r.stdout.trim()), a.name).toBe(a.realLib);
    }
  });

  it("without preload, glibc's malloc comes from libc.so.6", async () => {
    const r = await execa(glibcProbe as string, []);
    expect(r.stdout.trim()).toMatch(/libc\.so\.6$/);
  });

  it("a musl program without preload uses musl's malloc", async () => {
    if (!muslProbe) return;
    const r = await execa(muslProbe, []);
    expect(r.stdout.trim()).toMatch(/ld-musl|libc\.so/);
  });
});
