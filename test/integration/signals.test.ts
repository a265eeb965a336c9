import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { BIN, buildFixtureLib, FIXTURE_WORKLOADS, ROOT, tempDir } from "../helpers/cli.js";
import { descendants, running, waitUntil, type Proc } from "../helpers/procs.js";
import { syntheticResults } from "../../testkit/synthetic.js";

// Ctrl-C and SIGTERM in every phase, and the death of bench itself: each test starts the real
// CLI, waits (polling /proc) until the phase it targets has its child processes, signals node,
// and checks the exit code, the one line said, the lock, and that no child survives. The waits
// are failure guards, never timing assertions.

const COMPILERS = new Set(["cc", "gcc", "cc1", "as", "ld", "collect2", "musl-gcc", "clang"]);

function start(args: string[], dir: string, env: Record<string, string> = {}) {
  return execa("node", [BIN, ...args], {
    cwd: ROOT,
    reject: false,
    stdin: "ignore",
    env: { MALLOCBENCH_LOCK: path.join(dir, "lock"), ...env },
  });
}

function errorLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.trim() !== "");
}

describe("signals in every phase", () => {
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    it(`${signal} during the build kills the compilers and exits ${code} with one line`, async () => {
      const dir = await tempDir();
      // An empty cache forces every workload to be compiled.
      const child = start(
        [
          "run",
          "-q",
          "-w",
          "larson,tree,xmalloc",
          "-a",
          "glibc",
          "-n",
          "1",
          "-o",
          path.join(dir, "r.json"),
        ],
        dir,
        { MALLOCBENCH_CACHE_DIR: path.join(dir, "cache") },
      );
      let seen: Proc[] = [];
      await waitUntil(
        () => {
          seen = descendants(child.pid as number);
          return seen.some((p) => COMPILERS.has(p.comm));
        },
        120_000,
        "a compiler below bench",
      );
      child.kill(signal);
      const result = await child;
      expect(result.exitCode).toBe(code);
      const lines = errorLines(String(result.stderr));
      expect(lines.at(-1)).toMatch(new RegExp(`^bench: interrupted by ${signal}`));
      expect(String(result.stderr)).not.toMatch(/\n\s+at /);
      await waitUntil(() => !seen.some(running), 30_000, "the compilers to be gone");
      expect(existsSync(path.join(dir, "lock"))).toBe(false);
      expect(existsSync(path.join(dir, "r.json"))).toBe(false);
    }, 180_000);
  }

  it("SIGINT during the allocator probe kills the probe and exits 130", async () => {
    const dir = await tempDir();
    const lib = await buildFixtureLib("stall", dir);
    const child = start(
      [
        "run",
        "-q",
        "-w",
        "larson",
        "-a",
        "stall",
        "--allocator",
        `stall=${lib}`,
        "-n",
        "1",
        "-o",
        path.join(dir, "r.json"),
      ],
      dir,
    );
    let probe: Proc | undefined;
    await waitUntil(
      () => {
        probe = descendants(child.pid as number).find((p) => p.cmdline.includes("--identify"));
        return probe !== undefined && probe.cmdline.includes("larson");
      },
      120_000,
      "the identity probe of the stalling library",
    );
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(errorLines(String(result.stderr)).at(-1)).toMatch(/^bench: interrupted by SIGINT/);
    await waitUntil(() => !running(probe as Proc), 30_000, "the probe to be gone");
    expect(existsSync(path.join(dir, "lock"))).toBe(false);
    // It stopped in the probe: it never went on to measure.
    expect(existsSync(path.join(dir, "r.json"))).toBe(false);
  }, 180_000);

  const installed = (command: string): boolean => {
    try {
      execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  };
  const hang = ["--workload-dir", FIXTURE_WORKLOADS, "-w", "hang", "-a", "glibc", "-t", "1"];
  const killCases: {
    name: string;
    args: string[];
    ready: (below: Proc[]) => boolean;
    needs: string[];
  }[] = [
    {
      name: "the launcher and the workload",
      args: hang,
      ready: (below) => below.some((p) => p.comm === "hang"),
      needs: [],
    },
    {
      name: "callgrind (valgrind) and the workload under it",
      args: [...hang, "--metric", "instructions"],
      ready: (below) => below.some((p) => p.cmdline.includes("--tool=callgrind")),
      needs: ["valgrind"],
    },
    {
      name: "a program's server and its load",
      args: ["-w", "redis", "-a", "glibc", "-t", "1", "--quick"],
      ready: (below) => below.some((p) => p.comm === "redis-server"),
      needs: ["redis-server", "redis-benchmark", "redis-cli"],
    },
  ];
  for (const c of killCases) {
    it.skipIf(!c.needs.every(installed))(
      `SIGKILL of bench takes ${c.name} with it, even with --timeout 0`,
      async () => {
        const dir = await tempDir();
        const child = start(
          ["run", "-q", ...c.args, "-n", "1", "--warmup", "0", "--timeout", "0"].concat([
            "-o",
            path.join(dir, "r.json"),
          ]),
          dir,
        );
        let below: Proc[] = [];
        await waitUntil(
          () => {
            below = descendants(child.pid as number);
            return below.some((p) => p.comm === "launcher") && c.ready(below);
          },
          120_000,
          `${c.name} below bench`,
        );
        child.kill("SIGKILL");
        await child;
        await waitUntil(
          () => !below.some(running),
          30_000,
          `every process bench started to be gone: ${below
            .filter(running)
            .map((p) => p.cmdline)
            .join("; ")}`,
        );
      },
      180_000,
    );
  }

  it("SIGKILL of bench takes a helper that never ends (a stuck compiler) with it", async () => {
    const dir = await tempDir();
    const stuck = path.join(ROOT, "test/fixtures/scripts/stuck-cc.sh");
    const child = start(["build", "--cc", stuck], dir, {
      MALLOCBENCH_CACHE_DIR: path.join(dir, "cache"),
    });
    let below: Proc[] = [];
    await waitUntil(
      () => {
        below = descendants(child.pid as number);
        return below.some((p) => p.cmdline === "sleep 600");
      },
      120_000,
      "the stuck compiler below bench",
    );
    child.kill("SIGKILL");
    await child;
    await waitUntil(
      () => !below.some(running),
      30_000,
      `every process bench started to be gone: ${below
        .filter(running)
        .map((p) => p.cmdline.slice(0, 80))
        .join("; ")}`,
    );
  }, 180_000);

  it("two SIGINTs in a row while measuring: exit 130, the lock released, no run left behind", async () => {
    const dir = await tempDir();
    const child = start(
      ["run", "-q", ...hang, "-n", "1", "--warmup", "0", "--timeout", "0"].concat([
        "-o",
        path.join(dir, "r.json"),
      ]),
      dir,
    );
    let below: Proc[] = [];
    await waitUntil(
      () => {
        below = descendants(child.pid as number);
        return below.some((p) => p.comm === "hang");
      },
      120_000,
      "the hanging workload",
    );
    child.kill("SIGINT");
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(existsSync(path.join(dir, "lock"))).toBe(false);
    await waitUntil(() => !below.some(running), 30_000, "the launcher and the workload to be gone");
  }, 180_000);

  it("SIGINT while a report renders exits 130 with one line", async () => {
    const dir = await tempDir();
    const file = path.join(dir, "big.json");
    const results = syntheticResults({
      workloads: Array.from({ length: 20 }, (_, i) => `workload-${i + 1}`),
      allocators: ["glibc", "musl", "jemalloc", "tcmalloc", "mimalloc", "scudo"],
      threads: [1, 2, 4, 8],
      runs: 20,
    });
    await writeFile(file, JSON.stringify(results));
    const out = path.join(dir, "report");
    const child = start(["report", file, "-o", out], dir);
    // The report directory is made just before the charts are rendered into it.
    await waitUntil(() => existsSync(out), 120_000, "the report directory");
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode).toBe(130);
    const lines = errorLines(String(result.stderr));
    expect(lines).toEqual(["bench: interrupted by SIGINT"]);
  }, 180_000);
});
