import { appendFile, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { mkdtemp } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors.js";
import { Journal, parseResults, readJournal, writeJsonAtomic } from "../../../src/results/io.js";
import type { RunRecord } from "../../../src/results/schema.js";
import { okRun, resultsHeader } from "../../../testkit/records.js";

const header = resultsHeader;
const run: RunRecord = okRun();

describe("results files", () => {
  it("names the first bad field", () => {
    const bad = {
      ...header,
      finishedAt: null,
      complete: true,
      warnings: [],
      runs: [{ ...run, metrics: { ...run.metrics, wallSeconds: "fast" } }],
    };
    expect(() => parseResults(bad, "f.json")).toThrow(UsageError);
    expect(() => parseResults(bad, "f.json")).toThrow(
      /f\.json: not a mallocbench results file: field runs\[0\]\.metrics\.wallSeconds/,
    );
  });

  it("refuses a run recorded twice (the same key), naming both places", () => {
    const twice = {
      ...header,
      finishedAt: null,
      complete: true,
      warnings: [],
      runs: [run, okRun({ key: "other" }), run],
    };
    expect(() => parseResults(twice, "f.json")).toThrow(
      /^f\.json: not a mallocbench results file: field runs\[2\]\.key: "larson\/glibc\/t1#r0" is also runs\[0\]'s/,
    );
  });

  it("rejects another schema version by name", () => {
    expect(() => parseResults({ schemaVersion: 99 }, "f.json")).toThrow(
      /unsupported schemaVersion 99/,
    );
  });

  it("round-trips through an atomic write", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "mb-io-"));
    const file = path.join(dir, "r.json");
    const value = { ...header, finishedAt: null, complete: false, warnings: [], runs: [run] };
    await writeJsonAtomic(file, value);
    expect(parseResults(JSON.parse(await readFile(file, "utf8")), file)).toEqual(value);
  });
});

describe("journal", () => {
  it("keeps every complete line and ignores a torn last line", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "mb-journal-"));
    const file = path.join(dir, "r.json.journal");
    const journal = await Journal.create(file, header);
    journal.record(run);
    journal.record({ ...run, key: "larson/glibc/t1#r1", round: 1, seq: 1 });
    journal.close();
    await appendFile(file, '{"type":"run","key":"torn');
    const contents = await readJournal(file);
    expect(contents.header).toEqual(header);
    expect(contents.runs.map((r) => r.key)).toEqual(["larson/glibc/t1#r0", "larson/glibc/t1#r1"]);
  });

  it("reports a bad line in the middle with its line number", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "mb-journal-"));
    const file = path.join(dir, "bad.journal");
    await writeFile(
      file,
      `${JSON.stringify({ type: "header", ...header })}\nnot json\n${JSON.stringify({ type: "run", ...run })}\n`,
    );
    await expect(readJournal(file)).rejects.toThrow(/bad\.journal:2: not valid JSON/);
  });
});
