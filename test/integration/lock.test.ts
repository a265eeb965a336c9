import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { loadResults } from "../../src/results/io.js";
import { bench, FIXTURE_WORKLOADS, ROOT, tempDir } from "../helpers/cli.js";

const HOLDER = path.join(ROOT, "test", "fixtures", "scripts", "lock-holder.mjs");

/** A pid that belonged to a process that has exited. */
async function deadPid(): Promise<number> {
  const child = execa("true");
  await child;
  return child.pid as number;
}

/** The log must read enter A, exit A, enter B, exit B, ...: never two holders at once. */
function checkNoOverlap(log: string): number {
  const lines = log.split("\n").filter((l) => l !== "");
  let holder: string | null = null;
  let holds = 0;
  for (const line of lines) {
    const [what, pid] = line.split(" ");
    if (what === "enter") {
      expect(holder, `${pid} entered while ${holder} held the lock:\n${log}`).toBeNull();
      holder = pid ?? "";
      holds += 1;
    } else {
      expect(pid).toBe(holder);
      holder = null;
    }
  }
  expect(holder).toBeNull();
  return holds;
}

const PLAN = [
  "run",
  "--workload-dir",
  FIXTURE_WORKLOADS,
  "-w",
  "ok-tiny",
  "-a",
  "glibc",
  "-t",
  "1",
  "-n",
  "3",
  "--warmup",
  "0",
  "--seed",
  "1",
  "-q",
];

describe("the machine-wide lock", () => {
  it("concurrent starters against a stale lock file never hold it twice, and one always gets it", async () => {
    const dir = await tempDir();
    const lock = path.join(dir, "lock");
    const log = path.join(dir, "log");
    const unrelated = execa("sleep", ["1000"], { reject: false });
    try {
      for (let trial = 0; trial < 12; trial++) {
        // A lock file left behind: by a process gone, or naming a pid now reused by another.
        const stale = trial % 2 === 0 ? await deadPid() : (unrelated.pid as number);
        await writeFile(lock, `${stale}\n`);
        await writeFile(log, "");
        const starters = Array.from({ length: 6 }, () =>
          execa("node", [HOLDER, lock, log, "2000000"], { reject: false }),
        );
        const codes = (await Promise.all(starters)).map((r) => {
          expect([0, 3], r.stderr).toContain(r.exitCode);
          return r.exitCode;
        });
        const holds = checkNoOverlap(await readFile(log, "utf8"));
        expect(holds).toBe(codes.filter((c) => c === 0).length);
        expect(holds).toBeGreaterThanOrEqual(1);
      }
    } finally {
      unrelated.kill("SIGKILL");
    }
  }, 300_000);

  it("a holder killed with SIGKILL frees the lock at once", async () => {
    const dir = await tempDir();
    const lock = path.join(dir, "lock");
    const log = path.join(dir, "log");
    await writeFile(log, "");
    const holder = execa("node", [HOLDER, lock, log, String(Number.MAX_SAFE_INTEGER)], {
      reject: false,
    });
    while (!(await readFile(log, "utf8")).includes("enter")) {
      await new Promise((r) => setTimeout(r, 20));
    }
    // While it holds the lock, another is refused.
    const refused = await execa("node", [HOLDER, lock, log, "1"], { reject: false });
    expect(refused.exitCode).toBe(3);
    holder.kill("SIGKILL");
    await holder;
    const next = await execa("node", [HOLDER, lock, log, "1"], { reject: false });
    expect(next.exitCode, next.stderr).toBe(0);
  }, 60_000);

  it("bench run is not blocked by a lock file naming a live unrelated process", async () => {
    const dir = await tempDir();
    const lock = path.join(dir, "lock");
    const unrelated = execa("sleep", ["1000"], { reject: false });
    try {
      await writeFile(lock, `${unrelated.pid}\n`);
      const out = path.join(dir, "r.json");
      const run = await bench([...PLAN, "-o", out], { env: { MALLOCBENCH_LOCK: lock } });
      expect(run.exitCode, String(run.all)).toBe(0);
      expect((await loadResults(out)).complete).toBe(true);
      expect(existsSync(lock)).toBe(false);
    } finally {
      unrelated.kill("SIGKILL");
    }
  }, 120_000);

  it("several bench run started at once against a stale lock: the ones that measure never overlap", async () => {
    const dir = await tempDir();
    const lock = path.join(dir, "lock");
    for (let trial = 0; trial < 3; trial++) {
      await writeFile(lock, `${await deadPid()}\n`);
      const outs = Array.from({ length: 4 }, (_, i) => path.join(dir, `t${trial}-${i}.json`));
      const runs = await Promise.all(
        outs.map((out) => bench([...PLAN, "-o", out], { env: { MALLOCBENCH_LOCK: lock } })),
      );
      const spans: [number, number][] = [];
      for (const [i, run] of runs.entries()) {
        if (run.exitCode === 2) {
          expect(String(run.stderr)).toMatch(/another bench run is measuring on this machine/);
          expect(existsSync(outs[i] as string)).toBe(false);
          continue;
        }
        expect(run.exitCode, String(run.all)).toBe(0);
        const results = await loadResults(outs[i] as string);
        const starts = results.runs.map((r) => Date.parse(r.startedAt));
        spans.push([Math.min(...starts), Date.parse(results.finishedAt as string)]);
      }
      expect(spans.length).toBeGreaterThanOrEqual(1);
      spans.sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < spans.length; i++) {
        expect(spans[i]?.[0]).toBeGreaterThanOrEqual(spans[i - 1]?.[1] as number);
      }
    }
  }, 300_000);
});
