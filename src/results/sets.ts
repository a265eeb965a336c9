import { z } from "zod";
import { UsageError } from "../errors.js";
import { checkStringLimits } from "./limits.js";
import { parseJsonText, parseResults, readResultsText } from "./io.js";
import { SCHEMA_VERSION, type ResultsFile } from "./schema.js";

/**
 * `bench merge` output: result sets from several invocations, machines or architectures, kept
 * apart (never pooled): every comparison happens inside one set or between sets of one testbed.
 */
export const MergedFileSchema = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  kind: z.literal("merged"),
  tool: z.object({ name: z.literal("mallocbench"), version: z.string() }),
  createdAt: z.string(),
  sources: z.array(z.string()),
  sets: z.array(z.unknown()).min(1),
});

export interface MergedFile {
  schemaVersion: typeof SCHEMA_VERSION;
  kind: "merged";
  tool: { name: "mallocbench"; version: string };
  createdAt: string;
  sources: string[];
  sets: ResultsFile[];
}

/** Load a results file or a merged file as a list of result sets. */
export async function loadResultSets(file: string): Promise<ResultsFile[]> {
  return resultSetsOf(parseJsonText(await readResultsText(file), file), file);
}

/** Validate parsed JSON as a results file or a merged file: its result sets. */
function resultSetsOf(json: unknown, file: string): ResultsFile[] {
  if (typeof json === "object" && json !== null && (json as { kind?: unknown }).kind === "merged") {
    checkStringLimits(json, file);
    const parsed = MergedFileSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new UsageError(
        `${file}: not a mallocbench merged file: field ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`,
      );
    }
    return parsed.data.sets.map((set, i) => parseResults(set, `${file} (set ${i})`));
  }
  return [parseResults(json, file)];
}

/** Exactly one result set, or a usage error naming the file. */
export async function loadSingleSet(file: string): Promise<ResultsFile> {
  const sets = await loadResultSets(file);
  if (sets.length !== 1)
    throw new UsageError(`${file}: holds ${sets.length} result sets; give one results file`);
  return sets[0] as ResultsFile;
}
