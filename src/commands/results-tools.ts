import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { metricInfo } from "../analysis/metrics.js";
import { testbedOf } from "../analysis/testbed.js";
import { UsageError } from "../errors.js";
import { EXPORTERS, exporterNamed } from "../export/index.js";
import { addInvocation } from "../results/invocations.js";
import { writeJsonAtomic, writeTextAtomic } from "../results/io.js";
import { parsePositiveInt } from "../config.js";
import { checkOutputDir, checkOutputFile } from "../results/output-path.js";
import { SCHEMA_VERSION } from "../results/schema.js";
import { loadResultSets, loadSingleSet, type MergedFile } from "../results/sets.js";
import { writeOut } from "../util/text.js";

/**
 * `bench baseline save <results.json> [--dir baselines] [--add [--keep N]]`: stored under its
 * testbed's id; with --add, added to that baseline as one more invocation.
 */
export async function baselineSaveCommand(
  file: string,
  opts: { dir?: string; add?: boolean; keep?: string },
): Promise<number> {
  if (opts.keep !== undefined && !opts.add)
    throw new UsageError("--keep bounds the invocations --add accumulates: give --add too");
  const keep =
    opts.keep === undefined ? undefined : parsePositiveInt(opts.keep, "--keep", 2, 10_000);
  const results = await loadSingleSet(file);
  if (!results.complete)
    throw new UsageError(
      `${file} is incomplete (interrupted): finish it with bench run --resume ${file} first`,
    );
  const dir = opts.dir ?? "baselines";
  checkOutputDir(dir, "--dir");
  // Saving again replaces the testbed's baseline: that is what saving a baseline is for.
  const target = path.join(dir, `${testbedOf(results).id}.json`);
  checkOutputFile(target, { flag: "--dir", overwrite: "always" });
  await mkdir(dir, { recursive: true });
  if (opts.add && existsSync(target)) {
    // More invocations let the gate estimate how far invocations drift apart (bench check).
    const before = await loadSingleSet(target);
    const merged = addInvocation(before, results, keep, { baseline: target, next: file });
    await writeJsonAtomic(target, merged);
    const count = merged.invocations?.length ?? 1;
    writeOut(
      `${target}\n${target}: ${count} invocation(s)${count < 3 ? "; bench check estimates the variance between invocations from 2 on, and sees small changes only from about 5" : ""}\n`,
    );
    return 0;
  }
  // Through a temporary file and a rename: a full disk must not truncate the baseline it replaces.
  await writeTextAtomic(target, await readFile(file, "utf8"));
  writeOut(`${target}\n`);
  return 0;
}

/** `bench merge a.json b.json ... -o all.json`: result sets side by side, never pooled. */
export async function mergeCommand(
  files: string[],
  opts: { output?: string; force?: boolean },
): Promise<number> {
  if (files.length < 2) throw new UsageError("bench merge needs at least two results files");
  if (!opts.output) throw new UsageError("bench merge needs -o <file>");
  checkOutputFile(opts.output, {
    flag: "-o",
    overwrite: "measurements",
    force: opts.force ?? false,
    inputs: files,
  });
  const sets = [];
  // A set is one run's: the same creation time in the same environment is a copy, not more data.
  const seen = new Map<string, string>();
  for (const f of files) {
    for (const set of await loadResultSets(f)) {
      const id = `${set.createdAt}\u0000${JSON.stringify(set.environment)}`;
      const first = seen.get(id);
      if (first !== undefined)
        throw new UsageError(
          `${first} and ${f} hold the same result set (created ${set.createdAt} on ${set.environment.hostname}): give each once`,
        );
      seen.set(id, f);
      sets.push(set);
    }
  }
  const merged: MergedFile = {
    schemaVersion: SCHEMA_VERSION,
    kind: "merged",
    tool: { name: "mallocbench", version: sets[0]?.tool.version ?? "unknown" },
    createdAt: new Date().toISOString(),
    sources: files.map((f) => path.basename(f)),
    sets,
  };
  await writeJsonAtomic(opts.output, merged);
  const testbeds = new Set(sets.map((s) => testbedOf(s).id));
  writeOut(`${opts.output}: ${sets.length} result set(s) from ${testbeds.size} testbed(s)\n`);
  return 0;
}

/** `bench export <results.json> --format csv|json|bmf|gab [--metric m] [-o file]` */
export async function exportCommand(
  file: string,
  opts: { format?: string; metric?: string; output?: string; force?: boolean },
): Promise<number> {
  const format = opts.format ?? "csv";
  const exporter = exporterNamed(format);
  if (!exporter)
    throw new UsageError(
      `--format: "${format}" is not one of ${EXPORTERS.map((e) => e.name).join(", ")}`,
    );
  const metric = metricInfo(opts.metric ?? "seconds");
  if (opts.output)
    checkOutputFile(opts.output, {
      flag: "-o",
      overwrite: "measurements",
      force: opts.force ?? false,
      inputs: [file],
    });
  const results = await loadSingleSet(file);
  const text = exporter.serialize(results, { metric });
  if (opts.output) await writeTextAtomic(opts.output, text);
  else writeOut(text);
  return 0;
}
