import { z } from "zod";

/** What one probe did under one allocator. */
export const ProbeOutcomeSchema = z.enum(["detected", "not-detected", "error", "timeout"]);

export const HardeningCellSchema = z.object({
  allocator: z.string(),
  probe: z.string(),
  outcome: ProbeOutcomeSchema,
  /** How it ended or why it is an error, e.g. "killed by SIGABRT after the misuse". */
  reason: z.string(),
  /** Terminating signal name, when the probe was killed. */
  signal: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  /** First non-empty stderr line (what the allocator said), trimmed; "" when silent. */
  stderr: z.string(),
  /** The object file the probe reported as defining malloc; null when it never said. */
  identity: z.string().nullable(),
});

export const HardeningReportSchema = z.object({
  createdAt: z.string(),
  timeoutMs: z.number().int().positive(),
  probes: z.array(z.object({ name: z.string(), description: z.string() })),
  allocators: z.array(
    z.object({ name: z.string(), libc: z.enum(["glibc", "musl"]), lib: z.string().nullable() }),
  ),
  cells: z.array(HardeningCellSchema),
  warnings: z.array(z.string()),
});

export type ProbeOutcome = z.infer<typeof ProbeOutcomeSchema>;
export type HardeningCell = z.infer<typeof HardeningCellSchema>;
export type HardeningReport = z.infer<typeof HardeningReportSchema>;
