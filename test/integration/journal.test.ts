import { randomInt } from "node:crypto";
import { readFile, rm, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { loadResults, readJournal } from "../../src/results/io.js";
import { bench, benchRun, BIN, FIXTURE_WORKLOADS, ROOT, tempDir } from "../helpers/cli.js";

const WRITER = path.join(ROOT, "test", "fixtures", "scripts", "journal-writer.mjs");

const PLAN = [
  "--workload-dir",
  FIXTURE_WORKLOADS,
  "-w",
  "ok-tiny",
  "-a",
  "glibc",
  "-t",
  "1",
  "-n",
  "12",
  "--warmup",
  "0",
  "--seed",
  "4",
  "-q",
];
const TOTAL = 12;

/** Every newline-terminated line is one whole record; returns them and the unterminated rest. */
function splitRecords(text: string): { records: { type: string; key?: string }[]; rest: string } {
  const lines = text.split("\n");
  const rest = lines.pop() ?? "";
  return { records: lines.map((l) => JSON.parse(l) as { type: string; key?: string }), rest };
}

/** Cut the file somewhere inside its last line, as a crash in the middle of writing it would. */
async function tearLastLine(file: string): Promise<void> {
  const text = await readFile(file);
  const end = text.length - 1; // the last newline
  const start = text.lastIndexOf(0x0a, end - 1) + 1;
  if (start <= 0 || end - start < 2) return; // keep the header whole
  await truncate(file, start + randomInt(1, end - start));
}

describe("the journal after a crash", () => {
  let header: string;
  let run: string;

  beforeAll(async () => {
    const done = await benchRun(PLAN.map((a) => (a === "12" ? "1" : a)));
    const { header: h, runs } = await readJournal(`${done.out}.journal`);
    header = JSON.stringify(h);
    run = JSON.stringify(runs[0]);
  }, 120_000);

  it("a writer killed at random points leaves a journal that reads, and appending never glues onto a fragment", async () => {
    const dir = await tempDir();
    const journal = path.join(dir, "r.json.journal");
    await writeFile(path.join(dir, "header.json"), header);
    await writeFile(path.join(dir, "run.json"), run);
    let previous = 0;
    for (let trial = 0; trial < 25; trial++) {
      const writer = execa(
        "node",
        [WRITER, journal, path.join(dir, "header.json"), path.join(dir, "run.json")],
        { reject: false },
      );
      await new Promise<void>((resolve) => {
        writer.stdout?.on("data", () => resolve());
        void writer.then(() => resolve());
      });
      await new Promise((r) => setTimeout(r, randomInt(0, 40)));
      writer.kill("SIGKILL");
      const ended = await writer;
      expect(ended.signal, ended.stderr).toBe("SIGKILL");
      if (trial % 2 === 1) await tearLastLine(journal);

      const text = await readFile(journal, "utf8");
      // Only the last line may be incomplete; every complete one is exactly one record.
      const { records } = splitRecords(text);
      expect(records[0]?.type).toBe("header");
      const contents = await readJournal(journal);
      expect(contents.runs.length).toBe(records.length - 1);
      expect(contents.runs.length).toBeGreaterThanOrEqual(previous - 1);
      expect(new Set(contents.runs.map((r) => r.key)).size).toBe(contents.runs.length);
      previous = contents.runs.length;
    }
  }, 300_000);

  it("bench run killed at random points always resumes to one complete results file", async () => {
    for (let trial = 0; trial < 4; trial++) {
      const dir = await tempDir();
      const out = path.join(dir, "r.json");
      const env = { MALLOCBENCH_LOCK: path.join(dir, "lock") };
      const child = execa("node", [BIN, "run", ...PLAN, "-o", out], {
        cwd: ROOT,
        reject: false,
        env,
        stdin: "ignore",
      });
      // Wait until the journal has its header, then kill at a random point after it.
      for (;;) {
        const text = await readFile(`${out}.journal`, "utf8").catch(() => "");
        if (text.includes("\n") || child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await new Promise((r) => setTimeout(r, randomInt(0, 400)));
      child.kill("SIGKILL");
      await child;
      if (trial % 2 === 1) await tearLastLine(`${out}.journal`);

      const resumed = await bench(["run", "--resume", out], { env });
      expect(resumed.exitCode, String(resumed.all)).toBe(0);
      const results = await loadResults(out);
      expect(results.complete).toBe(true);
      expect(results.runs).toHaveLength(TOTAL);
      expect(new Set(results.runs.map((r) => r.key)).size).toBe(TOTAL);
      const { records, rest } = splitRecords(await readFile(`${out}.journal`, "utf8"));
      expect(rest).toBe("");
      expect(records.filter((r) => r.type === "run")).toHaveLength(TOTAL);
    }
  }, 300_000);

  it("a torn last record is cut off and measured again on resume", async () => {
    const done = await benchRun(PLAN);
    expect(done.exitCode, done.all).toBe(0);
    const journal = `${done.out}.journal`;
    await rm(done.out);
    const text = await readFile(journal, "utf8");
    const lines = text.split("\n").slice(0, -1);
    // Keep the header and the first four runs whole, then half of the fifth.
    const torn = `${lines.slice(0, 5).join("\n")}\n${(lines[5] ?? "").slice(0, 40)}`;
    await writeFile(journal, torn);
    const resumed = await bench(["run", "--resume", done.out], {
      env: { MALLOCBENCH_LOCK: path.join(done.dir, "lock") },
    });
    expect(resumed.exitCode, String(resumed.all)).toBe(0);
    const { records, rest } = splitRecords(await readFile(journal, "utf8"));
    expect(rest).toBe("");
    expect(records.filter((r) => r.type === "run")).toHaveLength(TOTAL);
    const results = await loadResults(done.out);
    expect(results.runs).toHaveLength(TOTAL);
    expect(results.runs.slice(0, 4)).toEqual(done.results.runs.slice(0, 4));
  }, 120_000);
});
