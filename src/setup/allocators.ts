import {
  discoverAllocators,
  finalizeAllocator,
  isUnusable,
  resolveAllocators,
  type AllocatorSpec,
  type Libc,
  type ResolvedAllocator,
} from "../allocators/index.js";
import { hostMachine } from "../platform/elf.js";
import {
  ensureScudoMusl,
  SCUDO_MUSL_FAMILY,
  scudoMuslAllocators,
  selfCheckScudoMusl,
} from "./scudo-musl.js";
import { applyVariants, type VariantDef } from "../allocators/variants.js";
import { detectToolchains, type Toolchain } from "../platform/toolchain.js";
import { UsageError } from "../errors.js";

const INSTALL_HINT: Record<Libc, string> = {
  glibc: "a glibc-targeting C compiler (gcc)",
  musl: "musl-gcc (Debian/Ubuntu: musl-tools; run `bench setup`)",
};

async function muslToolchain(libcs: readonly Libc[]): Promise<Toolchain | undefined> {
  if (!libcs.includes("musl")) return undefined;
  return (await detectToolchains()).find((t) => t.libc === "musl");
}

/**
 * Every allocator this machine can run: the libcs' own, the discovered libraries, the
 * scudo-musl builds the installed compiler-rt archives allow, the user's, and the variants.
 */
export async function availableAllocators(
  userAllocators: readonly AllocatorSpec[],
  libcs: readonly Libc[],
  variants: readonly VariantDef[] = [],
): Promise<AllocatorSpec[]> {
  const machine = hostMachine();
  const discovered = [
    ...(await discoverAllocators({ machine, libcs: [...libcs] })),
    ...(await scudoMuslAllocators(machine, await muslToolchain(libcs))),
  ];
  for (const user of userAllocators) {
    const clash = discovered.find((a) => a.name === user.name);
    if (clash && clash.lib !== user.lib) {
      throw new UsageError(
        `--allocator ${user.name}=${user.lib ?? ""}: the name ${user.name} is taken by a built-in allocator; pick another name`,
      );
    }
  }
  const plain = [
    ...discovered.filter((a) => !userAllocators.some((u) => u.name === a.name)),
    ...userAllocators,
  ];
  return [...plain, ...applyVariants(variants, plain)];
}

/** Build (or find in the cache) a scudo-musl library, validate it and run its self-check. */
async function prepareScudoMusl(
  spec: AllocatorSpec,
  libcs: readonly Libc[],
): Promise<string | undefined> {
  const musl = await muslToolchain(libcs);
  if (!musl) return `no musl toolchain to build it with: install ${INSTALL_HINT.musl}`;
  const built = await ensureScudoMusl(spec, musl, hostMachine());
  if (built.status === "failed") return built.reason;
  return selfCheckScudoMusl(built.lib, musl);
}

/**
 * Turn the requested names into validated allocators. Explicitly requested allocators that cannot
 * run are a usage error (exit 2); with "all", the ones that cannot run are skipped with a warning.
 */
export async function resolveForRun(input: {
  requested: readonly string[] | "all";
  userAllocators: readonly AllocatorSpec[];
  libcs: readonly Libc[];
  variants?: readonly VariantDef[];
}): Promise<{ allocators: ResolvedAllocator[]; warnings: string[] }> {
  const machine = hostMachine();
  const available = await availableAllocators(
    input.userAllocators,
    input.libcs,
    input.variants ?? [],
  );
  const warnings: string[] = [];
  const all = input.requested === "all";
  // With "all", one entry per family: plain `scudo` is the newest; `scudo@16` style names only on request.
  const specs = all
    ? resolveAllocators(
        "all",
        available.filter((a) => a.source !== "discovered" || !a.name.includes("@")),
      )
    : resolveAllocators(input.requested, available);
  const out: ResolvedAllocator[] = [];
  for (const spec of specs) {
    if (!input.libcs.includes(spec.libc)) {
      const why = `allocator ${spec.name} runs with ${spec.libc}, and this machine has no ${spec.libc} toolchain: install ${INSTALL_HINT[spec.libc]}`;
      if (all && spec.source === "discovered") {
        warnings.push(why);
        continue;
      }
      throw new UsageError(why);
    }
    if (spec.family === SCUDO_MUSL_FAMILY && spec.builtFrom) {
      const problem = await prepareScudoMusl(spec, input.libcs);
      if (problem !== undefined) {
        const why = `allocator ${spec.name}: ${problem}`;
        if (all && spec.source === "discovered") {
          warnings.push(`${why} (skipped)`);
          continue;
        }
        throw new UsageError(why);
      }
    }
    const resolved = await finalizeAllocator(spec, machine);
    if (isUnusable(resolved)) {
      const why = `allocator ${spec.name}: ${resolved.reason}`;
      if (all && spec.source === "discovered") {
        warnings.push(`${why} (skipped)`);
        continue;
      }
      throw new UsageError(why);
    }
    out.push(resolved);
  }
  if (out.length === 0)
    throw new UsageError(
      "no allocator to run: `bench list allocators` shows what this machine has",
    );
  return { allocators: out, warnings };
}
