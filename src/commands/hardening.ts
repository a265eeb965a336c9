import path from "node:path";
import { parseAllocatorArg } from "../allocators/index.js";
import { parseDuration, parseList } from "../config.js";
import { UsageError } from "../errors.js";
import { cellLabel, formatMatrix } from "../hardening/matrix.js";
import {
  DEFAULT_PROBE_TIMEOUT_MS,
  DEFAULT_PROBE_TRIALS,
  resolveHardeningAllocators,
  runHardening,
} from "../hardening/runner.js";
import type { HardeningReport } from "../results/hardening-schema.js";
import { writeJsonAtomic } from "../results/io.js";
import { checkCacheDir, checkOutputFile } from "../results/output-path.js";
import { writeOut, writeErr } from "../util/text.js";

export interface HardeningCommandOptions {
  allocators?: string;
  allocator?: string[];
  output?: string;
  json?: boolean;
  timeout?: string;
  trials?: string;
  quiet?: boolean;
}

/** `--trials`: runs of each probe per allocator, 1 to 100. */
export function parseTrials(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PROBE_TRIALS;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 1 || n > 100)
    throw new UsageError(`--trials must be a whole number from 1 to 100, got "${value}"`);
  return n;
}

export function parseProbeTimeout(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PROBE_TIMEOUT_MS;
  const ms = parseDuration(value, "--timeout");
  if (ms < 1) throw new UsageError(`--timeout must be above 0, got "${value}"`);
  return ms;
}

/** `bench hardening`: the misuse probes under each allocator; prints the matrix, optionally writes it. */
export async function hardeningCommand(opts: HardeningCommandOptions): Promise<number> {
  const timeoutMs = parseProbeTimeout(opts.timeout);
  const trials = parseTrials(opts.trials);
  if (opts.output)
    checkOutputFile(opts.output, {
      flag: "-o",
      overwrite: "measurements",
      forceHint: "it is not a hardening matrix: choose another path",
    });
  checkCacheDir();
  const userAllocators = (opts.allocator ?? []).map((a) => parseAllocatorArg(a));
  let allocators: string[] | "all" = "all";
  if (opts.allocators) {
    allocators = parseList(opts.allocators, "--allocators");
    for (const u of userAllocators) if (!allocators.includes(u.name)) allocators.push(u.name);
  }
  const resolved = await resolveHardeningAllocators(allocators, userAllocators);
  for (const w of resolved.warnings) if (!opts.quiet) writeErr(`warning: ${w}\n`);
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let report: HardeningReport;
  let interrupted: boolean;
  try {
    ({ report, interrupted } = await runHardening({
      allocators: resolved.allocators,
      warnings: resolved.warnings,
      timeoutMs,
      trials,
      signal: controller.signal,
      onMessage: (m) => {
        if (!opts.quiet) writeErr(`${m}\n`);
      },
      onCell: (c) => {
        if (!opts.quiet) writeErr(`  ${c.allocator} / ${c.probe}: ${cellLabel(c)}\n`);
      },
    }));
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  if (opts.output) await writeJsonAtomic(path.resolve(opts.output), report);
  writeOut(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatMatrix(report)}\n`);
  if (opts.output && !opts.json) writeOut(`\nwritten: ${opts.output}\n`);
  if (interrupted) {
    writeErr("interrupted: the matrix above is incomplete\n");
    return 130;
  }
  return 0;
}
