/**
 * What a libc's own malloc really is, per toolchain: glibc's ptmalloc2 (with the glibc
 * version), musl's mallocng or oldmalloc, or another allocator built into the libc (as some
 * distributions do with Scudo or mimalloc).
 *
 * Two kinds of evidence:
 * - behaviour, from a small probe program built with the toolchain: which object defines
 *   malloc (dladdr) and what malloc_usable_size says for a few request sizes. mallocng
 *   reports the size that was asked for (it records it in the slot); oldmalloc and ptmalloc2
 *   report the chunk size less the header, which is larger; Scudo also reports the request.
 * - signatures: strings an allocator's diagnostics compile into the object that defines
 *   malloc ("Scudo ERROR", "mimalloc: ", "<jemalloc>", ptmalloc2's "malloc(): ..." checks).
 */
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { runHelper } from "../util/exec.js";
import { cacheDir } from "../paths.js";
import { sha256Hex } from "../util/hash.js";
import type { Libc } from "./toolchain.js";

export type SystemAllocatorKind =
  "ptmalloc2" | "mallocng" | "oldmalloc" | "scudo" | "mimalloc" | "jemalloc" | "unknown";

export interface SystemAllocator {
  libc: Libc;
  /** What the libc's malloc is. */
  allocator: SystemAllocatorKind;
  /** The libc's version when known (ptmalloc2 is versioned with glibc). */
  libcVersion: string | null;
  /** The object that defines malloc in a program built with this toolchain. */
  object: string | null;
  /** One line: "ptmalloc2 (glibc 2.36)". */
  description: string;
  /** What the classification rests on. */
  evidence: string[];
}

/** Allocator signatures: strings their diagnostics put into the binary. */
export const SIGNATURES: readonly { allocator: SystemAllocatorKind; text: string }[] = [
  { allocator: "scudo", text: "Scudo ERROR" },
  { allocator: "mimalloc", text: "mimalloc: " },
  { allocator: "jemalloc", text: "<jemalloc>" },
  { allocator: "ptmalloc2", text: "malloc(): corrupted top size" },
  { allocator: "ptmalloc2", text: "malloc_consolidate(): " },
];

/** Request sizes the probe asks malloc_usable_size about. */
export const PROBE_SIZES = [1, 13, 100, 1000] as const;

export interface ProbeOutput {
  malloc: string | null;
  usable: Record<string, number>;
  glibcVersion: string | null;
}

export interface ClassifyInput {
  libc: Libc;
  /** Signature texts found in the object defining malloc. */
  signatures: readonly string[];
  /** malloc_usable_size(malloc(n)) by n, or null when the probe did not run. */
  usable: Record<string, number> | null;
  libcVersion: string | null;
}

/** Decide what the system allocator is from the evidence (pure). */
export function classifySystemAllocator(input: ClassifyInput): {
  allocator: SystemAllocatorKind;
  evidence: string[];
} {
  const evidence: string[] = [];
  const found = SIGNATURES.filter((s) => input.signatures.includes(s.text));
  for (const s of found) evidence.push(`libc contains "${s.text}"`);
  let exact: boolean | null = null;
  if (input.usable) {
    const pairs = Object.entries(input.usable).map(([n, u]) => [Number(n), u] as const);
    exact = pairs.length > 0 && pairs.every(([n, u]) => u === n);
    evidence.push(
      `malloc_usable_size ${pairs.map(([n, u]) => `${n}->${u}`).join(" ")} (${exact ? "the requested sizes" : "rounded up"})`,
    );
  }
  // An allocator other than the libc's own, built into it, wins over everything else.
  for (const other of ["scudo", "mimalloc", "jemalloc"] as const)
    if (found.some((s) => s.allocator === other)) return { allocator: other, evidence };
  if (input.libc === "glibc") {
    if (found.some((s) => s.allocator === "ptmalloc2")) return { allocator: "ptmalloc2", evidence };
    return { allocator: "unknown", evidence };
  }
  if (exact === true) return { allocator: "mallocng", evidence };
  if (exact === false) return { allocator: "oldmalloc", evidence };
  return { allocator: "unknown", evidence };
}

export function describeSystemAllocator(
  libc: Libc,
  allocator: SystemAllocatorKind,
  version: string | null,
): string {
  const libcName = `${libc}${version ? ` ${version}` : ""}`;
  return allocator === "unknown"
    ? `unknown allocator in ${libcName}`
    : `${allocator} (${allocator === "ptmalloc2" || allocator === "mallocng" || allocator === "oldmalloc" ? "" : "built into "}${libcName})`;
}

const PROBE_SOURCE = `/* mallocbench system-allocator probe (src/platform/system-allocator.ts) */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <gnu/libc-version.h>
#endif

static void json_string(const char *s) {
  putchar('"');
  for (; s && *s; s++) {
    if (*s == '"' || *s == '\\\\') putchar('\\\\');
    if ((unsigned char)*s >= 0x20) putchar(*s);
  }
  putchar('"');
}

int main(void) {
  static const size_t sizes[] = {${PROBE_SIZES.join(", ")}};
  Dl_info info;
  void *(*volatile m)(size_t) = malloc;
  printf("{\\"malloc\\":");
  if (dladdr((void *)m, &info) && info.dli_fname) json_string(info.dli_fname);
  else printf("null");
  printf(",\\"usable\\":{");
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    void *p = m(sizes[i]);
    if (!p) return 1;
    printf("%s\\"%zu\\":%zu", i ? "," : "", sizes[i], malloc_usable_size(p));
    free(p);
  }
  printf("},\\"glibcVersion\\":");
#ifdef __GLIBC__
  json_string(gnu_get_libc_version());
#else
  printf("null");
#endif
  printf("}\\n");
  return 0;
}
`;

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Build the probe with `cc` (cached by content) and run it without any preload. */
export async function runSystemProbe(
  cc: readonly string[],
  cacheRoot = cacheDir(),
): Promise<ProbeOutput | { error: string }> {
  const hash = sha256Hex(JSON.stringify({ cc, src: PROBE_SOURCE })).slice(0, 16);
  const dir = path.join(cacheRoot, "system-probe", hash);
  const binary = path.join(dir, "probe");
  if (!(await exists(binary))) {
    await mkdir(dir, { recursive: true });
    const src = path.join(dir, "probe.c");
    await writeFile(src, PROBE_SOURCE);
    const tmp = `${binary}.tmp-${process.pid}`;
    const [cmd, ...pre] = cc as [string, ...string[]];
    const built = await runHelper(cmd, [...pre, "-O0", src, "-o", tmp, "-ldl"], {
      reject: false,
      all: true,
      timeout: 120_000,
    });
    if (built.exitCode !== 0)
      return { error: `cannot build the probe: ${String(built.all ?? "").split("\n")[0] ?? ""}` };
    await rename(tmp, binary);
  }
  const env = { ...process.env };
  delete env["LD_PRELOAD"];
  const run = await runHelper(binary, [], {
    reject: false,
    env,
    extendEnv: false,
    timeout: 20_000,
  });
  if (run.exitCode !== 0) return { error: `the probe failed (exit ${String(run.exitCode)})` };
  try {
    return JSON.parse(String(run.stdout)) as ProbeOutput;
  } catch {
    return { error: "the probe printed an unreadable line" };
  }
}

/** Which SIGNATURES texts occur in `file`. */
export async function signaturesIn(file: string): Promise<string[]> {
  const data = await readFile(file);
  return [...new Set(SIGNATURES.map((s) => s.text))].filter((t) => data.includes(t));
}

/** musl's libc.so is also its dynamic loader: run, it prints "Version 1.2.3". */
async function muslVersionOf(object: string): Promise<string | null> {
  const run = await runHelper(object, [], { reject: false, timeout: 5000 });
  return (
    /Version\s+([0-9][^\s]*)/.exec(`${String(run.stderr)}\n${String(run.stdout)}`)?.[1] ?? null
  );
}

/** Identify the libc's own allocator for the toolchain whose compiler command is `cc`. */
export async function identifySystemAllocator(
  libc: Libc,
  cc: readonly string[],
  cacheRoot = cacheDir(),
): Promise<SystemAllocator> {
  const probe = await runSystemProbe(cc, cacheRoot);
  const evidence: string[] = [];
  let object: string | null = null;
  let usable: Record<string, number> | null = null;
  let version: string | null = null;
  if ("error" in probe) {
    evidence.push(probe.error);
  } else {
    object = probe.malloc;
    usable = probe.usable;
    version = probe.glibcVersion;
  }
  let signatures: string[] = [];
  if (object) {
    try {
      signatures = await signaturesIn(object);
    } catch (error) {
      evidence.push(
        `cannot read ${object}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
    if (libc === "musl") version = await muslVersionOf(object);
  }
  const result = classifySystemAllocator({ libc, signatures, usable, libcVersion: version });
  return {
    libc,
    allocator: result.allocator,
    libcVersion: version,
    object,
    description: describeSystemAllocator(libc, result.allocator, version),
    evidence: [
      ...evidence,
      ...(object ? [`malloc is defined in ${object}`] : []),
      ...result.evidence,
    ],
  };
}
