import { z } from "zod";

/** What one probe did under one allocator. */
export const ProbeOutcomeSchema = z.enum(["detected", "not-detected", "error", "timeout"]);

/**
 * How a detected misuse ended: "diagnostic", the allocator stopped the program on purpose (it
 * said so on stderr, aborted, or exited non-zero); "incidental", a signal such as SIGSEGV with
 * nothing said, which may be a crash on the corrupted heap rather than a check.
 */
export const DetectionSchema = z.enum(["diagnostic", "incidental"]);

/** One run of a probe (cells repeat each probe, `trials` times). */
export const ProbeTrialSchema = z.object({
  outcome: ProbeOutcomeSchema,
  /** With outcome "detected". */
  detection: DetectionSchema.optional(),
  reason: z.string(),
  signal: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  stderr: z.string(),
});

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
  /**
   * With outcome "detected": diagnostic or incidental. Absent in files written before probes
   * were repeated (derived from signal and stderr then, see classOf).
   */
  detection: DetectionSchema.optional(),
  /** Every trial in order; outcome, reason, signal, exit code and stderr above are the most frequent class's first trial. */
  trials: z.array(ProbeTrialSchema).optional(),
  /** The trials ended in more than one class (see classOf). */
  flaky: z.boolean().optional(),
});

export const HardeningReportSchema = z.object({
  createdAt: z.string(),
  timeoutMs: z.number().int().positive(),
  /** Runs of each probe per allocator (absent: 1, files written before probes were repeated). */
  trials: z.number().int().positive().optional(),
  probes: z.array(z.object({ name: z.string(), description: z.string() })),
  allocators: z.array(
    z.object({ name: z.string(), libc: z.enum(["glibc", "musl"]), lib: z.string().nullable() }),
  ),
  cells: z.array(HardeningCellSchema),
  warnings: z.array(z.string()),
});

export type ProbeOutcome = z.infer<typeof ProbeOutcomeSchema>;
export type Detection = z.infer<typeof DetectionSchema>;
export type ProbeTrial = z.infer<typeof ProbeTrialSchema>;
export type HardeningCell = z.infer<typeof HardeningCellSchema>;
export type HardeningReport = z.infer<typeof HardeningReportSchema>;
