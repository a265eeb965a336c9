/**
 * Reference results: each (workload binary, arguments) run once under its libc's own malloc,
 * before anything is measured, so that every measured run's result can be checked against it.
 * A workload's ops, checksum and echoed arguments depend only on the binary and its arguments,
 * never on the allocator (workloads/README.md), so any difference means the run did other work
 * or its result did not come from the workload.
 *
 * References are cached on disk, in the build cache, by the binary's content hash and the
 * arguments: a repeated `bench run` takes none again.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Libc } from "../allocators/types.js";
import { launchMeasured } from "../measure/callgrind.js";
import { cacheDir } from "../paths.js";
import type { LibcFacts } from "../platform/environment.js";
import { classify, echoOf, type ReferenceResult } from "./outcome.js";
import { identityMatcher } from "../setup/prepare.js";

/** Bumped when what a reference records, or how it is taken, changes. */
const REFERENCE_FORMAT = 1;

export type ReferenceOutcome = ReferenceResult | { error: string };

export interface ReferenceRequest {
  launcher: string;
  binary: string;
  libc: Libc;
  libcFacts: LibcFacts | undefined;
  args: readonly string[];
  /** What the arguments ask for, as the workload must echo it back. */
  expect: { threads: number; seed: number; size: string; params: Record<string, string> };
  timeoutMs: number;
  cpus: string | null;
  /** The plan's measurement: the reference is the same kind of run as the measured ones. */
  measure?: "time" | "instructions" | undefined;
  signal?: AbortSignal;
}

const binaryHashes = new Map<string, Promise<string>>();

function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

function binaryHash(binary: string): Promise<string> {
  let hash = binaryHashes.get(binary);
  if (!hash) {
    hash = readFile(binary).then((b) => sha256(b));
    binaryHashes.set(binary, hash);
  }
  return hash;
}

function cacheFile(key: string): string {
  return path.join(cacheDir(), "references", `${key}.json`);
}

function isReference(value: unknown): value is ReferenceResult {
  const v = value as Partial<ReferenceResult> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    Number.isSafeInteger(v.ops) &&
    typeof v.checksum === "string" &&
    typeof v.echo === "string"
  );
}

/** Whether the echoed arguments are what was asked for (every given parameter among them). */
function echoProblem(
  echo: Record<string, unknown>,
  expect: ReferenceRequest["expect"],
): string | undefined {
  const params = (echo["params"] ?? {}) as Record<string, unknown>;
  const wrong = [
    echo["threads"] === expect.threads ? null : `threads ${String(echo["threads"])}`,
    echo["seed"] === expect.seed ? null : `seed ${String(echo["seed"])}`,
    echo["size"] === expect.size ? null : `size ${String(echo["size"])}`,
    ...Object.entries(expect.params).map(([name, value]) =>
      String(params[name]) === value ? null : `${name} ${String(params[name])}`,
    ),
  ].filter((x) => x !== null);
  return wrong.length > 0 ? `it reported ${wrong.join(", ")}` : undefined;
}

/**
 * The reference of one binary and its arguments: from the cache, or run now with no preload and
 * the libc's own malloc, whose identity is checked like any run's.
 */
export async function takeReference(
  request: ReferenceRequest,
): Promise<{ reference: ReferenceOutcome; cached: boolean }> {
  const key = sha256(
    JSON.stringify([REFERENCE_FORMAT, await binaryHash(request.binary), request.args]),
  );
  const file = cacheFile(key);
  try {
    const cached = JSON.parse(await readFile(file, "utf8")) as unknown;
    if (isReference(cached)) return { reference: cached, cached: true };
  } catch {
    // absent or unreadable: take it again
  }
  const { outcome } = await launchMeasured(request.measure, request.libc, {
    launcher: request.launcher,
    program: request.binary,
    args: request.args,
    setEnv: {},
    unsetEnv: ["LD_PRELOAD"],
    timeoutMs: request.timeoutMs,
    rssIntervalMs: 0,
    cpus: request.cpus,
    resultChannel: true,
    ...(request.signal ? { signal: request.signal } : {}),
  });
  const libcOwn = {
    name: request.libc,
    family: request.libc,
    libc: request.libc,
    env: {},
    source: "libc",
  } as const;
  const matcher = identityMatcher(libcOwn, request.libcFacts);
  const verdict = classify(outcome, matcher.expected, matcher.matches);
  const what = `${path.basename(request.binary)} ${request.args.join(" ")} under ${request.libc}'s own malloc`;
  if (verdict.status === "interrupted")
    return { reference: { error: `the reference run (${what}) was interrupted` }, cached: false };
  if (verdict.status === "failed")
    return {
      reference: {
        error: `the reference run (${what}) failed: ${verdict.kind}: ${verdict.message}`,
      },
      cached: false,
    };
  const problem = echoProblem(verdict.result, request.expect);
  if (problem)
    return {
      reference: { error: `the reference run (${what}) did other work than asked: ${problem}` },
      cached: false,
    };
  const reference: ReferenceResult = {
    ops: verdict.result.ops,
    checksum: verdict.result.checksum as string,
    echo: echoOf(verdict.result),
  };
  try {
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    await writeFile(tmp, `${JSON.stringify(reference)}\n`);
    await rename(tmp, file);
  } catch {
    // a read-only cache costs a reference run next time, nothing else
  }
  return { reference, cached: false };
}
