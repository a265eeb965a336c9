/**
 * Deterministic measurement: a run under `valgrind --tool=callgrind`, and what its output file
 * says about where the instructions went (docs/metrics.md, "Deterministic mode").
 *
 * Callgrind does not replace malloc (only memcheck-like tools do), so an LD_PRELOADed allocator
 * stays in place and the workload's identity line still names it. Valgrind runs one thread at a
 * time: contention between threads vanishes, so multithreaded counts measure single-thread work.
 */
import { realpathSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runHelper } from "../util/exec.js";
import { UsageError } from "../errors.js";
import { launch, type LaunchOutcome, type LaunchRequest } from "./launcher.js";

/** Self cost (first event, Ir) per object file and function of one callgrind output file. */
export interface CallgrindProfile {
  /** The event names of the file (`events:` line); counts below are of the first one. */
  events: string[];
  /** The file's own total (`totals:` or `summary:`), null when it has none. */
  totals: number | null;
  /** Sum of every self cost line: equals `totals` for a well-formed file. */
  selfTotal: number;
  /** object file -> function -> self cost. */
  byFunction: Map<string, Map<string, number>>;
}

/** Self cost of every function of one object. */
export function objectTotal(profile: CallgrindProfile, object: string): number {
  let sum = 0;
  for (const cost of profile.byFunction.get(object)?.values() ?? []) sum += cost;
  return sum;
}

type Namespace = "ob" | "fn" | "fl";
const NAMESPACE: Record<string, Namespace> = {
  ob: "ob",
  cob: "ob",
  fn: "fn",
  cfn: "fn",
  fl: "fl",
  fi: "fl",
  fe: "fl",
  cfi: "fl",
  cfl: "fl",
};

/**
 * Parse a callgrind output file (format: valgrind's docs/callgrind-format). Only self costs are
 * summed: the cost line right after a `calls=` line is the inclusive cost of that call and is
 * skipped. Name compression (`ob=(3) /lib/x.so`, later `ob=(3)`) is shared by ob/cob, fn/cfn and
 * the file specifications, as the format defines.
 */
export function parseCallgrind(text: string): CallgrindProfile {
  const names: Record<Namespace, Map<string, string>> = {
    ob: new Map(),
    fn: new Map(),
    fl: new Map(),
  };
  let events: string[] = [];
  let totals: number | null = null;
  let sawTotals = false;
  let positions = 1;
  let object = "???";
  let fn = "???";
  let afterCalls = false;
  let selfTotal = 0;
  const byFunction = new Map<string, Map<string, number>>();

  const resolve = (ns: Namespace, spec: string): string => {
    const m = /^\((\d+)\)\s*(.*)$/.exec(spec);
    if (!m) return spec.trim();
    const [, id, name] = m as unknown as [string, string, string];
    if (name.length > 0) {
      names[ns].set(id, name);
      return name;
    }
    return names[ns].get(id) ?? `(${id})`;
  };

  for (const raw of text.split("\n")) {
    const line = raw.trimEnd();
    if (line.length === 0 || line.startsWith("#")) continue;
    const c = line.charCodeAt(0);
    const isCost = (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 42; // digit + - *
    if (isCost) {
      if (afterCalls) {
        afterCalls = false;
        continue;
      }
      const fields = line.split(/\s+/);
      const value = fields[positions];
      const cost = value === undefined ? 0 : Number(value);
      if (!Number.isFinite(cost)) throw new Error(`callgrind: bad cost line "${line}"`);
      if (cost === 0) continue;
      selfTotal += cost;
      let fns = byFunction.get(object);
      if (!fns) {
        fns = new Map();
        byFunction.set(object, fns);
      }
      fns.set(fn, (fns.get(fn) ?? 0) + cost);
      continue;
    }
    const eq = line.indexOf("=");
    const colon = line.indexOf(":");
    if (eq > 0 && (colon < 0 || eq < colon)) {
      const key = line.slice(0, eq);
      const value = line.slice(eq + 1);
      if (key === "calls") {
        afterCalls = true;
        continue;
      }
      const ns = NAMESPACE[key];
      if (!ns) continue; // jump=, jcnd=: not costs of the current function
      const name = resolve(ns, value);
      if (key === "ob") object = name;
      else if (key === "fn") fn = name;
      continue;
    }
    if (colon > 0) {
      const key = line.slice(0, colon);
      const value = line.slice(colon + 1).trim();
      if (key === "events") events = value.split(/\s+/);
      else if (key === "positions") positions = value.split(/\s+/).length;
      else if (key === "totals" || key === "summary") {
        // Both name the total of the first event; `totals:` (at the end) wins when both exist.
        const first = Number(value.split(/\s+/)[0]);
        if (Number.isFinite(first) && (key === "totals" || !sawTotals)) totals = first;
        if (key === "totals") sawTotals = true;
      }
    }
  }
  return { events, totals, selfTotal, byFunction };
}

/** Function names as the allocator's own code: the symbol without version or clone suffixes. */
export function baseFunctionName(name: string): string {
  return name
    .replace(/@.*$/, "")
    .replace(/(\.(part|constprop|isra|cold|lto_priv)(\.\d+)?)+$/, "")
    .replace(/'\d+$/, ""); // callgrind's recursion marker fn'2
}

/**
 * glibc's malloc lives inside libc.so.6, so its share is counted per function: these are the
 * functions of glibc's malloc/malloc.c, malloc/arena.c and malloc/hooks.c (2.3x), as callgrind
 * names them with debug symbols (libc6-dbg). Helpers they call elsewhere in libc (memcpy in
 * realloc, memset in calloc, mmap/munmap/brk wrappers, locks) are not counted.
 */
export const GLIBC_MALLOC_FUNCTIONS: readonly string[] = [
  "malloc",
  "__libc_malloc",
  "__malloc",
  "free",
  "__libc_free",
  "cfree",
  "realloc",
  "__libc_realloc",
  "calloc",
  "__libc_calloc",
  "memalign",
  "__libc_memalign",
  "aligned_alloc",
  "posix_memalign",
  "__posix_memalign",
  "valloc",
  "__libc_valloc",
  "pvalloc",
  "__libc_pvalloc",
  "_mid_memalign",
  "_int_malloc",
  "_int_free",
  "_int_free_merge_chunk",
  "_int_free_create_chunk",
  "_int_free_maybe_consolidate",
  "_int_realloc",
  "_int_memalign",
  "malloc_consolidate",
  "sysmalloc",
  "sysmalloc_mmap",
  "sysmalloc_mmap_fallback",
  "systrim",
  "unlink_chunk",
  "alloc_perturb",
  "free_perturb",
  "tcache_init",
  "tcache_get",
  "tcache_get_n",
  "tcache_put",
  "tcache_key_initialize",
  "tcache_thread_shutdown",
  "tcache_double_free_verify",
  "ptmalloc_init",
  "malloc_hook_ini",
  "realloc_hook_ini",
  "memalign_hook_ini",
  "arena_get2",
  "arena_get_retry",
  "get_free_list",
  "reused_arena",
  "_int_new_arena",
  "new_heap",
  "alloc_new_heap",
  "shrink_heap",
  "heap_trim",
  "detach_arena",
  "munmap_chunk",
  "mremap_chunk",
  "malloc_printerr",
  "__malloc_arena_thread_freeres",
  "__malloc_fork_lock_parent",
  "__malloc_fork_unlock_parent",
  "__malloc_fork_unlock_child",
  "malloc_usable_size",
  "__malloc_usable_size",
  "musable",
  "mtrim",
  "malloc_trim",
  "__malloc_trim",
];

/**
 * musl's mallocng (src/malloc/mallocng) and its wrappers. musl's libc.so on Debian keeps its
 * symbol table, so these names resolve without separate debug files.
 */
export const MUSL_MALLOC_FUNCTIONS: readonly string[] = [
  "malloc",
  "__libc_malloc",
  "__libc_malloc_impl",
  "free",
  "__libc_free",
  "realloc",
  "__libc_realloc",
  "calloc",
  "__libc_calloc",
  "aligned_alloc",
  "posix_memalign",
  "memalign",
  "malloc_usable_size",
  "alloc_slot",
  "alloc_group",
  "alloc_meta",
  "__malloc_alloc_meta",
  "try_avail",
  "get_meta",
  "get_stride",
  "get_slot_index",
  "enframe",
  "nontrivial_free",
  "free_group",
  "okay_to_free",
  "__malloc_donate",
  "__malloc_atfork",
  "__malloc_allzerop",
  "size_to_class",
  "set_size",
  "activate_group",
  "queue",
  "dequeue",
  "step_seq",
  "record_seq",
];

function samePath(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/**
 * Instructions inside the allocator. `object` is the object file defining malloc (the run's
 * identity line). A preloaded allocator owns its whole object: the self cost of all its
 * functions. The libc's own malloc shares its object with the rest of the libc: only the
 * functions of `libcFunctions` count.
 */
export function allocatorInstructions(
  profile: CallgrindProfile,
  object: string,
  libcFunctions?: readonly string[],
): number {
  let sum = 0;
  const wanted = libcFunctions ? new Set(libcFunctions) : undefined;
  for (const [ob, fns] of profile.byFunction) {
    if (!samePath(ob, object)) continue;
    for (const [fn, cost] of fns) {
      if (!wanted || wanted.has(baseFunctionName(fn))) sum += cost;
    }
  }
  return sum;
}

/** The malloc functions to count when the allocator is the libc's own. */
export function libcMallocFunctions(libc: "glibc" | "musl"): readonly string[] {
  return libc === "glibc" ? GLIBC_MALLOC_FUNCTIONS : MUSL_MALLOC_FUNCTIONS;
}

/** The valgrind arguments that run `program args` under callgrind, writing `outFile`. */
export function callgrindArgs(outFile: string, program: string, args: readonly string[]): string[] {
  return [
    "--tool=callgrind",
    `--callgrind-out-file=${outFile}`,
    // Each thread's costs in one file; no dumps but the final one.
    "--separate-threads=no",
    "--dump-line=no",
    "--quiet",
    "--",
    program,
    ...args,
  ];
}

/**
 * Allocators that cannot run under callgrind: libraries built for musl. Debian's `valgrind` is a
 * shell script run by glibc's /bin/sh, and LD_PRELOAD reaches it too; a musl library (which needs
 * musl's libc.so) makes it fail to start. Removes them from `allocators` (in place) and says so;
 * a usage error when the user asked for one by name, or when none is left.
 */
export function dropCallgrindUnsupported(
  allocators: { name: string; lib?: string | undefined; libc: string }[],
  requested: readonly string[] | "all",
): string | undefined {
  const bad = allocators.filter((a) => a.lib !== undefined && a.libc === "musl");
  if (bad.length === 0) return undefined;
  const names = bad.map((a) => a.name);
  const asked = requested === "all" ? [] : names.filter((n) => requested.includes(n));
  const reason =
    "--metric instructions cannot preload musl libraries: valgrind's start-up script runs under glibc and would load them too";
  if (asked.length > 0 || bad.length === allocators.length)
    throw new UsageError(`${reason}: drop ${names.join(", ")} from -a`);
  for (const a of bad) allocators.splice(allocators.indexOf(a), 1);
  return `${reason}: skipped ${names.join(", ")}`;
}

/** Path of valgrind, or a usage error saying how to get it. */
export async function findValgrind(): Promise<{ path: string; version: string }> {
  const r = await runHelper("valgrind", ["--version"], { reject: false });
  if (r.exitCode !== 0 || r.failed) {
    throw new UsageError(
      "--metric instructions needs valgrind (callgrind): install it, e.g. apt-get install valgrind",
    );
  }
  const which = await runHelper("sh", ["-c", "command -v valgrind"], { reject: false });
  return { path: String(which.stdout).trim() || "valgrind", version: String(r.stdout).trim() };
}

/**
 * Callgrind slows a run down by 20-100x: a run's timeout is multiplied by this under
 * --metric instructions.
 */
export const CALLGRIND_TIMEOUT_FACTOR = 100;

/** Said in the output, the warnings of the results file, and docs/metrics.md. */
export const CALLGRIND_CAVEAT =
  "--metric instructions: runs under callgrind, which runs one thread at a time: contention between threads vanishes, so counts of multithreaded cells measure the work of the calls, not their scaling";

/** What a run under callgrind counted. */
export interface Counted {
  instructions: number;
  /** Undefined when the run printed no identity (no @result line): nothing to attribute to. */
  allocatorInstructions?: number;
}

/** The object file named by the result record's "allocator" field (only a well-formed, single one). */
function identityOf(channel: LaunchOutcome["channel"]): string | undefined {
  const lines = channel?.text.split("\n") ?? [];
  if (lines.length !== 2 || lines[1] !== "" || !lines[0]?.startsWith("@result ")) return undefined;
  try {
    const value = JSON.parse(lines[0].slice("@result ".length)) as { allocator?: unknown };
    return typeof value.allocator === "string" ? value.allocator : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Launch one run, timed (measure "time" or absent) or under callgrind ("instructions"). Under
 * callgrind the workload's latency sampling is switched off (its clock reads would add
 * instructions that depend on the time) and the timeout is stretched by
 * CALLGRIND_TIMEOUT_FACTOR. `libcAllocator` names the libc when the allocator is the libc's own
 * (its malloc functions are counted one by one), undefined for a preloaded library.
 */
export async function launchMeasured(
  measure: "time" | "instructions" | undefined,
  libcAllocator: "glibc" | "musl" | undefined,
  request: LaunchRequest,
): Promise<{ outcome: LaunchOutcome; counted?: Counted }> {
  if (measure !== "instructions") return { outcome: await launch(request) };
  const dir = await mkdtemp(path.join(os.tmpdir(), "mallocbench-callgrind-"));
  try {
    const outFile = path.join(dir, "callgrind.out");
    const outcome = await launch({
      ...request,
      program: "valgrind",
      args: callgrindArgs(outFile, request.program, request.args),
      setEnv: { ...request.setEnv, MALLOCBENCH_LATENCY_EVERY: "0" },
      timeoutMs: request.timeoutMs * CALLGRIND_TIMEOUT_FACTOR,
    });
    let text: string;
    try {
      text = await readFile(outFile, "utf8");
    } catch {
      return { outcome }; // valgrind did not get to write it: the run failed, classify says how
    }
    const profile = parseCallgrind(text);
    const counted: Counted = { instructions: profile.totals ?? profile.selfTotal };
    const object = identityOf(outcome.channel);
    if (object !== undefined) {
      counted.allocatorInstructions = allocatorInstructions(
        profile,
        object,
        libcAllocator ? libcMallocFunctions(libcAllocator) : undefined,
      );
    }
    return { outcome, counted };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
