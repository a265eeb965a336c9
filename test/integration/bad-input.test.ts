import { copyFile, open, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { bench, errorLines, FIXTURE_LIBS, tempDir } from "../helpers/cli.js";
import { installed } from "./allocators/helpers.js";

// Where `bench run` finds jemalloc on this machine (Debian x86_64's path when it is absent).
const JEMALLOC = (await installed()).libs.jemalloc ?? "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";

/** Bad input: one clear line naming what to fix, exit code 2, no stack trace. */
describe("bad input gets one line and exit code 2", () => {
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = await tempDir();
    env = { MALLOCBENCH_LOCK: path.join(dir, "lock") };
  });

  async function expectUsageError(
    args: string[],
    pattern: RegExp,
    extraEnv: Record<string, string> = {},
  ): Promise<void> {
    const result = await bench(args, { env: { ...env, ...extraEnv } });
    const lines = errorLines(String(result.stderr));
    expect(result.exitCode, String(result.all)).toBe(2);
    expect(lines, String(result.stderr)).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
    expect(String(result.stderr)).not.toMatch(/\n\s+at /);
  }

  it("unknown workload lists the valid ones", async () => {
    await expectUsageError(
      ["run", "-w", "nope", "-a", "glibc"],
      /unknown workload "nope" \(valid: .*larson.*threadtest.*xmalloc/,
    );
  });

  it("unknown allocator lists the valid ones", async () => {
    await expectUsageError(
      ["run", "-w", "larson", "-a", "glibc,hoard"],
      /unknown allocator "hoard"; valid names: .*glibc.*jemalloc/,
    );
  });

  it.each([
    ["0", /--threads: 0 is out of range/],
    ["a", /--threads: "a" is not a positive integer/],
    ["1,,2", /--threads needs a comma-separated list without empty items/],
    ["4-2", /--threads: bad range "4-2"/],
  ])("bad --threads %s", async (value, pattern) => {
    await expectUsageError(["run", "-w", "larson", "-a", "glibc", "-t", value], pattern);
  });

  it("bad --runs and --timeout", async () => {
    await expectUsageError(
      ["run", "-w", "larson", "-a", "glibc", "-n", "0"],
      /--runs: 0 must be at least 1/,
    );
    await expectUsageError(
      ["run", "-w", "larson", "-a", "glibc", "--timeout", "soon"],
      /--timeout: "soon" is not a duration/,
    );
  });

  it("missing allocator path", async () => {
    await expectUsageError(
      ["run", "-w", "larson", "--allocator", `ghost=${dir}/missing.so`],
      /allocator ghost: .*missing\.so.*(does not exist|no such file|cannot)/i,
    );
  });

  it("an allocator file that is not ELF", async () => {
    const text = path.join(dir, "notelf.so");
    await writeFile(text, "this is not a shared object\n");
    await expectUsageError(
      ["run", "-w", "larson", "--allocator", `text=${text}`],
      /allocator text: .*notelf\.so.*not an ELF/i,
    );
  });

  it("an allocator built for another architecture", async () => {
    const foreign = path.join(dir, "aarch64.so");
    await copyFile(JEMALLOC, foreign);
    const handle = await open(foreign, "r+");
    const machine = Buffer.alloc(2);
    machine.writeUInt16LE(183, 0); // EM_AARCH64
    await handle.write(machine, 0, 2, 18);
    await handle.close();
    await expectUsageError(
      ["run", "-w", "larson", "--allocator", `foreign=${foreign}`],
      /allocator foreign: .*aarch64/,
    );
  });

  it("an allocator linked against a libc this machine cannot build workloads for", async () => {
    const muslLib = path.join(dir, "libnomalloc-musl.so");
    await execa("musl-gcc", [
      "-shared",
      "-fPIC",
      "-o",
      muslLib,
      path.join(FIXTURE_LIBS, "nomalloc.c"),
    ]);
    await expectUsageError(
      ["run", "-w", "larson", "--allocator", `muslonly=${muslLib}`, "-a", "muslonly"],
      /allocator muslonly runs with musl, and this machine has no musl toolchain/,
      { MUSL_CC: path.join(dir, "no-such-musl-gcc") },
    );
  });

  it("a library that does not define malloc is refused before anything runs", async () => {
    const lib = path.join(dir, "libnomalloc.so");
    await execa("cc", ["-shared", "-fPIC", "-o", lib, path.join(FIXTURE_LIBS, "nomalloc.c")]);
    await expectUsageError(
      ["run", "-w", "larson", "--allocator", `nomalloc=${lib}`],
      /allocator nomalloc: .*does not export malloc/,
    );
  });

  it("bad --allocator syntax", async () => {
    await expectUsageError(
      ["run", "-w", "larson", "--allocator", "justaname"],
      /--allocator "justaname": expected NAME=/,
    );
  });

  it("a corrupt results file given to --resume names the problem", async () => {
    const broken = path.join(dir, "broken.json");
    await writeFile(broken, '{"schemaVersion": 1, "runs": [');
    await expectUsageError(["run", "--resume", broken], /broken\.json: not valid JSON/);
    const wrong = path.join(dir, "wrong.json");
    await writeFile(
      wrong,
      JSON.stringify({ schemaVersion: 1, tool: { name: "mallocbench", version: "0" } }),
    );
    await expectUsageError(
      ["run", "--resume", wrong],
      /wrong\.json: not a mallocbench results file: field createdAt/,
    );
  });

  it("--resume of a file that does not exist", async () => {
    await expectUsageError(
      ["run", "--resume", path.join(dir, "nothing.json")],
      /--resume: .*nothing\.json does not exist/,
    );
  });

  it("a 100 KB value quoted in the error line is clipped in the middle", async () => {
    const result = await bench(
      ["run", "-w", "larson", "-a", "glibc", "--param", `objects=${"9".repeat(100_000)}`],
      {
        env,
      },
    );
    expect(result.exitCode).toBe(2);
    const lines = errorLines(String(result.stderr));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^bench: --param objects: "9+\[… \d+ characters left out …\]9+" is not an integer$/,
    );
    expect(lines[0]?.length).toBeLessThanOrEqual(2010);
  });

  it("unknown option (commander)", async () => {
    const result = await bench(["run", "--frobnicate"], { env });
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toMatch(/unknown option '--frobnicate'/);
  });
});

/** Strings past what mallocbench writes: refused on load by every command that reads results. */
describe("oversized strings in results files, journals and merged files", () => {
  it("a 10 MB allocator name, a huge params key or failure message: exit 2 naming the field, for every reader", async () => {
    const dir = await tempDir();
    const env = { MALLOCBENCH_LOCK: path.join(dir, "lock") };
    const example = JSON.parse(
      await readFile(path.join(import.meta.dirname, "../../results/example.json"), "utf8"),
    ) as { runs: Record<string, unknown>[] };
    const name = structuredClone(example);
    (name.runs[0] as Record<string, unknown>)["allocator"] = "\u001b[2J".repeat(2_500_000);
    const big = path.join(dir, "big.json");
    await writeFile(big, JSON.stringify(name));
    const key = structuredClone(example);
    (key.runs[1] as Record<string, unknown>)["params"] = { ["k".repeat(5000)]: "1" };
    const bigKey = path.join(dir, "bigkey.json");
    await writeFile(bigKey, JSON.stringify(key));
    const merged = path.join(dir, "merged.json");
    await writeFile(
      merged,
      JSON.stringify({
        kind: "merged",
        schemaVersion: 1,
        tool: { name: "mallocbench", version: "0" },
        createdAt: "2026-01-01T00:00:00Z",
        sources: ["s".repeat(100_000)],
        sets: [example],
      }),
    );
    const cases: [string[], RegExp][] = [
      [
        ["report", big, "-o", path.join(dir, "rep")],
        /big\.json: .*field runs\[0\]\.allocator: 10000000 characters long, above the limit of 4096$/,
      ],
      [["compare", big], /field runs\[0\]\.allocator: 10000000 characters/],
      [
        ["export", bigKey, "--format", "csv", "-o", path.join(dir, "x.csv")],
        /field runs\[1\]\.params\.k+…: a key 5000 characters long/,
      ],
      [["merge", big, bigKey, "-o", path.join(dir, "m.json")], /field runs\[0\]\.allocator/],
      [["check", big, "--against", "glibc"], /field runs\[0\]\.allocator/],
      [["compare", merged], /merged\.json: .*field sources\[0\]: 100000 characters long/],
      [["run", "--resume", big], /field runs\[0\]\.allocator/],
    ];
    for (const [args, pattern] of cases) {
      const result = await bench(args, { env });
      const lines = errorLines(String(result.stderr));
      expect(result.exitCode, `${args.join(" ")}: ${String(result.all).slice(0, 2000)}`).toBe(2);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
      expect(lines[0]?.length).toBeLessThan(1000);
    }
  }, 300_000);
});

describe("a run never writes what a later load would refuse", () => {
  it("a 5000-character --variant value or a 101-character allocator name: exit 2 before measuring, nothing written", async () => {
    const dir = await tempDir();
    const env = { MALLOCBENCH_LOCK: path.join(dir, "lock") };
    const out = path.join(dir, "r.json");
    const common = ["-w", "larson", "-t", "1", "-n", "1", "--warmup", "0", "--quick", "-o", out];
    const variant = await bench(
      ["run", "-a", "glibc", "--variant", `v=glibc:GLIBC_TUNABLES=${"a".repeat(5000)}`, ...common],
      { env },
    );
    expect(variant.exitCode, String(variant.all)).toBe(2);
    expect(errorLines(String(variant.stderr)).at(-1)).toMatch(
      /field allocators\[\d\]\.env\.GLIBC_TUNABLES: 5000 characters long, above the limit of 4096; shorten it$/,
    );
    const name = await bench(
      ["run", "-a", "glibc", "--allocator", `${"n".repeat(101)}=${JEMALLOC}`, ...common],
      { env },
    );
    expect(name.exitCode).toBe(2);
    expect(errorLines(String(name.stderr))).toEqual([
      "bench: --allocator: an allocator name of 101 characters is too long (at most 100)",
    ]);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.journal`)).toBe(false);
  }, 300_000);
});
