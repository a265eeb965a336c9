import { detectToolchains } from "../platform/toolchain.js";
import { UsageError } from "../errors.js";
import { availableAllocators } from "../setup/allocators.js";
import { loadWorkloads, workloadRoots } from "../targets/workloads.js";
import { loadProbes } from "../hardening/probes.js";
import { listPrograms } from "../targets/programs.js";
import { parseAllocatorArg } from "../allocators/index.js";
import { identifySystemAllocator, type SystemAllocator } from "../platform/system-allocator.js";
import {
  combineVariants,
  formatSettings,
  parseVariantArgs,
  variantsFromConfig,
} from "../allocators/variants.js";
import { loadConfigFile } from "../config.js";
import { writeOut } from "../util/text.js";

export interface ListCommandOptions {
  json?: boolean;
  allocator?: string[];
  variant?: string[];
  config?: string;
  workloadDir?: string[];
}

const WHAT = ["workloads", "allocators", "toolchains"] as const;

/** `bench list [workloads|allocators|toolchains] [--json]` */
export async function listCommand(
  what: string | undefined,
  opts: ListCommandOptions,
): Promise<number> {
  const kinds = what ? [what] : [...WHAT];
  for (const kind of kinds) {
    if (!(WHAT as readonly string[]).includes(kind))
      throw new UsageError(`bench list: unknown kind "${kind}" (valid: ${WHAT.join(", ")})`);
  }
  const out: Record<string, unknown> = {};
  const toolchains = await detectToolchains();
  if (kinds.includes("toolchains")) {
    out["toolchains"] = toolchains.map(
      ({ libc, kind, cc, ccVersion, target, cflags, cflagsFromEnv }) => ({
        libc,
        kind,
        cc,
        ccVersion,
        target,
        cflags,
        cflagsFromEnv,
      }),
    );
  }
  if (kinds.includes("workloads")) {
    out["workloads"] = (await loadWorkloads(workloadRoots(opts.workloadDir ?? []))).map((w) => ({
      name: w.name,
      description: w.description,
      kind: "workload",
      multithreaded: w.multithreaded,
      params: w.params,
      dir: w.dir,
    }));
    // The probes of `bench hardening`: programs of their own kind, listed alongside.
    (out["workloads"] as unknown[]).push(
      ...(await loadProbes()).map((p) => ({
        name: p.name,
        description: p.description,
        kind: "hardening-probe",
        dir: p.workload.dir,
      })),
    );
    // External programs (docs/programs.md): run by -w <name> or --programs.
    (out["workloads"] as unknown[]).push(
      ...(await listPrograms(workloadRoots(opts.workloadDir ?? []))),
    );
  }
  if (kinds.includes("allocators")) {
    const user = (opts.allocator ?? []).map((a) => parseAllocatorArg(a));
    const { config } = await loadConfigFile(opts.config);
    const variants = combineVariants(
      variantsFromConfig(config.allocators ?? {}),
      parseVariantArgs(opts.variant ?? []),
    );
    // What each libc's own malloc really is (platform/system-allocator.ts).
    const system = new Map<string, SystemAllocator>();
    for (const t of toolchains)
      if (!system.has(t.libc)) system.set(t.libc, await identifySystemAllocator(t.libc, t.cc));
    out["allocators"] = (
      await availableAllocators(
        user,
        toolchains.map((t) => t.libc),
        variants,
      )
    ).map((a) => ({
      name: a.name,
      family: a.family,
      libc: a.libc,
      lib: a.lib ?? null,
      version: a.version ?? null,
      source: a.source,
      env: a.env,
      ...(a.lib === undefined ? { system: system.get(a.libc) ?? null } : {}),
      ...(a.builtFrom ? { builtFrom: a.builtFrom } : {}),
      ...(a.variant ? { variant: a.variant } : {}),
    }));
  }
  if (opts.json) {
    writeOut(`${JSON.stringify(what ? out[what] : out, null, 2)}\n`);
    return 0;
  }
  const lines: string[] = [];
  if (out["toolchains"]) {
    lines.push("toolchains:");
    for (const t of toolchains)
      lines.push(
        `  ${t.libc.padEnd(6)} ${t.kind.padEnd(9)} ${t.cc.join(" ")}  ${t.ccVersion}  (${t.target})`,
      );
  }
  if (out["workloads"]) {
    lines.push("workloads:");
    for (const w of out["workloads"] as {
      name: string;
      description: string;
      kind: string;
      status?: string;
    }[])
      lines.push(
        `  ${w.name.padEnd(14)} ${w.description}${w.kind === "hardening-probe" ? " (hardening probe: bench hardening)" : ""}${w.kind === "program" ? ` (program: ${w.status ?? ""})` : ""}`,
      );
  }
  if (out["allocators"]) {
    lines.push("allocators:");
    const listed = out["allocators"] as {
      name: string;
      libc: string;
      lib: string | null;
      version: string | null;
      system?: SystemAllocator | null;
      builtFrom?: string;
      variant?: { base: string; env: Record<string, string> };
    }[];
    const width = Math.max(12, ...listed.map((a) => a.name.length));
    for (const a of listed) {
      const what = a.lib ?? `(the libc's own malloc${a.system ? `: ${a.system.description}` : ""})`;
      const extra = [
        ...(a.builtFrom ? [`built by the harness from ${a.builtFrom}`] : []),
        ...(a.variant ? [`variant of ${a.variant.base}: ${formatSettings(a.variant.env)}`] : []),
      ];
      lines.push(
        `  ${a.name.padEnd(width)} ${a.libc.padEnd(6)} ${what}${a.version ? `  [${a.version}]` : ""}${extra.length > 0 ? `  (${extra.join("; ")})` : ""}`,
      );
    }
  }
  writeOut(`${lines.join("\n")}\n`);
  return 0;
}
