/**
 * Interposition is complete or the run fails: every allocation entry point a process uses must
 * resolve to the one object that was asked for (the preloaded library, or the libc for its own
 * malloc). A library that replaces malloc but not calloc would otherwise have part of every run
 * measured on the libc's allocator under the library's name.
 */
import { preloadPath } from "../allocators/preload.js";
import type { ResolvedAllocator } from "../allocators/types.js";
import { buildKey, identify, identityMatcher, type BuildSet } from "./prepare.js";

/**
 * The entry points the workload runtime calls on a workload's behalf (enum mb_entry in
 * workloads/common/mallocbench.h). A workload's `@identity` and `@result` lines report the object
 * behind each under `entryPoints`, and under `uses` the ones its code calls (recorded in the
 * binary by the wrappers it uses; malloc and free always).
 */
export const RUNTIME_ENTRY_POINTS = [
  "malloc",
  "free",
  "calloc",
  "realloc",
  "aligned_alloc",
  "posix_memalign",
] as const;

/**
 * Entry points checked in an external program where one of its loaded objects imports them.
 * reallocarray is left out: glibc's and musl's forward to realloc through the interposable
 * symbol, so it reaches the allocator whoever defines it.
 */
export const PROGRAM_ENTRY_POINTS = [
  ...RUNTIME_ENTRY_POINTS,
  "memalign",
  "malloc_usable_size",
  "valloc",
  "pvalloc",
] as const;

/** Entry point -> object file defining it as the process binds it (null: not found). */
export type EntryPoints = Record<string, string | null>;

/** A reported `entryPoints` value, or undefined when it is not a name -> path|null object. */
export function entryPointsOf(value: unknown): EntryPoints | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const out: EntryPoints = {};
  for (const [name, file] of Object.entries(value as Record<string, unknown>)) {
    if (file !== null && typeof file !== "string") return undefined;
    out[name] = file;
  }
  return out;
}

/**
 * The entry points a workload reports it uses (`uses` of its identity): malloc and free always,
 * plus every known name listed; undefined when the list is missing or names an unknown one.
 */
export function workloadUses(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const known: readonly string[] = RUNTIME_ENTRY_POINTS;
  if (!value.every((name) => typeof name === "string" && known.includes(name))) return undefined;
  const uses = new Set<string>(["malloc", "free", ...(value as string[])]);
  return RUNTIME_ENTRY_POINTS.filter((name) => uses.has(name));
}

/**
 * Why a workload's identity (`entryPoints` and `uses`, as reported) does not show every entry
 * point it uses resolving to the expected object, or undefined when it does.
 */
export function workloadInterpositionProblem(
  identity: { entryPoints?: unknown; uses?: unknown },
  matches: (file: string) => boolean,
  expected: string,
): string | undefined {
  const uses = workloadUses(identity.uses);
  if (!uses)
    return `allocator not verified: the workload's identity does not list the entry points it uses (expected them from ${expected})`;
  return interpositionProblem(identity.entryPoints, uses, matches, expected);
}

/**
 * Why the `required` entry points do not all resolve to the expected object (one line naming
 * each function and where it resolved), or undefined when they do. `matches` compares an object
 * file with the expected one; `expected` describes it.
 */
export function interpositionProblem(
  reported: unknown,
  required: readonly string[],
  matches: (file: string) => boolean,
  expected: string,
): string | undefined {
  const entryPoints = entryPointsOf(reported);
  if (!entryPoints)
    return `allocator not verified: the identity names no entry points (expected ${required.join(", ")} from ${expected})`;
  const where = (name: string): string => {
    const file = entryPoints[name];
    return file ? `${name} from ${file}` : `${name} unresolved`;
  };
  if (required.includes("malloc")) {
    const malloc = entryPoints["malloc"];
    if (!malloc || !matches(malloc))
      return `allocator not interposed: malloc came from ${malloc ?? "nowhere"}, expected ${expected}`;
  }
  const wrong = required.filter((name) => {
    const file = entryPoints[name];
    return !file || !matches(file);
  });
  if (wrong.length === 0) return undefined;
  return `partially interposed: ${wrong.map(where).join(", ")}; expected ${expected}`;
}

/** Key of a (workload, allocator) pair whose interposition the probe settles. */
export function probeKey(workload: string, allocator: string): string {
  return `${workload}\0${allocator}`;
}

/** A cell refused by the probe: its runs are recorded as failed with this, without being run. */
export interface Refusal {
  message: string;
  identity: string | null;
}

/**
 * Probe every (workload, allocator) pair with a build before anything is measured: run the
 * workload's `--identify` under the allocator's preload and settings and check every entry point.
 * Pairs that fail are returned as refusals; a probe that cannot run is a warning (the runs then
 * show what happens).
 */
export async function probeWorkloads(
  allocators: readonly ResolvedAllocator[],
  workloads: readonly string[],
  buildSet: BuildSet,
  concurrency = 4,
): Promise<{ refused: Map<string, Refusal>; warnings: string[] }> {
  const refused = new Map<string, Refusal>();
  const jobs: { allocator: ResolvedAllocator; workload: string; binary: string }[] = [];
  for (const allocator of allocators)
    for (const workload of workloads) {
      const build = buildSet.builds.get(buildKey(workload, allocator.libc));
      if (build?.status === "ok") jobs.push({ allocator, workload, binary: build.binary });
    }
  const problems = new Map<string, { allocator: string; message: string; workloads: string[] }>();
  const errors = new Map<string, string>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++] as (typeof jobs)[number];
      const { allocator, workload, binary } = job;
      const setEnv = {
        ...allocator.env,
        ...(allocator.lib ? { LD_PRELOAD: preloadPath(allocator.lib) } : {}),
      };
      const id = await identify(binary, setEnv);
      if ("error" in id) {
        if (!errors.has(allocator.name)) errors.set(allocator.name, id.error);
        continue;
      }
      const matcher = identityMatcher(allocator, buildSet.libcs.get(allocator.libc));
      const message = workloadInterpositionProblem(id, matcher.matches, matcher.expected);
      if (!message) continue;
      refused.set(probeKey(workload, allocator.name), { message, identity: id.malloc ?? null });
      const group = `${allocator.name}\0${message}`;
      const entry = problems.get(group) ?? { allocator: allocator.name, message, workloads: [] };
      entry.workloads.push(workload);
      problems.set(group, entry);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  const warnings = [
    ...[...errors].map(([name, error]) => `allocator ${name}: probe failed: ${error}`),
    ...[...problems.values()].map(
      (p) =>
        `allocator ${p.allocator}: ${p.message}; its runs of ${p.workloads.sort().join(", ")} are recorded as failed (not-interposed) without being run`,
    ),
  ];
  return { refused, warnings };
}
