import { loadWorkloads, selectWorkloads, workloadRoots } from "../workloads/registry.js";
import { parseList } from "../config.js";
import { buildAll, toolchainsByLibc } from "../run/prepare.js";

export interface BuildCommandOptions {
  workloads?: string;
  workloadDir?: string[];
  json?: boolean;
}

/** `bench build`: the launcher and every workload for every toolchain, into the content-hashed cache. */
export async function buildCommand(opts: BuildCommandOptions): Promise<number> {
  const toolchains = await toolchainsByLibc();
  const workloads = selectWorkloads(
    await loadWorkloads(workloadRoots(opts.workloadDir ?? [])),
    opts.workloads ? parseList(opts.workloads, "--workloads") : "all",
  );
  const set = await buildAll(
    toolchains,
    workloads,
    [...toolchains.keys()],
    opts.json ? undefined : (m) => process.stderr.write(`${m}\n`),
  );
  const builds = [...set.builds.values()];
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ launcher: set.launcher, libcs: [...set.libcs.values()], builds }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(`launcher: ${set.launcher}\n`);
    for (const facts of set.libcs.values()) {
      process.stdout.write(
        `${facts.libc} ${facts.version ?? "?"}: ${facts.compiler.join(" ")} (${facts.compilerVersion}), CFLAGS ${facts.cflags.join(" ")}; libc malloc: ${facts.systemMalloc ?? "unknown"}\n`,
      );
    }
    for (const b of builds) {
      process.stdout.write(
        b.status === "ok"
          ? `  ${b.libc.padEnd(6)} ${b.workload.padEnd(14)} ${b.binary}\n`
          : `  ${b.libc.padEnd(6)} ${b.workload.padEnd(14)} FAILED: ${b.reason}\n`,
      );
    }
  }
  return builds.some((b) => b.status === "failed") ? 1 : 0;
}
