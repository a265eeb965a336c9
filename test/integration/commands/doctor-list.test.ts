import { describe, expect, it } from "vitest";
import { bench } from "../../helpers/cli.js";

/** On a machine prepared by .ci/run (or `bench setup`): everything is found. */
describe("bench doctor / list / setup", () => {
  it("doctor --json finds both toolchains and every allocator family .ci/run installs", async () => {
    const result = await bench(["doctor", "--json"]);
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(String(result.stdout)) as {
      distro: { manager: string };
      toolchains: { libc: string }[];
      allocators: { name: string }[];
      missing: string[];
      perf: { note: string };
    };
    expect(report.distro.manager).toBe("apt");
    expect(report.toolchains.map((t) => t.libc).sort()).toEqual(["glibc", "musl"]);
    expect(report.allocators.map((a) => a.name)).toEqual(
      expect.arrayContaining(["glibc", "musl", "jemalloc", "tcmalloc", "mimalloc", "scudo"]),
    );
    expect(report.missing).toEqual([]);
    expect(report.perf.note).toMatch(/perf_event_paranoid/);
  });

  it("setup --dry-run has nothing to do when everything is installed", async () => {
    const result = await bench(["setup", "--dry-run"]);
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout)).toContain("everything bench needs is installed");
  });

  it("list allocators --json gives name, libc and library of each", async () => {
    const result = await bench(["list", "allocators", "--json"]);
    expect(result.exitCode).toBe(0);
    const list = JSON.parse(String(result.stdout)) as {
      name: string;
      libc: string;
      lib: string | null;
      source: string;
    }[];
    const byName = new Map(list.map((a) => [a.name, a]));
    expect(byName.get("glibc")).toMatchObject({ libc: "glibc", lib: null, source: "libc" });
    expect(byName.get("musl")).toMatchObject({ libc: "musl", lib: null, source: "libc" });
    expect(byName.get("jemalloc")?.lib).toMatch(/libjemalloc\.so\.2$/);
    expect(byName.get("scudo")?.lib).toMatch(/libclang_rt\.scudo_standalone/);
    expect([...byName.keys()].some((n) => /^scudo@\d+$/.test(n))).toBe(true);
  });

  it("list workloads --json reads the manifests", async () => {
    const result = await bench(["list", "workloads", "--json"]);
    const list = JSON.parse(String(result.stdout)) as { name: string; description: string }[];
    expect(list.map((w) => w.name)).toEqual(
      expect.arrayContaining(["larson", "threadtest", "xmalloc"]),
    );
    expect(list.every((w) => w.description.length > 0)).toBe(true);
  });

  it("list with an unknown kind is a usage error", async () => {
    const result = await bench(["list", "compilers"]);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr).trim()).toBe(
      'bench: bench list: unknown kind "compilers" (valid: workloads, allocators, toolchains)',
    );
  });
});
