import { NotRegularFileError, readRegularFile } from "./util/files.js";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { UsageError } from "./errors.js";
import { describeIssue } from "./util/schema-errors.js";

// The flag parsers are zod-free so that the CLI parses flag values without loading zod.
export * from "./util/flag-values.js";
import { LIMITS } from "./util/flag-values.js";

export type Size = "quick" | "default" | "full";

export interface Preset {
  size: Size;
  runs: number;
  warmup: number;
  timeoutMs: number;
}

/** All defaults in one place. */
export const PRESETS: Record<Size, Preset> = {
  quick: { size: "quick", runs: 3, warmup: 1, timeoutMs: 60_000 },
  default: { size: "default", runs: 5, warmup: 1, timeoutMs: 120_000 },
  full: { size: "full", runs: 10, warmup: 2, timeoutMs: 600_000 },
};

export const DEFAULT_RSS_INTERVAL_MS = 10;

/** 1 and the number of CPUs runs may use (all, or those of --cpus): the fast path and the full width. */
export function defaultThreads(cpus: string | null = null): number[] {
  return [...new Set([1, cpus ? cpuCount(cpus) : os.availableParallelism()])];
}

/** How many CPUs a list like "0,2-3" names. */
export function cpuCount(list: string): number {
  let n = 0;
  for (const part of list.split(",")) {
    const [a, b] = part.split("-").map(Number) as [number, number | undefined];
    n += (b ?? a) - a + 1;
  }
  return n;
}

/** bench.config.json: user allocators and defaults for run options. */
export const ConfigFileSchema = z
  .object({
    allocators: z
      .record(
        z.string(),
        z.union([
          z.string(),
          z.strictObject({ lib: z.string(), env: z.record(z.string(), z.string()).optional() }),
          // A variant (docs/variants.md): another allocator with settings in its environment.
          z.strictObject({ base: z.string(), env: z.record(z.string(), z.string()).optional() }),
        ]),
      )
      .optional(),
    workloads: z.array(z.string()).optional(),
    threads: z.array(z.number().int().positive().max(4096)).max(4096).optional(),
    preset: z.enum(["quick", "default", "full"]).optional(),
    runs: z.number().int().positive().max(LIMITS.runsPerCell).optional(),
    warmup: z.number().int().nonnegative().max(LIMITS.warmup).optional(),
    timeout: z.string().optional(),
    cpus: z.string().optional(),
    workloadDirs: z.array(z.string()).optional(),
  })
  .strict();

export type ConfigFile = z.infer<typeof ConfigFileSchema>;

/** Read the config file given with --config, or ./bench.config.json when present. */
export async function loadConfigFile(
  explicit: string | undefined,
  cwd = process.cwd(),
): Promise<{ file?: string; config: ConfigFile }> {
  const file = explicit ? path.resolve(cwd, explicit) : path.join(cwd, "bench.config.json");
  let text: string;
  try {
    text = await readRegularFile(file, "utf8");
  } catch (error) {
    if (error instanceof NotRegularFileError)
      throw new UsageError(`${explicit ? "--config" : "config file"}: ${error.message}`);
    if (explicit) throw new UsageError(`--config: cannot read ${file}`);
    return { config: {} };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = ConfigFileSchema.safeParse(json);
  if (!parsed.success) throw new UsageError(describeIssue(file, parsed.error, ConfigFileSchema));
  // Relative paths in the file are relative to the file.
  const dir = path.dirname(file);
  const config = parsed.data;
  if (config.allocators) {
    for (const [name, value] of Object.entries(config.allocators)) {
      config.allocators[name] =
        typeof value === "string"
          ? path.resolve(dir, value)
          : "lib" in value
            ? { ...value, lib: path.resolve(dir, value.lib) }
            : value;
    }
  }
  if (config.workloadDirs)
    config.workloadDirs = config.workloadDirs.map((d) => path.resolve(dir, d));
  return { file, config };
}
