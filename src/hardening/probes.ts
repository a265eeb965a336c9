import path from "node:path";
import { z } from "zod";
import { UsageError } from "../errors.js";
import { readRegularFile } from "../util/files.js";
import { workloadsDir } from "../paths.js";
import type { Workload } from "../targets/workloads.js";
import { describeIssue } from "../util/schema-errors.js";

const NAME = /^[a-z0-9][a-z0-9-]*$/;

export const ProbesManifestSchema = z.strictObject({
  /** Sources compiled into every probe (besides the workload runtime). */
  common: z.array(z.string().regex(/^[A-Za-z0-9_.-]+\.c$/)),
  probes: z
    .array(z.strictObject({ name: z.string().regex(NAME), description: z.string().min(1) }))
    .min(1),
});

export interface Probe {
  name: string;
  description: string;
  /** The probe as a workload, for the content-hashed build (its sources: common + <name>.c). */
  workload: Workload;
}

/** The package's probes: workloads/hardening (no workload.json there, so the registry skips it). */
export function probesDir(): string {
  return path.join(workloadsDir(), "hardening");
}

/** Read `<dir>/probes.json`; each probe is built from the common sources and `<name>.c`. */
export async function loadProbes(dir: string = probesDir()): Promise<Probe[]> {
  const file = path.join(dir, "probes.json");
  let json: unknown;
  try {
    json = JSON.parse(await readRegularFile(file, "utf8"));
  } catch (error) {
    throw new UsageError(`${file}: cannot be read as JSON (${(error as Error).message})`);
  }
  const parsed = ProbesManifestSchema.safeParse(json);
  if (!parsed.success)
    throw new UsageError(describeIssue(file, parsed.error, ProbesManifestSchema));
  const seen = new Set<string>();
  return parsed.data.probes.map((p) => {
    if (seen.has(p.name)) throw new UsageError(`${file}: probe "${p.name}" is listed twice`);
    seen.add(p.name);
    return {
      name: p.name,
      description: p.description,
      workload: {
        name: p.name,
        description: p.description,
        sources: [...parsed.data.common, `${p.name}.c`],
        multithreaded: false,
        params: [],
        dir,
      },
    };
  });
}
