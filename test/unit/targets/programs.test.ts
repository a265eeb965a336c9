import { copyFile, mkdir, realpath, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { ResolvedAllocator } from "../../../src/allocators/types.js";
import { UsageError } from "../../../src/errors.js";
import { DF_1_PIE } from "../../../src/platform/elf.js";
import { workloadsDir } from "../../../src/paths.js";
import {
  measuredValue,
  parseCsv,
  preparePrograms,
  ratesFromCsv,
  splitWorkloads,
} from "../../../src/run/program-runs.js";
import {
  checkAvailability,
  loadPrograms,
  paramValues,
  parseProgramManifest,
  substitute,
} from "../../../src/targets/programs.js";
import { ROOT, tempDir } from "../../helpers/cli.js";
import { buildElf, EM } from "../allocators/helpers.js";

const FIXTURES = path.join(ROOT, "test", "fixtures", "programs");

/**
 * A dynamically linked glibc program as availability reads it (ELF header, PT_INTERP,
 * DT_NEEDED): synthetic, so the tests need no particular program installed.
 */
const BIN = await realpath(await tempDir());
const PROGRAM = path.join(BIN, "demo-prog");
await writeFile(
  PROGRAM,
  buildElf({
    elfClass: 64,
    endian: "little",
    machine: EM.x86_64,
    needed: ["libc.so.6"],
    interp: "/lib64/ld-linux-x86-64.so.2",
    flags1: DF_1_PIE,
  }),
  { mode: 0o755 },
);

/** A minimal valid manifest, to break one field at a time. */
function manifest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: "demo",
    description: "a demo program",
    binary: PROGRAM,
    probe: ["-c", "true"],
    args: ["-c", "echo ops={n}"],
    params: [{ name: "n", help: "count", default: { quick: 1, default: 2, full: 3 } }],
    metric: { kind: "wall", ops: "^ops=(\\d+)$" },
    ...overrides,
  };
}

function parse(m: unknown, name = "demo"): ReturnType<typeof parseProgramManifest> {
  return parseProgramManifest(JSON.stringify(m), `/x/${name}/program.json`, `/x/${name}`);
}

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error("expected a UsageError");
}

describe("program manifests", () => {
  it("loads the shipped manifests, each with its Debian package", async () => {
    const programs = await loadPrograms([workloadsDir()]);
    expect(programs.map((p) => p.name).sort()).toEqual([
      "ghostscript",
      "lua5.4",
      "python3",
      "redis",
      "rocksdb",
      "sqlite3",
      "z3",
    ]);
    for (const p of programs) expect(p.packages?.apt?.length, p.name).toBeGreaterThan(0);
    const redis = programs.find((p) => p.name === "redis");
    expect(redis?.multithreaded).toBe(true);
    expect(redis?.server?.ready.expect).toBe("PONG");
    expect(redis?.metric.kind).toBe("rate-csv");
    for (const name of ["sqlite3", "lua5.4"]) {
      const p = programs.find((x) => x.name === name);
      expect(p?.multithreaded).toBe(false);
      expect(p?.metric.kind).toBe("wall");
    }
  });

  it("accepts a valid manifest and fills defaults", () => {
    const p = parse(manifest());
    expect(p.kind).toBe("program");
    expect(p.multithreaded).toBe(false);
    expect(p.setup).toEqual([]);
    expect(paramValues(p, "default")).toEqual({ n: "2" });
    expect(substitute("ops={n} in {dir}", { n: "7", dir: "/d" })).toBe("ops=7 in /d");
  });

  it("rejects invalid JSON, naming the file", () => {
    const message = usageMessage(() =>
      parseProgramManifest("{", "/x/demo/program.json", "/x/demo"),
    );
    expect(message).toMatch(/^\/x\/demo\/program\.json: invalid JSON/);
  });

  it("rejects a missing field, naming it", () => {
    const { binary: _b, ...rest } = manifest();
    expect(usageMessage(() => parse(rest))).toMatch(/program\.json: binary: /);
  });

  it("packages: names per package manager; option or shell syntax is refused", async () => {
    const p = parse(
      manifest({ binary: "no-such-cmd-xyz", packages: { apt: ["z3", "libfoo2.0+x"] } }),
    );
    expect(p.packages?.apt).toEqual(["z3", "libfoo2.0+x"]);
    expect(usageMessage(() => parse(manifest({ packages: { apt: ["-y"] } })))).toMatch(
      /packages\.apt/,
    );
    expect(usageMessage(() => parse(manifest({ packages: { apt: ["a;b"] } })))).toMatch(
      /packages\.apt/,
    );
    expect(usageMessage(() => parse(manifest({ packages: { brew: ["z3"] } })))).toMatch(/brew/);
    // An absent program with packages says what installs it.
    const availability = await checkAvailability(p);
    expect(availability).toEqual({
      available: false,
      reason:
        "no-such-cmd-xyz not found on PATH; bench setup --programs installs it (Debian/Ubuntu: z3 libfoo2.0+x)",
    });
  });

  it("rejects unknown fields", () => {
    expect(usageMessage(() => parse(manifest({ comand: ["x"] })))).toMatch(/comand/);
  });

  it("rejects a name that differs from its directory", () => {
    expect(usageMessage(() => parse(manifest(), "other"))).toMatch(
      /name "demo" must match its directory "other"/,
    );
  });

  it("rejects an unknown placeholder", () => {
    expect(usageMessage(() => parse(manifest({ args: ["{nope}"] })))).toMatch(
      /unknown placeholder \{nope\}/,
    );
  });

  it("rejects an ops regex without a capturing group, or an invalid one", () => {
    expect(
      usageMessage(() => parse(manifest({ metric: { kind: "wall", ops: "^ops=\\d+$" } }))),
    ).toMatch(/capturing group/);
    expect(usageMessage(() => parse(manifest({ metric: { kind: "wall", ops: "(" } })))).toMatch(
      /invalid regex/,
    );
  });

  it("requires {threads} and a meaning of threads for a multithreaded program", () => {
    expect(usageMessage(() => parse(manifest({ multithreaded: true })))).toMatch(/field threads/);
    expect(
      usageMessage(() => parse(manifest({ multithreaded: true, threads: "worker threads" }))),
    ).toMatch(/must pass \{threads\}/);
    expect(usageMessage(() => parse(manifest({ args: ["{threads}"] })))).toMatch(
      /needs multithreaded: true/,
    );
  });

  it("ties the metric kind to the mode: servers by rate-csv, others by wall", () => {
    const server = {
      ready: { command: ["true"], expect: "" },
      load: { command: ["true"] },
      stop: { command: ["true"] },
    };
    expect(usageMessage(() => parse(manifest({ server, args: ["{port}"] })))).toMatch(
      /a server is measured by "rate-csv"/,
    );
    expect(
      usageMessage(() =>
        parse(
          manifest({
            metric: { kind: "rate-csv", label: "test", rate: "rps", opsPerRow: "{n}" },
          }),
        ),
      ),
    ).toMatch(/without "server" is measured by "wall" or "reported"/);
    expect(
      usageMessage(() =>
        parse(
          manifest({
            server,
            metric: { kind: "rate-csv", label: "test", rate: "rps", opsPerRow: "{n}" },
          }),
        ),
      ),
    ).toMatch(/a server must be given \{port\}/);
  });

  it("accepts a program without ops, and a reported metric", () => {
    expect(parse(manifest({ metric: { kind: "wall" } })).metric).toEqual({ kind: "wall" });
    const reported = {
      kind: "reported",
      value: "^rate ([0-9.]+)$",
      unit: "op/s",
      better: "higher",
    };
    expect(parse(manifest({ metric: reported })).metric).toEqual(reported);
    expect(
      parse(manifest({ metric: { ...reported, unit: "ms", better: "lower" } })).metric.kind,
    ).toBe("reported");
  });

  it("refuses a lower-is-better reported value that is not a time, and a value regex without a group", () => {
    const reported = { kind: "reported", value: "^t ([0-9.]+)$", unit: "op/s", better: "lower" };
    expect(usageMessage(() => parse(manifest({ metric: reported })))).toMatch(
      /field metric.unit: a lower-is-better reported value is a time: one of s, ms, us, ns/,
    );
    expect(
      usageMessage(() =>
        parse(manifest({ metric: { ...reported, unit: "s", value: "^t [0-9.]+$" } })),
      ),
    ).toMatch(/field metric.value: the regex needs a capturing group/);
  });

  it("refuses env the harness sets, and run-time placeholders in paths", () => {
    expect(usageMessage(() => parse(manifest({ env: { LD_PRELOAD: "/x.so" } })))).toMatch(
      /field env.LD_PRELOAD: LD_PRELOAD is set by the harness/,
    );
    expect(
      usageMessage(() => parse(manifest({ env: { MALLOCBENCH_IDENTITY_FILE: "x" } }))),
    ).toMatch(/field env.MALLOCBENCH_IDENTITY_FILE/);
    expect(usageMessage(() => parse(manifest({ stdin: "{tmp}/in" })))).toMatch(
      /field stdin: only \{dir\} may appear/,
    );
    expect(usageMessage(() => parse(manifest({ binary: "{n}/prog" })))).toMatch(
      /field binary: only \{dir\} may appear/,
    );
    expect(usageMessage(() => parse(manifest({ binary: {} })))).toMatch(/glibc or a musl binary/);
    expect(parse(manifest({ cwd: "{tmp}", env: { N: "{n}" } })).env).toEqual({ N: "{n}" });
  });

  it("refuses a program named like a synthetic workload, naming both files", async () => {
    const root = await tempDir();
    await mkdir(path.join(root, "larson"));
    await writeFile(
      path.join(root, "larson", "program.json"),
      JSON.stringify(manifest({ name: "larson" })),
    );
    const message = await loadPrograms([root, workloadsDir()]).then(
      () => "",
      (error: Error) => (expect(error).toBeInstanceOf(UsageError), error.message),
    );
    expect(message).toContain(path.join(root, "larson", "program.json"));
    expect(message).toContain(path.join(workloadsDir(), "larson", "workload.json"));
  });

  it("refuses a program defined in two roots, naming both files", async () => {
    const roots = [await tempDir(), await tempDir()];
    for (const root of roots) {
      await mkdir(path.join(root, "demo"));
      await writeFile(path.join(root, "demo", "program.json"), JSON.stringify(manifest()));
    }
    await expect(loadPrograms(roots)).rejects.toThrow(
      `program "demo" is defined twice: ${path.join(roots[0] as string, "demo", "program.json")} and ${path.join(roots[1] as string, "demo", "program.json")}`,
    );
  });

  it("reports a broken manifest under a workload root as a usage error", async () => {
    const root = await tempDir();
    await mkdir(path.join(root, "external", "broken"), { recursive: true });
    await writeFile(path.join(root, "external", "broken", "program.json"), '{"name": "broken"}');
    await expect(loadPrograms([root])).rejects.toThrow(UsageError);
    await expect(loadPrograms([root])).rejects.toThrow(/broken\/program\.json: description: /);
  });
});

describe("program availability", () => {
  it("an absent binary is unavailable, with the reason", async () => {
    const [absent] = await loadPrograms([FIXTURES]);
    expect(absent?.name).toBe("absent-program");
    const availability = await checkAvailability(absent as NonNullable<typeof absent>);
    expect(availability).toEqual({
      available: false,
      reason: "/nonexistent/mallocbench-absent-program does not exist",
    });
  });

  it("a command missing from PATH is named", async () => {
    const p = parse(manifest({ binary: "mallocbench-no-such-command" }));
    expect(await checkAvailability(p)).toEqual({
      available: false,
      reason: "mallocbench-no-such-command not found on PATH",
    });
  });

  it("finds a dynamically linked program on PATH and its libc", async () => {
    const availability = await checkAvailability(parse(manifest({ binary: "demo-prog" })), {
      PATH: `/nonexistent:${BIN}`,
    });
    expect(availability.available).toBe(true);
    if (availability.available) {
      const binary = availability.builds.get("glibc");
      expect(binary && path.isAbsolute(binary)).toBe(true);
      expect([...availability.builds.keys()]).toEqual(["glibc"]);
    }
  });
});

describe("paths in a manifest", () => {
  /** root/m (the manifest's dir), root/m/link -> root/real/sub, an ELF program at `at`. */
  async function layout(at: string): Promise<string> {
    const root = await realpath(await tempDir());
    await mkdir(path.join(root, "m"));
    await mkdir(path.join(root, "real", "sub"), { recursive: true });
    await symlink(path.join(root, "real", "sub"), path.join(root, "m", "link"));
    await copyFile(PROGRAM, path.join(root, at));
    return root;
  }
  const inDir = (binary: unknown, dir: string): ReturnType<typeof parseProgramManifest> =>
    parseProgramManifest(
      JSON.stringify(manifest({ binary })),
      path.join(dir, "program.json"),
      path.join(dir),
    );
  const rename = (p: ReturnType<typeof parseProgramManifest>, dir: string) => ({
    ...p,
    dir,
    name: path.basename(dir),
  });

  it("binary is relative to the manifest, and `..` after a link goes where the kernel goes", async () => {
    const root = await layout("real/prog");
    const dir = path.join(root, "m");
    const p = rename(inDir("link/../prog", path.join(root, "demo")), dir);
    const availability = await checkAvailability(p);
    expect(availability.available && availability.builds.get("glibc")).toBe(
      path.join(root, "real", "prog"),
    );
    const viaDir = rename(inDir("{dir}/link/../prog", path.join(root, "demo")), dir);
    expect((await checkAvailability(viaDir)).available).toBe(true);
  });

  it("a path that exists only when `..` is normalised as text is absent", async () => {
    const root = await layout("m/prog");
    const p = rename(inDir("link/../prog", path.join(root, "demo")), path.join(root, "m"));
    expect(await checkAvailability(p)).toEqual({
      available: false,
      reason: "link/../prog does not exist",
    });
  });

  it("a binary declared for a libc it does not link is missing for that libc", async () => {
    const root = await layout("m/prog");
    const p = rename(
      inDir({ glibc: "./prog", musl: "./prog" }, path.join(root, "demo")),
      path.join(root, "m"),
    );
    const availability = await checkAvailability(p);
    if (!availability.available) throw new Error(availability.reason);
    expect([...availability.builds.keys()]).toEqual(["glibc"]);
    expect(availability.missing.get("musl")).toMatch(/declared as the musl build but links glibc/);
  });

  it("stdin must be an existing regular file relative to the manifest", async () => {
    const root = await layout("m/prog");
    const dir = path.join(root, "m");
    const withStdin = (stdin: string) =>
      rename(
        parseProgramManifest(
          JSON.stringify(manifest({ binary: "./prog", stdin })),
          path.join(root, "demo", "program.json"),
          path.join(root, "demo"),
        ),
        dir,
      );
    expect(await checkAvailability(withStdin("input.txt"))).toEqual({
      available: false,
      reason: "stdin input.txt does not exist",
    });
    expect(await checkAvailability(withStdin("link"))).toEqual({
      available: false,
      reason: "stdin link is not a regular file",
    });
    await writeFile(path.join(dir, "input.txt"), "1 2 3\n");
    const ok = await checkAvailability(withStdin("input.txt"));
    expect(ok.available && ok.stdin).toBe(path.join(dir, "input.txt"));
  });
});

describe("fixed paths are checked before any run", () => {
  it("a cwd that does not exist, or is a file, makes the program absent", async () => {
    const root = await realpath(await tempDir());
    const dir = path.join(root, "demo");
    await mkdir(dir);
    await writeFile(path.join(dir, "file"), "");
    const withCwd = (cwd: string) =>
      parseProgramManifest(JSON.stringify(manifest({ cwd })), path.join(dir, "program.json"), dir);
    expect(await checkAvailability(withCwd("nowhere"))).toEqual({
      available: false,
      reason: "cwd nowhere does not exist",
    });
    expect(await checkAvailability(withCwd("file"))).toEqual({
      available: false,
      reason: "cwd file is not a directory",
    });
    expect((await checkAvailability(withCwd("."))).available).toBe(true);
    expect((await checkAvailability(withCwd("{tmp}"))).available).toBe(true);
  });

  it("a binary path that exists but cannot be executed says so", async () => {
    const root = await realpath(await tempDir());
    const dir = path.join(root, "demo");
    await mkdir(path.join(dir, "sub"), { recursive: true });
    const p = parseProgramManifest(
      JSON.stringify(manifest({ binary: "./sub" })),
      path.join(dir, "program.json"),
      dir,
    );
    expect(await checkAvailability(p)).toEqual({
      available: false,
      reason: `./sub (${path.join(dir, "sub")}) is not an executable file`,
    });
  });
});

describe("measured value of a program", () => {
  const wall = { kind: "wall" as const, ops: "^ops=(\\d+)$" };
  it("wall: the process's wall time; ops when declared, one run otherwise", () => {
    expect(measuredValue(wall, "x\nops=40\n", 2)).toEqual({
      metrics: { seconds: 2, ops: 40, opsPerSecond: 20 },
    });
    expect(measuredValue({ kind: "wall" }, "", 2)).toEqual({
      metrics: { seconds: 2, ops: 1, opsPerSecond: 0.5 },
    });
    expect(measuredValue(wall, "nothing", 2)).toMatchObject({ kind: "no-result" });
  });

  it("reported, higher is better: seconds is 1/value, so ratios invert the value's", () => {
    const metric = {
      kind: "reported" as const,
      value: "^throughput: ([0-9.]+)",
      unit: "ops/s",
      better: "higher" as const,
    };
    expect(measuredValue(metric, "throughput: 4000000\n", 5)).toEqual({
      metrics: { seconds: 1 / 4e6, ops: 1, opsPerSecond: 4e6 },
      figures: { "ops/s": 4e6 },
    });
    expect(measuredValue(metric, "throughput: 0\n", 5)).toMatchObject({
      kind: "result-implausible",
    });
    expect(measuredValue(metric, "throughput: n/a\n", 5)).toMatchObject({ kind: "no-result" });
  });

  it("reported, lower is better: a time in its unit, never beyond the process's wall time", () => {
    const metric = {
      kind: "reported" as const,
      value: "^took ([0-9.]+) ms",
      unit: "ms",
      better: "lower" as const,
    };
    expect(measuredValue(metric, "took 250 ms\n", 1)).toEqual({
      metrics: { seconds: 0.25, ops: 1, opsPerSecond: 4 },
      figures: { ms: 250 },
    });
    expect(measuredValue(metric, "took 2500 ms\n", 1)).toMatchObject({
      kind: "result-implausible",
    });
  });
});

describe("workload selection with programs", () => {
  const roots = [workloadsDir(), FIXTURES];

  it("`all` means the synthetic workloads; --programs adds every program", async () => {
    const plain = await splitWorkloads(roots, ["larson"], "all", false);
    expect(plain).toEqual({ synthetic: "all", programs: [] });
    const withPrograms = await splitWorkloads(roots, ["larson"], "all", true);
    expect(withPrograms.programs.map((p) => p.name).sort()).toEqual([
      "absent-program",
      "ghostscript",
      "lua5.4",
      "python3",
      "redis",
      "rocksdb",
      "sqlite3",
      "z3",
    ]);
  });

  it("named programs run without --programs, next to named synthetic workloads", async () => {
    const split = await splitWorkloads(roots, ["larson", "xmalloc"], ["sqlite3", "larson"], false);
    expect(split.synthetic).toEqual(["larson"]);
    expect(split.programs.map((p) => p.name)).toEqual(["sqlite3"]);
  });

  it("an unknown name is a usage error listing workloads and programs", async () => {
    const message = await splitWorkloads(roots, ["larson"], ["nope"], false).then(
      () => "",
      (error: unknown) => {
        expect(error).toBeInstanceOf(UsageError);
        return (error as Error).message;
      },
    );
    expect(message).toMatch(/unknown workload "nope" \(valid: larson, .*sqlite3/);
  });
});

describe("cells a program skips", () => {
  const glibc = { name: "glibc", family: "glibc", libc: "glibc", env: {}, source: "libc" };

  it("skips every program cell in instructions mode", async () => {
    const programs = (await loadPrograms([workloadsDir()])).filter((p) => p.name === "lua5.4");
    const set = await preparePrograms({
      programs,
      allocators: [glibc] as unknown as ResolvedAllocator[],
      threads: [1],
      host: undefined,
      instructions: true,
    });
    expect(set.skipped).toEqual([
      {
        cell: "lua5.4/glibc/t1",
        reason: "instructions mode: external programs are not run under callgrind",
      },
    ]);
  });
});

describe("load generator CSV", () => {
  const csv = [
    '"test","rps","avg_latency_ms"',
    '"SET","125786.16","5.991"',
    '"MSET (10 keys)","29282.58","1.0"',
    '"BAD","n/a","1"',
  ].join("\n");

  it("parses quoted fields", () => {
    expect(parseCsv('"a","b ""c""",3')).toEqual([["a", 'b "c"', "3"]]);
  });

  it("reads one rate per test row and drops rows without a number", () => {
    expect([...ratesFromCsv(csv, "test", "rps")]).toEqual([
      ["SET", 125786.16],
      ["MSET (10 keys)", 29282.58],
    ]);
    expect(ratesFromCsv(csv, "test", "nope").size).toBe(0);
  });
});
