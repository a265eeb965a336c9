import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { bench, tempDir } from "../../helpers/cli.js";

interface BuildJson {
  launcher: string;
  libcs: {
    libc: string;
    cflags: string[];
    cflagsFromEnv: boolean;
    compiler: string[];
    systemMalloc: string | null;
    version: string | null;
  }[];
  builds: {
    workload: string;
    libc: string;
    status: string;
    binary?: string;
    cached?: boolean;
    hash: string;
  }[];
}

async function build(env: Record<string, string>): Promise<BuildJson> {
  const result = await bench(["build", "-w", "threadtest", "--json"], { env });
  expect(result.exitCode, String(result.stderr)).toBe(0);
  return JSON.parse(String(result.stdout)) as BuildJson;
}

describe("bench build", () => {
  it("builds for glibc and musl, caches by content, and respects CFLAGS", async () => {
    const cache = await tempDir("mallocbench-cache-");
    const first = await build({ MALLOCBENCH_CACHE_DIR: cache });
    expect(first.builds.map((b) => b.libc).sort()).toEqual(["glibc", "musl"]);
    expect(first.builds.every((b) => b.status === "ok" && b.cached === false)).toBe(true);
    expect(first.libcs.find((l) => l.libc === "glibc")).toMatchObject({
      cflags: ["-O2"],
      cflagsFromEnv: false,
    });
    expect(first.libcs.find((l) => l.libc === "musl")?.systemMalloc).toMatch(/musl/);

    const second = await build({ MALLOCBENCH_CACHE_DIR: cache });
    expect(second.builds.every((b) => b.cached === true)).toBe(true);
    expect(second.builds.map((b) => b.hash)).toEqual(first.builds.map((b) => b.hash));

    const o1 = await build({ MALLOCBENCH_CACHE_DIR: cache, CFLAGS: "-O1 -g" });
    expect(o1.libcs.every((l) => l.cflagsFromEnv && l.cflags.join(" ") === "-O1 -g")).toBe(true);
    expect(o1.builds.every((b) => b.cached === false)).toBe(true);
    expect(o1.builds.map((b) => b.hash)).not.toEqual(first.builds.map((b) => b.hash));

    // The binaries really target their libc: musl's loader for the musl build.
    const musl = first.builds.find((b) => b.libc === "musl");
    const interp = await execa("readelf", ["-l", musl?.binary ?? ""]);
    expect(String(interp.stdout)).toMatch(/ld-musl/);
  });

  it("uses CC when set, and records it", async () => {
    const cache = await tempDir("mallocbench-cache-");
    const result = await build({ MALLOCBENCH_CACHE_DIR: cache, CC: "gcc" });
    expect(result.libcs.find((l) => l.libc === "glibc")?.compiler[0]).toMatch(/\/gcc$/);
  });

  it("names programs as nothing to build and builds the synthetic workloads beside them", async () => {
    const env = { MALLOCBENCH_CACHE_DIR: await tempDir("mallocbench-cache-") };
    const result = await bench(["build", "-w", "sqlite3,threadtest", "--json"], { env });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stderr)).toContain(
      "sqlite3: a program (workloads/external/sqlite3), nothing to build; bench run -w sqlite3 runs it",
    );
    const built = JSON.parse(String(result.stdout)) as BuildJson;
    expect(new Set(built.builds.map((b) => b.workload))).toEqual(new Set(["threadtest"]));
  });
});
