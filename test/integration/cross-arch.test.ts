import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { readElfInfo } from "../../src/platform/elf.js";
import { loadWorkloads, workloadRoots } from "../../src/targets/workloads.js";
import { bench, errorLines } from "../helpers/cli.js";

/**
 * Four architectures: the launcher and every workload of the registry cross-build with Debian's
 * cross compilers (`bench build --cc <triple>-gcc`), and each workload, run under qemu-user at
 * quick size with 2 threads, prints the same checksum as the native x86_64 build (checksums are
 * defined to be architecture-independent: a difference is a workload bug). Functional only.
 *
 * An architecture is skipped only when its cross compiler is not installed; a missing qemu with
 * the compiler present fails. CI installs gcc-{aarch64,riscv64,powerpc64le}-linux-gnu and
 * qemu-user (no binfmt: qemu is run explicitly with -L <sysroot>).
 */

const ARCHES = [
  { machine: "aarch64", triple: "aarch64-linux-gnu", qemu: "qemu-aarch64" },
  { machine: "riscv64", triple: "riscv64-linux-gnu", qemu: "qemu-riscv64" },
  { machine: "ppc64le", triple: "powerpc64le-linux-gnu", qemu: "qemu-ppc64le" },
] as const;

const RUN_ARGS = ["--size", "quick", "--threads", "2", "--seed", "1"];

async function which(cmd: string): Promise<string | undefined> {
  for (const dir of (process.env["PATH"] ?? "").split(":")) {
    if (!dir) continue;
    const candidate = path.join(dir, cmd);
    const probe = await execa(candidate, ["--version"], { reject: false, timeout: 20_000 });
    if (probe.exitCode === 0) return candidate;
  }
  return undefined;
}

const compilers = new Map(
  await Promise.all(ARCHES.map(async (a) => [a.triple, await which(`${a.triple}-gcc`)] as const)),
);

interface BuildJson {
  launcher: string;
  libcs: { libc: string; target: string; machine?: string; toolchain: string }[];
  builds: ({ workload: string; libc: string } & (
    { status: "ok"; binary: string } | { status: "failed"; reason: string }
  ))[];
}

/** The checksum of a workload's `@result` line, or why there is none. */
function resultOf(stdout: string): { checksum: string } | { error: string } {
  const line = stdout.split("\n").find((l) => l.startsWith("@result "));
  if (!line) return { error: "no @result line" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(line.slice("@result ".length));
  } catch {
    return { error: `unreadable @result line: ${line.slice(0, 200)}` };
  }
  const r = parsed as { checksum?: unknown; ops?: unknown; seconds?: unknown };
  if (typeof r.ops !== "number" || typeof r.seconds !== "number")
    return { error: `@result without ops/seconds: ${line.slice(0, 200)}` };
  if (typeof r.checksum !== "string") return { error: "@result without a checksum" };
  return { checksum: r.checksum };
}

/** Run `jobs` two at a time (a 2-core machine; qemu is CPU-bound). */
async function pool<T>(jobs: (() => Promise<T>)[], width = 2): Promise<T[]> {
  const out: T[] = new Array<T>(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await (jobs[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
  return out;
}

describe("cross-architecture builds under qemu-user", () => {
  let names: string[];
  const native = new Map<string, string>();
  // The cross builds compile one file at a time each: start them all at once, with the native
  // reference runs, so both cores stay busy; each architecture's test awaits its own.
  const crossBuilds = new Map<string, ReturnType<typeof bench>>();

  beforeAll(async () => {
    for (const arch of ARCHES)
      if (compilers.get(arch.triple) !== undefined)
        crossBuilds.set(arch.triple, bench(["build", "--cc", `${arch.triple}-gcc`, "--json"]));
    names = (await loadWorkloads(workloadRoots([], {}))).map((w) => w.name).sort();
    expect(names.length).toBeGreaterThan(0);
    // The reference: the native (x86_64 here) glibc build of every workload, same arguments.
    const built = await bench(["build", "--json"]);
    expect(built.exitCode, built.stderr).toBe(0);
    const json = JSON.parse(built.stdout) as BuildJson;
    for (const b of json.builds) {
      if (b.libc !== "glibc" || b.status !== "ok") continue;
      const run = await execa(b.binary, RUN_ARGS, {
        reject: false,
        env: { LD_PRELOAD: "" },
        timeout: 120_000,
      });
      const result = resultOf(String(run.stdout));
      expect(run.exitCode, `${b.workload} native: ${String(run.stderr)}`).toBe(0);
      expect("checksum" in result, `${b.workload} native: ${JSON.stringify(result)}`).toBe(true);
      if ("checksum" in result) native.set(b.workload, result.checksum);
    }
    expect([...native.keys()].sort()).toEqual(names);
  }, 600_000);

  it("rejects an unusable --cc with one line and exit 2", async () => {
    const run = await bench(["build", "--cc", "no-such-compiler-gcc", "-w", "threadtest"]);
    expect(run.exitCode).toBe(2);
    expect(errorLines(run.stderr)).toEqual([
      'bench: --cc: cannot use "no-such-compiler-gcc" (not found on PATH, or `no-such-compiler-gcc -dumpmachine` failed)',
    ]);
  });

  it.skipIf(compilers.get("aarch64-linux-gnu") === undefined)(
    "bench run refuses a cross CC: its binaries cannot run here",
    async () => {
      const run = await bench(["run", "--quick", "-n", "1", "-w", "threadtest", "-a", "glibc"], {
        env: {
          CC: "aarch64-linux-gnu-gcc",
          MALLOCBENCH_LOCK: path.join(await mkdtemp(path.join(os.tmpdir(), "mb-")), "lock"),
        },
      });
      expect(run.exitCode).toBe(2);
      expect(errorLines(run.stderr)).toHaveLength(1);
      expect(run.stderr).toMatch(/builds for aarch64 .*bench build --cc/);
    },
  );

  for (const arch of ARCHES) {
    const cc = compilers.get(arch.triple);
    it.skipIf(cc === undefined)(
      `${arch.machine}: builds every workload and the launcher, runs them under ${arch.qemu} with the native checksums${cc === undefined ? ` (skipped: ${arch.triple}-gcc is not installed)` : ""}`,
      async () => {
        const qemu = await which(arch.qemu);
        expect(
          qemu,
          `${arch.qemu} is needed with ${arch.triple}-gcc (apt-get install qemu-user)`,
        ).toBeDefined();
        const sysroot = `/usr/${arch.triple}`;

        const built = await (crossBuilds.get(arch.triple) as ReturnType<typeof bench>);
        expect(built.exitCode, built.stderr).toBe(0);
        const json = JSON.parse(built.stdout) as BuildJson;
        // One toolchain, for the target machine, keyed by it in the cache.
        expect(json.libcs.map((l) => [l.libc, l.machine, l.target])).toEqual([
          ["glibc", arch.machine, arch.triple],
        ]);
        expect(json.libcs[0]?.toolchain.startsWith(`${arch.machine}-glibc-`)).toBe(true);
        expect(json.builds.map((b) => b.workload).sort()).toEqual(names);
        expect(json.builds.filter((b) => b.status === "failed")).toEqual([]);
        expect((await readElfInfo(json.launcher)).machine).toBe(arch.machine);

        // Every workload under qemu: exit 0, a valid @result, the native checksum.
        const problems = await pool(
          json.builds.map((b) => async (): Promise<string | null> => {
            if (b.status !== "ok") return `${b.workload}: not built`;
            const elf = await readElfInfo(b.binary);
            if (elf.machine !== arch.machine)
              return `${b.workload}: built for ${elf.machine}, not ${arch.machine}`;
            const run = await execa(qemu as string, ["-L", sysroot, b.binary, ...RUN_ARGS], {
              reject: false,
              env: { LD_PRELOAD: "" },
              timeout: 180_000,
            });
            if (run.exitCode !== 0)
              return `${b.workload}: exit ${String(run.exitCode ?? run.signal)}: ${String(run.stderr).slice(-300)}`;
            const result = resultOf(String(run.stdout));
            if ("error" in result) return `${b.workload}: ${result.error}`;
            const want = native.get(b.workload);
            return result.checksum === want
              ? null
              : `${b.workload}: checksum ${result.checksum} on ${arch.machine}, ${String(want)} native`;
          }),
        );
        expect(problems.filter((p) => p !== null)).toEqual([]);

        // The cross-built launcher under qemu: it forks, execs (qemu running the workload: the
        // host kernel runs host programs for an emulated process), waits and reads rusage;
        // perf_event_open is not emulated, which must read as "unavailable", not as a failure.
        const threadtest = json.builds.find((b) => b.workload === "threadtest");
        if (threadtest?.status !== "ok") throw new Error("threadtest was not built");
        const dir = await mkdtemp(path.join(os.tmpdir(), "mallocbench-cross-"));
        try {
          const out = path.join(dir, "stdout");
          const launched = await execa(
            qemu as string,
            [
              "-L",
              sysroot,
              json.launcher,
              "--timeout-ms",
              "120000",
              "--rss-interval-ms",
              "10",
              "--rss-max-samples",
              "2000",
              "--stdout",
              out,
              "--stderr",
              path.join(dir, "stderr"),
              "--",
              qemu as string,
              "-L",
              sysroot,
              threadtest.binary,
              ...RUN_ARGS,
            ],
            { reject: false, timeout: 180_000 },
          );
          expect(launched.exitCode, String(launched.stderr)).toBe(0);
          const record = JSON.parse(String(launched.stdout).trim().split("\n").pop() ?? "") as {
            status: string;
            exitCode: number | null;
            wallSeconds: number | null;
            maxRssBytes: number | null;
            perf: { available: true } | { available: false; reason: string };
            rssTimeline: { samples: unknown[] };
          };
          expect(record.status).toBe("exited");
          expect(record.exitCode).toBe(0);
          expect(record.wallSeconds).toBeGreaterThan(0);
          expect(record.maxRssBytes).toBeGreaterThan(0);
          expect(record.rssTimeline.samples.length).toBeGreaterThan(0);
          if (!record.perf.available) expect(record.perf.reason).toMatch(/\S/);
          const child = resultOf(await readFile(out, "utf8"));
          expect(child).toEqual({ checksum: native.get("threadtest") });
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
      600_000,
    );
  }
});
