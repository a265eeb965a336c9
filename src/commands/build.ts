import { loadWorkloads, selectWorkloads, workloadRoots } from "../targets/workloads.js";
import { parseWorkloadList } from "../config.js";
import { UsageError } from "../errors.js";
import { checkCacheDir } from "../results/output-path.js";
import { buildAll, toolchainsByLibc } from "../setup/prepare.js";
import { splitWorkloads } from "../run/program-runs.js";
import { hostMachine } from "../platform/elf.js";
import { ensureScudoMusl, scudoMuslAllocators, selfCheckScudoMusl } from "../setup/scudo-musl.js";
import { writeOut, writeErr } from "../util/text.js";

export interface ScudoMuslBuildReport {
  name: string;
  archive: string;
  lib: string;
  status: "ok" | "failed";
  cached?: boolean;
  reason?: string;
}

/** Build and self-check every scudo-musl the installed compiler-rt archives allow (one per LLVM major). */
async function buildScudoMusl(
  toolchains: Awaited<ReturnType<typeof toolchainsByLibc>>,
): Promise<ScudoMuslBuildReport[]> {
  const musl = toolchains.get("musl");
  const out: ScudoMuslBuildReport[] = [];
  for (const spec of await scudoMuslAllocators(hostMachine(), musl)) {
    if (!musl || !spec.name.includes("@") || !spec.lib || !spec.builtFrom) continue;
    const base = { name: spec.name, archive: spec.builtFrom, lib: spec.lib };
    const built = await ensureScudoMusl(spec, musl, hostMachine());
    if (built.status === "failed") {
      out.push({ ...base, status: "failed", reason: built.reason });
      continue;
    }
    const problem = await selfCheckScudoMusl(built.lib, musl);
    out.push(
      problem === undefined
        ? { ...base, status: "ok", cached: built.cached }
        : { ...base, status: "failed", reason: problem },
    );
  }
  return out;
}

export interface BuildCommandOptions {
  workloads?: string;
  workloadDir?: string[];
  json?: boolean;
  /** A C compiler to build with instead of $CC/cc; may target another machine (cross build). */
  cc?: string;
}

/** `bench build`: the launcher and every workload for every toolchain, into the content-hashed cache. */
export async function buildCommand(opts: BuildCommandOptions): Promise<number> {
  if (opts.cc !== undefined && opts.cc.trim() === "")
    throw new UsageError("--cc needs a compiler, e.g. --cc aarch64-linux-gnu-gcc");
  const env = opts.cc === undefined ? process.env : { ...process.env, CC: opts.cc };
  checkCacheDir();
  const unusable = (): UsageError =>
    new UsageError(
      `--cc: cannot use "${opts.cc ?? ""}" (not found on PATH, or \`${opts.cc ?? ""} -dumpmachine\` failed)`,
    );
  const toolchains = await toolchainsByLibc(env, { allowCross: true }).catch((error: unknown) => {
    // An explicit --cc that cannot run is the user's to fix.
    throw opts.cc === undefined ? error : unusable();
  });
  // Without a usable --cc only musl-gcc would be left: building with it instead would mislead.
  if (opts.cc !== undefined && ![...toolchains.values()].some((t) => t.kind === "host"))
    throw unusable();
  const roots = workloadRoots(opts.workloadDir ?? []);
  const available = await loadWorkloads(roots);
  // Programs (workloads/external) are installed, not built: name them, build the rest.
  const split = await splitWorkloads(
    roots,
    available.map((w) => w.name),
    opts.workloads ? parseWorkloadList(opts.workloads) : "all",
    false,
  );
  for (const program of split.programs)
    writeErr(
      `${program.name}: a program (workloads/external/${program.name}), nothing to build; bench run -w ${program.name} runs it\n`,
    );
  const workloads =
    split.synthetic !== "all" && split.synthetic.length === 0
      ? []
      : selectWorkloads(available, split.synthetic);
  const set = await buildAll(
    toolchains,
    workloads,
    [...toolchains.keys()],
    opts.json ? undefined : (m) => writeErr(`${m}\n`),
  );
  const builds = [...set.builds.values()];
  const scudoMusl = await buildScudoMusl(toolchains);
  if (opts.json) {
    writeOut(
      `${JSON.stringify({ launcher: set.launcher, libcs: [...set.libcs.values()], builds, scudoMusl }, null, 2)}\n`,
    );
  } else {
    writeOut(`launcher: ${set.launcher}\n`);
    for (const facts of set.libcs.values()) {
      writeOut(
        `${facts.libc} ${facts.version ?? "?"} for ${facts.machine ?? facts.target}: ${facts.compiler.join(" ")} (${facts.compilerVersion}), CFLAGS ${facts.cflags.join(" ")}; libc malloc: ${facts.systemMalloc ?? "unknown"}\n`,
      );
    }
    for (const b of builds) {
      writeOut(
        b.status === "ok"
          ? `  ${b.libc.padEnd(6)} ${b.workload.padEnd(14)} ${b.binary}\n`
          : `  ${b.libc.padEnd(6)} ${b.workload.padEnd(14)} FAILED: ${b.reason}\n`,
      );
    }
    for (const s of scudoMusl) {
      writeOut(
        s.status === "ok"
          ? `  ${s.name.padEnd(21)} ${s.lib} (${s.cached ? "cached" : "built"} from ${s.archive}; self-check passed)\n`
          : `  ${s.name.padEnd(21)} FAILED: ${s.reason ?? ""}\n`,
      );
    }
  }
  return builds.some((b) => b.status === "failed") || scudoMusl.some((s) => s.status === "failed")
    ? 1
    : 0;
}
