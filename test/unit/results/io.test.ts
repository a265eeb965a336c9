import { appendFile, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { mkdtemp } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors.js";
import { Journal, parseResults, readJournal, writeJsonAtomic } from "../../../src/results/io.js";
import type { ResultsHeader, RunRecord } from "../../../src/results/schema.js";

const header: ResultsHeader = {
  schemaVersion: 1,
  tool: { name: "mallocbench", version: "0.1.0" },
  createdAt: "2026-11-25T00:00:00.000Z",
  environment: {
    hostname: "h",
    arch: "x86_64",
    cpuModel: "cpu",
    cores: 2,
    onlineCpus: "0-1",
    memoryBytes: 1,
    kernel: "Linux",
    os: "Debian",
    libcs: [],
    governor: null,
    turbo: null,
    smt: null,
    loadAverage: [0, 0, 0],
    perfEventParanoid: 2,
    nodeVersion: "v20",
    launcher: "/x/launcher",
  },
  plan: {
    workloads: ["larson"],
    allocators: ["glibc"],
    threads: [1],
    size: "quick",
    preset: "quick",
    runs: 1,
    warmup: 0,
    seed: 1,
    timeoutMs: 1000,
    cpus: null,
    rssIntervalMs: 10,
    workloadRoots: ["/w"],
  },
  allocators: [{ name: "glibc", family: "glibc", libc: "glibc", env: {}, source: "libc" }],
  builds: [],
};

const run: RunRecord = {
  key: "larson/glibc/t1#r0",
  workload: "larson",
  allocator: "glibc",
  libc: "glibc",
  threads: 1,
  size: "quick",
  round: 0,
  warmup: false,
  seq: 0,
  startedAt: "2026-11-25T00:00:01.000Z",
  identity: "/lib/libc.so.6",
  status: "ok",
  checksum: "0x1",
  metrics: {
    wallSeconds: 0.1,
    userSeconds: 0.09,
    sysSeconds: 0.01,
    maxRssBytes: 4096,
    minorFaults: 10,
    majorFaults: 0,
    voluntaryContextSwitches: 1,
    involuntaryContextSwitches: 0,
    ops: 100,
    seconds: 0.05,
  },
};

describe("results files", () => {
  it("names the first bad field", () => {
    const bad = { ...header, finishedAt: null, complete: true, warnings: [], runs: [{ ...run, metrics: { ...run.metrics, wallSeconds: "fast" } }] };
    expect(() => parseResults(bad, "f.json")).toThrow(UsageError);
    expect(() => parseResults(bad, "f.json")).toThrow(/f\.json: not a mallocbench results file: field runs\[0\]\.metrics\.wallSeconds/);
  });

  it("rejects another schema version by name", () => {
    expect(() => parseResults({ schemaVersion: 99 }, "f.json")).toThrow(/unsupported schemaVersion 99/);
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
    await writeFile(file, `${JSON.stringify({ type: "header", ...header })}\nnot json\n${JSON.stringify({ type: "run", ...run })}\n`);
    await expect(readJournal(file)).rejects.toThrow(/bad\.journal:2: not valid JSON/);
  });
});
