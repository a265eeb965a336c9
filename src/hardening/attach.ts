import { EnvironmentError } from "../errors.js";
import { writeJsonAtomic } from "../results/io.js";
import type { AllocatorRecord, ResultsFile } from "../results/schema.js";
import { runHardening, type HardeningAllocator } from "./runner.js";
import type { HardeningReport } from "../results/hardening-schema.js";

/** The allocators a results file ran (validated by that run), as the probes need them. */
export function hardeningAllocatorsOf(records: readonly AllocatorRecord[]): HardeningAllocator[] {
  return records.map((a) => ({
    name: a.name,
    family: a.family,
    libc: a.libc,
    env: { ...a.env },
    source: a.source,
    ...(a.lib ? { lib: a.lib } : {}),
    ...(a.realLib ? { realLib: a.realLib } : {}),
  }));
}

/**
 * `bench run --hardening`: run the probe matrix for the allocators of a finished results file and
 * store it there under `hardening`. Returns the report, or undefined when interrupted (the file
 * is then left as it was).
 */
export async function attachHardening(
  file: string,
  results: ResultsFile,
  options: { onMessage?: (message: string) => void; signal?: AbortSignal } = {},
): Promise<HardeningReport | undefined> {
  const { report, interrupted } = await runHardening({
    allocators: hardeningAllocatorsOf(results.allocators),
    ...(options.onMessage ? { onMessage: options.onMessage } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (interrupted) return undefined;
  try {
    await writeJsonAtomic(file, { ...results, hardening: report });
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new EnvironmentError(
      `cannot store the hardening matrix in ${file} (${why}); its measured runs are there unchanged: fix the cause and run bench hardening -o <file> for the matrix alone`,
    );
  }
  return report;
}
