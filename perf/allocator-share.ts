/**
 * npm run perf:allocator-share — per workload, the share of all executed instructions that
 * are spent inside the allocator, counted by callgrind (bench run --metric instructions).
 *
 * Two columns: glibc's malloc (inside libc.so.6, so counted per function: the malloc functions
 * of GLIBC_MALLOC_FUNCTIONS in src/measure/callgrind.ts) and jemalloc preloaded (its whole object
 * file). What the allocator calls elsewhere (memcpy in realloc, memset in calloc, mmap wrappers,
 * locks in libc) is not counted: the share is of the allocator's own code.
 *
 * Instruction counts do not depend on the machine's load, so this script uses its own lock
 * (it does not wait for, or block, timed runs) and runs nice'd.
 *
 * Environment: ALLOCATOR_SHARE_WORKLOADS (default: every synthetic workload), ALLOCATOR_SHARE_ALLOCATORS
 * (default glibc,jemalloc), ALLOCATOR_SHARE_PRESET (default quick), ALLOCATOR_SHARE_OUT (a
 * markdown file to write the table to, besides stdout).
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { loadResults } from "../src/results/io.js";
import type { OkRun, ResultsFile } from "../src/results/schema.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const ALLOCATORS = (process.env["ALLOCATOR_SHARE_ALLOCATORS"] ?? "glibc,jemalloc").split(",");
const PRESET = process.env["ALLOCATOR_SHARE_PRESET"] ?? "quick";
const WORKLOADS = process.env["ALLOCATOR_SHARE_WORKLOADS"];

function fmt(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

export function shareTable(results: ResultsFile): string {
  const header = [
    "| workload |",
    ...ALLOCATORS.map((a) => ` ${a}: total | ${a}: in allocator | ${a}: share |`),
  ].join("");
  const rule = `|---|${ALLOCATORS.map(() => "---:|---:|---:|").join("")}`;
  const rows = results.plan.workloads.map((w) => {
    const cells = ALLOCATORS.map((a) => {
      const run = results.runs.find((r) => r.workload === w && r.allocator === a && !r.warmup);
      if (!run) return " - | - | - |";
      if (run.status !== "ok") return ` ${run.failure.kind} | - | - |`;
      const m = (run as OkRun).metrics;
      const total = m.instructions;
      const inside = m.allocatorInstructions;
      if (total === undefined || inside === undefined) return " ? | ? | ? |";
      return ` ${fmt(total)} | ${fmt(inside)} | ${((inside / total) * 100).toFixed(1)}% |`;
    });
    return `| ${w} |${cells.join("")}`;
  });
  return [header, rule, ...rows].join("\n");
}

/** The synthetic workloads (kind "workload"): not hardening probes, not external programs. */
async function syntheticWorkloads(): Promise<string> {
  const r = await execa("node", [
    path.join(ROOT, "bin", "bench.js"),
    "list",
    "workloads",
    "--json",
  ]);
  const list = JSON.parse(String(r.stdout)) as { name: string; kind?: string }[];
  return list
    .filter((w) => (w.kind ?? "workload") === "workload")
    .map((w) => w.name)
    .join(",");
}

async function main(): Promise<void> {
  const workloads = WORKLOADS ?? (await syntheticWorkloads());
  const dir = await mkdtemp(path.join(os.tmpdir(), "mallocbench-allocator-share-"));
  const out = path.join(dir, "share.json");
  const args = [
    path.join(ROOT, "bin", "bench.js"),
    "run",
    "--metric",
    "instructions",
    "-w",
    workloads,
    "-a",
    ALLOCATORS.join(","),
    "-t",
    "1",
    "-n",
    "1",
    "--warmup",
    "0",
    "--preset",
    PRESET,
    "--seed",
    "1",
    "--rss-interval",
    "0",
    "-q",
    "-o",
    out,
  ];
  const command = `node ${args
    .slice(0, 1)
    .map((a) => path.relative(ROOT, a))
    .join("")} ${args.slice(1).join(" ")}`;
  process.stderr.write(`$ ${command}\n`);
  const r = await execa("nice", ["node", ...args], {
    reject: false,
    stdin: "ignore",
    stdout: "ignore",
    stderr: "inherit",
    env: { MALLOCBENCH_LOCK: path.join(dir, "lock") },
  });
  // Exit 1: some runs failed; they are shown in the table.
  if (r.exitCode !== 0 && r.exitCode !== 1)
    throw new Error(`bench run failed (exit ${String(r.exitCode)})`);
  const results = await loadResults(out);
  const text = [
    `Share of executed instructions inside the allocator (callgrind, 1 thread, preset ${PRESET}, seed 1; ${new Date().toISOString().slice(0, 10)}).`,
    "",
    shareTable(results),
    "",
    `results: ${out}`,
  ].join("\n");
  process.stdout.write(`${text}\n`);
  const file = process.env["ALLOCATOR_SHARE_OUT"];
  if (file) await writeFile(file, `${text}\n`);
}

await main();
