import { readFile } from "node:fs/promises";
import os from "node:os";
import type { AllocatorSpec, Libc } from "../allocators/types.js";
import { detectToolchains, type Toolchain } from "../platform/toolchain.js";
import { captureEnvironment, noiseWarnings } from "../platform/environment.js";
import { availableAllocators } from "../setup/allocators.js";
import {
  detectDistro,
  installCommands,
  PACKAGES,
  quoteCommand,
  refineAptPackages,
  type Distro,
} from "./distro.js";

/** scudo-musl is built by the harness from compiler-rt's static archive (the scudo package) with musl-gcc. */
export const FAMILIES = ["jemalloc", "tcmalloc", "mimalloc", "scudo", "scudo-musl"] as const;

export interface DoctorReport {
  distro: Distro;
  toolchains: Pick<Toolchain, "libc" | "kind" | "cc" | "ccVersion" | "target">[];
  allocators: { name: string; libc: Libc; lib: string | null }[];
  /** Pieces not found here: compiler, musl, and allocator families. */
  missing: string[];
  packages: string[];
  installCommands: string[][];
  perf: { paranoid: number | null; note: string };
  warnings: string[];
}

/** What is installed, what is missing, and the exact commands that install the rest. */
export async function runDoctor(options: { refine?: boolean } = {}): Promise<DoctorReport> {
  const distro = await detectDistro();
  const toolchains = await detectToolchains();
  const libcs = toolchains.map((t) => t.libc);
  let allocators: AllocatorSpec[] = [];
  try {
    allocators = await availableAllocators([], libcs);
  } catch {
    allocators = [];
  }
  const missing: string[] = [];
  if (toolchains.length === 0) missing.push("compiler");
  const host = toolchains.find((t) => t.kind === "host");
  if (!libcs.includes("musl") && (!host || host.libc === "glibc")) missing.push("musl");
  for (const family of FAMILIES)
    if (!allocators.some((a) => a.family === family)) missing.push(family);

  let packages: string[] = [];
  let commands: string[][] = [];
  if (distro.manager && missing.length > 0) {
    const table = { ...PACKAGES[distro.manager] };
    if (distro.manager === "apt" && options.refine !== false)
      Object.assign(table, await refineAptPackages());
    packages = [...new Set(missing.flatMap((piece) => table[piece] ?? []))];
    if (packages.length > 0)
      commands = installCommands(distro.manager, packages, process.getuid?.() === 0);
  }
  const paranoidText = await readFile("/proc/sys/kernel/perf_event_paranoid", "utf8").catch(
    () => null,
  );
  const paranoid = paranoidText === null ? null : Number.parseInt(paranoidText, 10);
  const env = await captureEnvironment([], "");
  return {
    distro,
    toolchains: toolchains.map(({ libc, kind, cc, ccVersion, target }) => ({
      libc,
      kind,
      cc,
      ccVersion,
      target,
    })),
    allocators: allocators.map((a) => ({ name: a.name, libc: a.libc, lib: a.lib ?? null })),
    missing,
    packages,
    installCommands: commands,
    perf: {
      paranoid,
      note:
        paranoid === null
          ? "perf_event_open is not available (no /proc/sys/kernel/perf_event_paranoid)"
          : paranoid > 2 && process.getuid?.() !== 0
            ? `perf_event_paranoid is ${paranoid}: counters are refused to non-root users; runs record them as unavailable`
            : `perf_event_paranoid is ${paranoid}: software counters should work; hardware counters depend on the CPU/VM`,
    },
    warnings: noiseWarnings(env).concat(
      os.availableParallelism() < 2
        ? ["only one CPU: multithreaded workloads cannot run in parallel"]
        : [],
    ),
  };
}

export function formatDoctor(report: DoctorReport): string {
  const lines: string[] = [
    `distribution: ${report.distro.name} (package manager: ${report.distro.manager ?? "unknown"})`,
    "",
    "toolchains:",
  ];
  if (report.toolchains.length === 0) lines.push("  none: no C compiler found");
  for (const t of report.toolchains)
    lines.push(
      `  ${t.libc.padEnd(6)} ${t.kind.padEnd(9)} ${t.cc.join(" ")}  (${t.ccVersion}; ${t.target})`,
    );
  lines.push("", "allocators:");
  for (const a of report.allocators)
    lines.push(`  ${a.name.padEnd(12)} ${a.libc.padEnd(6)} ${a.lib ?? "(the libc's own malloc)"}`);
  lines.push("", `perf counters: ${report.perf.note}`);
  if (report.missing.length === 0) {
    lines.push("", "nothing missing.");
  } else {
    lines.push("", `missing: ${report.missing.join(", ")}`);
    if (report.installCommands.length > 0) {
      lines.push("install with (or run `bench setup`):");
      for (const c of report.installCommands) lines.push(`  ${quoteCommand(c)}`);
    } else {
      lines.push(
        "no install command known for this distribution: install the missing pieces by hand, or add libraries with --allocator name=/path/lib.so",
      );
    }
  }
  if (report.warnings.length > 0) {
    lines.push("", "noise warnings:");
    for (const w of report.warnings) lines.push(`  - ${w}`);
  }
  return lines.join("\n");
}
