import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { loadResults } from "../../src/results/io.js";
import { BIN, bench, FIXTURE_WORKLOADS, ROOT, tempDir } from "../helpers/cli.js";

async function journalRuns(file: string): Promise<number> {
  if (!existsSync(file)) return 0;
  return (await readFile(file, "utf8")).split("\n").filter((l) => l.startsWith('{"type":"run"'))
    .length;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("condition not met in time");
}

// ok-tiny is a few milliseconds; the plan is long enough to interrupt in the middle.
const PLAN = [
  "run",
  "--workload-dir",
  FIXTURE_WORKLOADS,
  "-w",
  "ok-tiny",
  "-a",
  "glibc,musl",
  "-t",
  "1,2",
  "-n",
  "40",
  "--warmup",
  "1",
  "--seed",
  "7",
];
const TOTAL = 2 * 2 * (40 + 1);

describe("interrupting and resuming", () => {
  it("SIGINT keeps every finished run and --resume completes the rest without repeating any", async () => {
    const dir = await tempDir();
    const out = path.join(dir, "r.json");
    const lock = path.join(dir, "lock");
    const child = execa("node", [BIN, ...PLAN, "-o", out], {
      cwd: ROOT,
      reject: false,
      env: { MALLOCBENCH_LOCK: lock },
      stdin: "ignore",
    });
    await waitFor(async () => (await journalRuns(`${out}.journal`)) >= 5, 120_000);
    child.kill("SIGINT");
    const first = await child;
    expect(first.exitCode).toBe(130);
    expect(String(first.stderr)).toContain(`bench run --resume ${out}`);

    const partial = await loadResults(out);
    expect(partial.complete).toBe(false);
    expect(partial.runs.length).toBeGreaterThanOrEqual(5);
    expect(partial.runs.length).toBeLessThan(TOTAL);
    expect(partial.runs.length).toBe(await journalRuns(`${out}.journal`));
    expect(existsSync(lock)).toBe(false);

    const second = await bench(["run", "--resume", out], { env: { MALLOCBENCH_LOCK: lock } });
    expect(second.exitCode).toBe(0);
    const full = await loadResults(out);
    expect(full.complete).toBe(true);
    expect(full.runs).toHaveLength(TOTAL);
    expect(new Set(full.runs.map((r) => r.key)).size).toBe(TOTAL);
    // The runs measured before the interrupt are kept as they were.
    expect(full.runs.slice(0, partial.runs.length)).toEqual(partial.runs);
    expect(full.plan).toEqual(partial.plan);
  }, 300_000);

  it("a second concurrent bench run refuses with a clear message", async () => {
    const dir = await tempDir();
    const lock = path.join(dir, "lock");
    const out = path.join(dir, "a.json");
    const first = execa("node", [BIN, ...PLAN, "-o", out], {
      cwd: ROOT,
      reject: false,
      env: { MALLOCBENCH_LOCK: lock },
      stdin: "ignore",
    });
    await waitFor(async () => (await journalRuns(`${out}.journal`)) >= 1, 120_000);
    const second = await bench([...PLAN, "-o", path.join(dir, "b.json")], {
      env: { MALLOCBENCH_LOCK: lock },
    });
    first.kill("SIGINT");
    await first;
    expect(second.exitCode).toBe(2);
    const lines = String(second.stderr).trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/another bench run is measuring on this machine \(pid \d+/);
    expect(existsSync(path.join(dir, "b.json"))).toBe(false);
  }, 300_000);

  it("a run under another lock file cannot --resume, or --force over, a results file being written", async () => {
    const dir = await tempDir();
    const out = path.join(dir, "a.json");
    const first = execa("node", [BIN, ...PLAN, "-o", out], {
      cwd: ROOT,
      reject: false,
      env: { MALLOCBENCH_LOCK: path.join(dir, "lock-a") },
      stdin: "ignore",
    });
    await waitFor(async () => (await journalRuns(`${out}.journal`)) >= 1, 120_000);
    const other = { env: { MALLOCBENCH_LOCK: path.join(dir, "lock-b") } };
    const resumed = await bench(["run", "--resume", out], other);
    const forced = await bench([...PLAN, "-o", out, "--force"], other);
    first.kill("SIGINT");
    await first;
    for (const r of [resumed, forced]) {
      expect(r.exitCode).toBe(2);
      expect(String(r.stderr).trim().split("\n")).toEqual([
        expect.stringMatching(/a\.json is being written by another bench run/),
      ]);
    }
    // The journal holds only the first run's records, each a whole line.
    const lines = (await readFile(`${out}.journal`, "utf8")).trim().split("\n");
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
  }, 300_000);
});
