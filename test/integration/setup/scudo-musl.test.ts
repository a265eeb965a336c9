/**
 * scudo-musl (src/setup/scudo-musl.ts): the harness builds Scudo for musl from
 * compiler-rt's static archive, and every synthetic workload of the registry passes its
 * self-checks under it at 1 and 4 threads, with the musl-linked Scudo as the identity of
 * every run. Real musl-gcc, real archive, real processes.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostMachine, readElfInfo } from "../../../src/platform/elf.js";
import {
  ensureScudoMusl,
  findScudoArchives,
  scudoMuslLibPath,
  selfCheckScudoMusl,
} from "../../../src/setup/scudo-musl.js";
import type { AllocatorSpec } from "../../../src/allocators/types.js";
import { detectToolchains, type Toolchain } from "../../../src/platform/toolchain.js";
import type { ResultsFile } from "../../../src/results/schema.js";
import { loadWorkloads, workloadRoots, type Workload } from "../../../src/targets/workloads.js";
import { bench, benchRun } from "../../helpers/cli.js";
import { makeTempDir, removeDir } from "../../unit/allocators/helpers.js";
import { missing } from "../allocators/helpers.js";

const machine = hostMachine();
const noMusl = missing("musl-gcc", "musl-tools");

interface ListedAllocator {
  name: string;
  family: string;
  libc: string;
  lib: string | null;
  version: string | null;
  builtFrom?: string;
}

describe("scudo-musl", () => {
  let workloads: Workload[];
  let listed: ListedAllocator[];
  let results: ResultsFile;
  let exitCode: number | undefined;
  let output: string;

  beforeAll(async () => {
    workloads = await loadWorkloads(workloadRoots());
    const list = await bench(["list", "allocators", "--json"]);
    expect(list.exitCode, list.all).toBe(0);
    listed = JSON.parse(String(list.stdout)) as ListedAllocator[];

    const run = await benchRun([
      "-a",
      "scudo-musl",
      "-w",
      workloads.map((w) => w.name).join(","),
      "-t",
      "1,4",
      "-n",
      "1",
      "--warmup",
      "0",
      "--quick",
    ]);
    exitCode = run.exitCode;
    output = String(run.all);
    results = run.results;
  }, 1_200_000);

  it("is listed once per installed LLVM major, plain scudo-musl being the newest", () => {
    const versioned = listed.filter((a) => a.family === "scudo-musl" && a.name.includes("@"));
    expect(versioned.length).toBeGreaterThan(0);
    const newest = Math.max(...versioned.map((a) => Number(a.version)));
    const plain = listed.find((a) => a.name === "scudo-musl");
    expect(plain?.version).toBe(String(newest));
    for (const a of versioned) {
      expect(a.name).toBe(`scudo-musl@${a.version ?? ""}`);
      expect(a.libc).toBe("musl");
      expect(a.builtFrom).toMatch(/libclang_rt\.scudo_standalone(-[a-z0-9_]+)?\.a$/);
      expect(a.builtFrom).toContain(`/${a.version ?? ""}`);
    }
  });

  it("the built library is a musl-linked shared object exporting malloc and free", async () => {
    const record = results.allocators.find((a) => a.name === "scudo-musl");
    expect(record?.lib).toBeDefined();
    const info = await readElfInfo(record?.lib as string);
    expect(info.needed.some((n) => n === "libc.so" || /^libc\.musl-/.test(n))).toBe(true);
    expect(info.needed).not.toContain("libc.so.6");
    expect(info.definedSymbols?.has("malloc")).toBe(true);
    expect(info.definedSymbols?.has("free")).toBe(true);
    expect(record?.builtFrom).toMatch(/\.a$/);
    expect(record?.sha256).toMatch(/^[0-9a-f]{64}$/);
    // The recipe next to it says what it was built from.
    const recipe = JSON.parse(
      await readFile(path.join(path.dirname(record?.lib as string), "recipe.json"), "utf8"),
    ) as { archive: string };
    expect(recipe.archive).toBe(record?.builtFrom);
  });

  it("every workload passes its self-checks at 1 and 4 threads", () => {
    if (exitCode !== 0) console.error(output);
    expect(exitCode).toBe(0);
    for (const w of workloads) {
      for (const threads of [1, 4]) {
        const runs = results.runs.filter((r) => r.workload === w.name && r.threads === threads);
        expect(runs.length, `${w.name} t${threads} ran`).toBeGreaterThan(0);
        for (const r of runs)
          expect(
            r.status,
            `${w.name} t${threads}: ${r.status === "failed" ? r.failure.message : ""}`,
          ).toBe("ok");
      }
    }
  });

  it("every run reports the musl-linked Scudo as its identity", () => {
    const lib = results.allocators.find((a) => a.name === "scudo-musl")?.realLib;
    expect(lib).toMatch(/libscudo-musl\.so$/);
    expect(results.runs.length).toBeGreaterThanOrEqual(workloads.length * 2);
    for (const r of results.runs) {
      expect(r.libc).toBe("musl");
      expect(r.identity).toBe(lib);
    }
  });
});

async function touch(root: string, rel: string): Promise<string> {
  const file = path.join(root, rel);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, "");
  return file;
}

let dir: string;
let musl: Toolchain | undefined;
beforeAll(async () => {
  dir = await makeTempDir("mallocbench-scudo-musl-");
  musl = (await detectToolchains()).find((t) => t.libc === "musl" && !t.cross);
});
afterAll(async () => {
  await removeDir(dir);
});

describe("ensureScudoMusl", () => {
  it("reports a link failure in one message naming the archive", async (ctx) => {
    ctx.skip(musl === undefined, noMusl);
    const tc = musl as Toolchain;
    const archive = await touch(dir, "bad/libclang_rt.scudo_standalone.a");
    await writeFile(archive, "not an archive\n");
    const spec: AllocatorSpec = {
      name: "scudo-musl@99",
      family: "scudo-musl",
      lib: await scudoMuslLibPath({ major: 99, path: archive }, tc, path.join(dir, "cache-bad")),
      libc: "musl",
      env: {},
      source: "discovered",
      builtFrom: archive,
    };
    const built = await ensureScudoMusl(spec, tc, machine);
    expect(built.status).toBe("failed");
    if (built.status === "failed") expect(built.reason).toContain(`linking ${archive}`);
  });

  it("builds the newest installed archive into a musl-linked library exporting malloc, once", async (ctx) => {
    ctx.skip(musl === undefined, noMusl);
    const tc = musl as Toolchain;
    const [archive] = await findScudoArchives(machine);
    ctx.skip(archive === undefined, missing("a Scudo archive", "libclang-rt-N-dev"));
    if (!archive) return;
    const cache = path.join(dir, "cache");
    const lib = await scudoMuslLibPath(archive, tc, cache);
    expect(lib.startsWith(path.join(cache, "scudo-musl", `${archive.major}-`))).toBe(true);
    const spec: AllocatorSpec = {
      name: `scudo-musl@${archive.major}`,
      family: "scudo-musl",
      lib,
      libc: "musl",
      env: {},
      source: "discovered",
      builtFrom: archive.path,
    };
    const first = await ensureScudoMusl(spec, tc, machine);
    expect(first).toEqual({ status: "ok", lib, cached: false });
    const info = await readElfInfo(lib);
    expect(info.needed).toEqual(["libc.so"]);
    for (const symbol of ["malloc", "free", "calloc", "realloc", "posix_memalign", "_Znwm"])
      expect(info.definedSymbols?.has(symbol), symbol).toBe(true);
    // The compat definitions stay private to the library.
    for (const symbol of ["backtrace", "backtrace_symbols", "__memcpy_chk"])
      expect(info.definedSymbols?.has(symbol), symbol).toBe(false);
    expect(await ensureScudoMusl(spec, tc, machine)).toEqual({ status: "ok", lib, cached: true });
    expect(await selfCheckScudoMusl(lib, tc)).toBeUndefined();
  });

  it("the self-check rejects a library that does not replace malloc", async (ctx) => {
    ctx.skip(musl === undefined, noMusl);
    const tc = musl as Toolchain;
    const src = path.join(dir, "nomalloc.c");
    await writeFile(src, "int mallocbench_unrelated(void) { return 1; }\n");
    const lib = path.join(dir, "libnomalloc.so");
    const [cmd, ...pre] = tc.cc as [string, ...string[]];
    await execa(cmd, [...pre, "-shared", "-fPIC", src, "-o", lib]);
    expect(await selfCheckScudoMusl(lib, tc)).toMatch(/self-check failed: .* takes malloc from /);
  });
});
