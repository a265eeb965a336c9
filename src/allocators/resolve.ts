/**
 * Turning an AllocatorSpec into a ResolvedAllocator: validated library, realpath, sha256,
 * owning package.
 */
import { realpath } from "node:fs/promises";
import { sha256File as hashFile } from "../util/hash.js";
import { packageOf } from "./packages.js";
import type { AllocatorSpec, ResolvedAllocator } from "./types.js";
import { checkLibrary } from "./validate.js";

/** An allocator that cannot be used, and why (one line naming the library). */
export interface UnusableAllocator {
  name: string;
  reason: string;
}

export function isUnusable(a: ResolvedAllocator | UnusableAllocator): a is UnusableAllocator {
  return "reason" in a && typeof a.reason === "string" && !("source" in a);
}

/** sha256 of a file, hex, streamed (a regular file only: see util/files.ts). */
export async function sha256File(path: string): Promise<string> {
  return hashFile(path);
}

/**
 * Validate and describe an allocator for `machine`.
 * Specs without a library (the libc's own malloc) resolve as they are. Library specs must
 * pass checkLibrary and link the libc the spec says (a library linking no libc is accepted
 * for either). Never throws for a bad library: returns `{ name, reason }`.
 */
export async function finalizeAllocator(
  spec: AllocatorSpec,
  machine: string,
): Promise<ResolvedAllocator | UnusableAllocator> {
  if (spec.lib === undefined) return { ...spec, env: { ...spec.env } };
  const lib = spec.lib;
  const check = await checkLibrary(lib, { machine });
  if (check.status === "invalid") return { name: spec.name, reason: check.reason };
  if (check.libc !== "none" && check.libc !== spec.libc) {
    const needed = check.needed.filter((n) => n.startsWith("libc.")).join(", ");
    return {
      name: spec.name,
      reason: `${lib}: links ${check.libc} (${needed}), but allocator "${spec.name}" is meant for ${spec.libc} workloads`,
    };
  }
  let realLib: string;
  let sha256: string;
  try {
    realLib = await realpath(lib);
    sha256 = await sha256File(realLib);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return { name: spec.name, reason: `${lib}: cannot be read (${code})` };
  }
  const pkg = await packageOf(lib);
  const resolved: ResolvedAllocator = { ...spec, env: { ...spec.env }, realLib, sha256 };
  if (pkg) {
    resolved.package = pkg;
    if (resolved.version === undefined) resolved.version = pkg.version;
  }
  return resolved;
}

/** finalizeAllocator for each spec (in parallel), split into usable and unusable. */
export async function finalizeAllocators(
  specs: readonly AllocatorSpec[],
  machine: string,
): Promise<{ resolved: ResolvedAllocator[]; unusable: UnusableAllocator[] }> {
  const results = await Promise.all(specs.map((s) => finalizeAllocator(s, machine)));
  const resolved: ResolvedAllocator[] = [];
  const unusable: UnusableAllocator[] = [];
  for (const r of results) {
    if (isUnusable(r)) unusable.push(r);
    else resolved.push(r);
  }
  return { resolved, unusable };
}
