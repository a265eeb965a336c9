import path from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { buildWorkload } from "../../../src/platform/build.js";
import { detectToolchains } from "../../../src/platform/toolchain.js";
import { cacheDir } from "../../../src/paths.js";
import { classify, parseResultLine } from "../../../src/run/outcome.js";
import { RUNTIME_ENTRY_POINTS } from "../../../src/setup/identity.js";
import { loadWorkloads, workloadRoots, type Workload } from "../../../src/targets/workloads.js";
import { buildFixtureLib, FIXTURE_LIBS, tempDir } from "../../helpers/cli.js";
import { launcherRecord } from "../../../testkit/records.js";
import { installed } from "../allocators/helpers.js";

// Where `bench run` finds jemalloc on this machine (Debian x86_64's path when it is absent).
const JEMALLOC = (await installed()).libs.jemalloc ?? "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";

/** The workload protocol, checked on the real programs built by the real toolchains. */
describe("workload protocol", () => {
  let workloads: Workload[];
  const binaries = new Map<string, string>(); // `${name}/${libc}` -> binary

  beforeAll(async () => {
    workloads = await loadWorkloads(workloadRoots());
    for (const tc of await detectToolchains()) {
      for (const w of workloads) {
        const built = await buildWorkload(tc, w, cacheDir());
        if (built.status !== "ok") throw new Error(built.reason);
        binaries.set(`${w.name}/${tc.libc}`, built.binary);
      }
    }
  }, 300_000);

  const bin = (name: string, libc: string): string => binaries.get(`${name}/${libc}`) as string;

  async function run(binary: string, args: string[], env: Record<string, string> = {}) {
    const result = await execa(binary, args, { reject: false, env, extendEnv: true });
    return { ...result, parsed: parseResultLine(String(result.stdout)) };
  }

  it("has the three core workloads", () => {
    expect(workloads.map((w) => w.name)).toEqual(
      expect.arrayContaining(["larson", "threadtest", "xmalloc"]),
    );
  });

  it("keeps workload.json's parameters in sync with the program's own table (--help)", async () => {
    for (const w of workloads) {
      const { stdout } = await execa(bin(w.name, "glibc"), ["--help"]);
      const table = [
        ...String(stdout).matchAll(
          /^\s+--(\S+)\s+(.+?) \[(\d+)\/(\d+)\/(\d+); range (-?\d+)\.\.(-?\d+)\]/gm,
        ),
      ].map((m) => ({
        name: m[1],
        help: m[2],
        default: { quick: Number(m[3]), default: Number(m[4]), full: Number(m[5]) },
        min: Number(m[6]),
        max: Number(m[7]),
      }));
      expect(table, w.name).toEqual(w.params);
    }
  });

  it.each(["larson", "threadtest", "xmalloc"])(
    "%s: one @result line, the same checksum under every allocator and libc, another with another seed",
    async (name) => {
      for (const threads of ["1", "2"]) {
        const args = ["--size", "quick", "--threads", threads, "--seed", "11"];
        const glibc = await run(bin(name, "glibc"), args);
        const musl = await run(bin(name, "musl"), args);
        const jemalloc = await run(bin(name, "glibc"), args, { LD_PRELOAD: JEMALLOC });
        for (const r of [glibc, musl, jemalloc]) {
          expect(r.exitCode, String(r.stderr)).toBe(0);
          expect(
            String(r.stdout)
              .split("\n")
              .filter((l) => l.startsWith("@result ")),
          ).toHaveLength(1);
          expect(r.parsed?.ops).toBeGreaterThan(0);
          expect(r.parsed?.seconds).toBeGreaterThan(0);
          expect(r.parsed?.["threads"]).toBe(Number(threads));
        }
        expect(glibc.parsed?.allocator).toMatch(/libc\.so\.6$/);
        expect(musl.parsed?.allocator).toMatch(/musl/);
        expect(jemalloc.parsed?.allocator).toBe(JEMALLOC);
        expect(musl.parsed?.checksum).toBe(glibc.parsed?.checksum);
        expect(jemalloc.parsed?.checksum).toBe(glibc.parsed?.checksum);
        expect(musl.parsed?.ops).toBe(glibc.parsed?.ops);
        const other = await run(bin(name, "glibc"), [
          "--size",
          "quick",
          "--threads",
          threads,
          "--seed",
          "12",
        ]);
        expect(other.parsed?.checksum).not.toBe(glibc.parsed?.checksum);
      }
    },
  );

  it("rejects bad arguments with one line and exit 2", async () => {
    for (const args of [
      ["--bogus"],
      ["--threads", "0"],
      ["--size", "huge"],
      ["--threads"],
      ["extra"],
    ]) {
      const r = await run(bin("larson", "glibc"), args);
      expect(r.exitCode, args.join(" ")).toBe(2);
      expect(String(r.stderr).trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(String(r.stdout)).not.toContain("@result");
    }
  });

  it("--identify names the object the program's calls really bind to, even when dlsym would lie", async () => {
    const dir = await tempDir();
    const versioned = path.join(dir, "libversioned.so");
    await execa("cc", [
      "-shared",
      "-fPIC",
      `-Wl,--version-script=${path.join(FIXTURE_LIBS, "versioned-malloc.map")}`,
      "-o",
      versioned,
      path.join(FIXTURE_LIBS, "versioned-malloc.c"),
    ]);
    const identity = async (
      env: Record<string, string>,
    ): Promise<{ malloc: string; libc: string }> => {
      const { stdout } = await execa(bin("threadtest", "glibc"), ["--identify"], { env });
      return JSON.parse(String(stdout).replace(/^@identity /, "")) as {
        malloc: string;
        libc: string;
      };
    };
    expect((await identity({})).malloc).toMatch(/libc\.so\.6$/);
    expect(await identity({ LD_PRELOAD: JEMALLOC })).toMatchObject({
      malloc: JEMALLOC,
      libc: "glibc",
    });
    // Exported under its own symbol version: loaded, found by dlsym(RTLD_DEFAULT), never called.
    expect((await identity({ LD_PRELOAD: versioned })).malloc).toMatch(/libc\.so\.6$/);
  });

  it("reports every entry point's object and the ones each workload uses; a run under a partial interposer fails the per-run check", async () => {
    const dir = await tempDir();
    const partial = await buildFixtureLib("partial", dir);
    const identity = async (
      name: string,
      libc: string,
      env: Record<string, string> = {},
    ): Promise<{ entryPoints: Record<string, string | null>; uses: string[] }> => {
      const { stdout } = await execa(bin(name, libc), ["--identify"], { env });
      return JSON.parse(String(stdout).replace(/^@identity /, "")) as {
        entryPoints: Record<string, string | null>;
        uses: string[];
      };
    };
    for (const libc of ["glibc", "musl"]) {
      if (!binaries.has(`aligned/${libc}`)) continue;
      const id = await identity("aligned", libc);
      expect(Object.keys(id.entryPoints)).toEqual([...RUNTIME_ENTRY_POINTS]);
      expect(new Set(Object.values(id.entryPoints)).size, libc).toBe(1);
      expect(id.uses).toEqual(["malloc", "free", "calloc", "aligned_alloc", "posix_memalign"]);
      expect((await identity("larson", libc)).uses).toEqual(["malloc", "free"]);
      expect((await identity("realloc-growth", libc)).uses).toEqual([
        "malloc",
        "free",
        "calloc",
        "realloc",
      ]);
    }
    const id = await identity("aligned", "glibc", { LD_PRELOAD: partial });
    expect(id.entryPoints["malloc"]).toBe(partial);
    expect(id.entryPoints["calloc"]).toMatch(/libc\.so\.6$/);
    // The workload itself runs fine (glibc underneath); only the identity check can tell.
    const r = await run(bin("aligned", "glibc"), ["--size", "quick"], { LD_PRELOAD: partial });
    expect(r.exitCode).toBe(0);
    const verdict = classify(
      {
        record: launcherRecord({}),
        stdout: "",
        stderr: "",
        // Run by hand, without a launcher, the runtime writes its one record to stdout.
        channel: {
          text: `${String(r.stdout)
            .split("\n")
            .find((l) => l.startsWith("@result "))}\n`,
          overflow: false,
        },
      },
      partial,
      (file) => file === partial,
    );
    expect(verdict).toMatchObject({
      status: "failed",
      kind: "not-interposed",
      message: expect.stringMatching(
        /^partially interposed: calloc from \S*libc\.so\.6, aligned_alloc from \S*libc\.so\.6, posix_memalign from \S*libc\.so\.6; expected /,
      ),
    });
  });
});
