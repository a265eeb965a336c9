import { readdir } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { UsageError } from "../errors.js";
import { NotRegularFileError, readRegularFile } from "../util/files.js";
import { workloadsDir } from "../paths.js";
import { describeIssue } from "../util/schema-errors.js";

// Strict objects at every level: a misspelt key is an error, not a setting silently dropped.
const SizeValues = z.strictObject({
  quick: z.unknown(),
  default: z.unknown(),
  full: z.unknown(),
});

export const WorkloadParamSchema = z
  .strictObject({
    name: z.string(),
    help: z.string(),
    /** The accepted range (inclusive), as the workload's own --help states it. */
    min: z.number().int().optional(),
    max: z.number().int().optional(),
    default: SizeValues.optional(),
  })
  .refine((p) => p.min === undefined || p.max === undefined || p.min <= p.max, {
    message: "min is above max",
  });

export const WorkloadManifestSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  description: z.string(),
  sources: z.array(z.string().regex(/^[A-Za-z0-9_.-]+\.c$/)).min(1),
  multithreaded: z.boolean().default(true),
  params: z.array(WorkloadParamSchema).default([]),
});

export type WorkloadManifest = z.infer<typeof WorkloadManifestSchema>;

export interface Workload extends WorkloadManifest {
  /** Directory holding workload.json and the sources. */
  dir: string;
}

/** Workload roots: the package's workloads/ plus MALLOCBENCH_WORKLOAD_PATH and extra dirs. */
export function workloadRoots(extra: readonly string[] = [], env = process.env): string[] {
  const fromEnv = (env["MALLOCBENCH_WORKLOAD_PATH"] ?? "").split(":").filter(Boolean);
  return [workloadsDir(), ...fromEnv, ...extra].map((p) => path.resolve(p));
}

/** Load every workload manifest found directly under the given roots (first root wins on name clashes). */
export async function loadWorkloads(roots: readonly string[]): Promise<Workload[]> {
  const found = new Map<string, Workload>();
  for (const root of roots) {
    let entries: string[];
    try {
      entries = (await readdir(root, { withFileTypes: true }))
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort();
    } catch {
      throw new UsageError(`workload directory ${root} cannot be read`);
    }
    for (const entry of entries) {
      const dir = path.join(root, entry);
      const manifestPath = path.join(dir, "workload.json");
      let text: string;
      try {
        text = await readRegularFile(manifestPath, "utf8");
      } catch (error) {
        if (error instanceof NotRegularFileError) throw new UsageError(error.message);
        continue; // not a workload (e.g. common/)
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (error) {
        throw new UsageError(`${manifestPath}: invalid JSON (${(error as Error).message})`);
      }
      const parsed = WorkloadManifestSchema.safeParse(json);
      if (!parsed.success)
        throw new UsageError(describeIssue(manifestPath, parsed.error, WorkloadManifestSchema));
      if (parsed.data.name !== entry) {
        throw new UsageError(
          `${manifestPath}: name "${parsed.data.name}" must match its directory "${entry}"`,
        );
      }
      if (!found.has(parsed.data.name)) found.set(parsed.data.name, { ...parsed.data, dir });
    }
  }
  return [...found.values()];
}

/** Pick workloads by name; unknown names are a usage error listing the valid ones. */
export function selectWorkloads(
  all: readonly Workload[],
  names: readonly string[] | "all",
): Workload[] {
  if (names === "all") return [...all];
  const byName = new Map(all.map((w) => [w.name, w]));
  const unknown = names.filter((n) => !byName.has(n));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown workload ${unknown.map((n) => `"${n}"`).join(", ")} (valid: ${all.map((w) => w.name).join(", ")})`,
    );
  }
  return [...new Set(names)].map((n) => byName.get(n) as Workload);
}
