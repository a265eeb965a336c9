/**
 * The fast run-record parser against zod itself: whatever it accepts, zod accepts and parses to
 * the same value (same keys in the same order, unknown keys dropped); whatever zod rejects, it
 * leaves to zod.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { UsageError } from "../../../src/errors.js";
import { compileFastParse, FAST_PARSE_FAILED } from "../../../src/results/fast-parse.js";
import { parseResults } from "../../../src/results/io.js";
import { RunRecordSchema, type RunRecord } from "../../../src/results/schema.js";
import { syntheticResults } from "../../../testkit/synthetic.js";

const fastRun = compileFastParse(RunRecordSchema);

const synthetic = syntheticResults({
  workloads: ["larson"],
  allocators: ["glibc", "jemalloc"],
  threads: [1, 2],
  runs: 2,
  latency: true,
  timelines: true,
  failCell: "larson/jemalloc/2",
});

/** A run with every optional part the schema knows, so mutations reach all of it. */
const rich = {
  ...(synthetic.runs.find((r) => r.status === "ok") as RunRecord),
  params: { slots: "500", "2": "x" },
  perfUnavailable: "perf_event_paranoid is 3",
  latencySampling: { unit: "ns", sampleEvery: 64, clockOverheadNs: 20.5, samples: { malloc: 1000 } },
  finalLiveBytes: 0,
  phases: [
    ["fill", 0.01],
    ["hold", 0.2],
  ],
  program: {
    command: ["redis-server", "--port", "0"],
    interposition: {
      method: "ld-preload",
      preload: "/lib/x.so",
      expected: null,
      malloc: "/lib/x.so",
      free: null,
      mapped: true,
      mappedDuringLoad: false,
      verified: true,
    },
    figures: { rps: 1000.5 },
  },
};
const failed = synthetic.runs.find((r) => r.status === "failed") as RunRecord;
const samples: unknown[] = [rich, failed, ...synthetic.runs];

/** Every path to a value inside `value` (objects and arrays), the root excluded. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== "object" || value === null) return [];
  const out: (string | number)[][] = [];
  for (const [k, v] of Object.entries(value)) {
    const p = [...prefix, Array.isArray(value) ? Number(k) : k];
    out.push(p, ...paths(v, p));
  }
  return out;
}

type Mutation = { kind: "set"; value: unknown } | { kind: "delete" } | { kind: "add"; key: string; value: unknown };

function mutate(value: unknown, path: (string | number)[], m: Mutation): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let parent = copy;
  for (const part of path.slice(0, -1)) parent = parent[part] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (m.kind === "set") parent[last] = m.value;
  else if (m.kind === "delete") {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else {
    const target = parent[last];
    if (typeof target === "object" && target !== null && !Array.isArray(target))
      (target as Record<string, unknown>)[m.key] = m.value;
  }
  return copy;
}

/** Values that are nearly right: wrong types, bounds, integers, enum members, lengths. */
const nasty = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(
    -1,
    0,
    0.5,
    1,
    2 ** 53,
    1e308,
    -0,
    "",
    "ok",
    "failed",
    "glibc",
    "musl",
    "quick",
    "ns",
    null,
    true,
    [],
    {},
    [1, 2],
    [1, 2, 3],
    ["a", 1],
  ),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  nasty.map((value) => ({ kind: "set" as const, value })),
  fc.constant({ kind: "delete" as const }),
  fc
    .tuple(fc.constantFrom("extra", "__proto__", "status", "seconds", "1"), nasty)
    .map(([key, value]) => ({ kind: "add" as const, key, value })),
);

/** The fast parser may refuse anything; what it accepts must be exactly zod's output. */
function expectAgreesWithZod(value: unknown): void {
  const fast = fastRun?.(value);
  const slow = RunRecordSchema.safeParse(value);
  if (fast === FAST_PARSE_FAILED) return;
  expect(slow.success).toBe(true);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(slow.data));
  expect(fast).toStrictEqual(slow.data);
}

describe("fast run-record parser", () => {
  it("compiles from RunRecordSchema (a schema change it cannot follow makes this fail)", () => {
    expect(fastRun).not.toBeNull();
  });

  it("accepts valid runs and gives zod's output, keys in the schema's order", () => {
    for (const run of samples) {
      const fast = fastRun?.(run);
      expect(fast).not.toBe(FAST_PARSE_FAILED);
      expectAgreesWithZod(run);
      // Reordered input keys come out in the schema's order, as from zod.
      const reversed = Object.fromEntries(Object.entries(run as object).reverse());
      expectAgreesWithZod(reversed);
      expect(fastRun?.(reversed)).not.toBe(FAST_PARSE_FAILED);
    }
  });

  it("returns parts that already are zod's output as they are, and copies the others", () => {
    const run = JSON.parse(JSON.stringify(RunRecordSchema.parse(rich))) as Record<string, unknown>;
    const same = fastRun?.(run) as Record<string, unknown>;
    expect(same).toBe(run); // keys in the schema's order, nothing to drop
    expect(same.metrics).toBe(run.metrics);
    const extra = { ...run, metrics: { ...(run.metrics as object) }, comment: "x" };
    const copied = fastRun?.(extra) as Record<string, unknown>;
    expect(copied).not.toBe(extra);
    expect(copied).not.toHaveProperty("comment");
    expect(copied.metrics).toBe(extra.metrics); // the unchanged record inside is kept
    const reversed = Object.fromEntries(Object.entries(run).reverse());
    const reordered = fastRun?.(reversed) as Record<string, unknown>;
    expect(reordered).not.toBe(reversed);
    expect(Object.keys(reordered)).toEqual(Object.keys(run));
  });

  it("never accepts what zod rejects, and never differs from zod's output", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.nat(),
        mutation,
        fc.nat(),
        mutation,
        (run, i, m, j, m2) => {
          const p = paths(run);
          const once = mutate(run, p[i % p.length] as (string | number)[], m);
          expectAgreesWithZod(once);
          const q = paths(once);
          if (q.length > 0) expectAgreesWithZod(mutate(once, q[j % q.length] as (string | number)[], m2));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("leaves schemas it does not compile to zod", () => {
    expect(compileFastParse(z.string().transform((s) => s.length))).toBeNull();
    expect(compileFastParse(z.object({ a: z.string() }).catchall(z.number()))).toBeNull();
    expect(compileFastParse(z.number().default(3))).toBeNull();
    expect(compileFastParse(z.string().min(2))).toBeNull();
    expect(compileFastParse(z.object({ a: z.number().int().positive() }))).not.toBeNull();
  });

  it("follows tuple lengths and leaves conditional checks (array lengths) to zod", () => {
    expect(compileFastParse(z.array(z.number()).min(1))).toBeNull();
    const schema = z.object({ list: z.array(z.number()), pair: z.tuple([z.string(), z.number()]) });
    const fast = compileFastParse(schema);
    expect(fast).not.toBeNull();
    for (const value of [
      { list: [1], pair: ["a", 1] },
      { list: [], pair: ["a", 1] },
      { list: [1, "2"], pair: ["a", 1] },
      { list: [1], pair: ["a", 1, 2] },
      { list: [1], pair: ["a"] },
      { list: [1], pair: [1, "a"] },
    ]) {
      const slow = schema.safeParse(value);
      const result = fast?.(value);
      expect(result === FAST_PARSE_FAILED ? "failed" : result).toEqual(
        slow.success ? slow.data : "failed",
      );
    }
  });
});

describe("parseResults with the fast path", () => {
  const file = syntheticResults({ runs: 3, latency: true, timelines: true, failCell: "larson/musl/2" });
  const json = JSON.parse(JSON.stringify(file)) as Record<string, unknown>;

  it("returns what zod's parse of the whole file returns", async () => {
    const { ResultsFileSchema } = await import("../../../src/results/schema.js");
    const parsed = parseResults(json, "f.json");
    expect(JSON.stringify(parsed)).toBe(JSON.stringify(ResultsFileSchema.parse(json)));
  });

  it("reports the first bad field in one line, from a bad run or a bad header", () => {
    const runs = json.runs as Record<string, unknown>[];
    const badRun = { ...json, runs: runs.map((r, i) => (i === 5 ? { ...r, threads: 0 } : r)) };
    expect(() => parseResults(badRun, "f.json")).toThrow(UsageError);
    expect(() => parseResults(badRun, "f.json")).toThrow(
      /^f\.json: not a mallocbench results file: field runs\[5\]\.threads: .*$/,
    );
    const badHeader = { ...json, plan: { ...(json.plan as object), runs: -1 } };
    expect(() => parseResults(badHeader, "f.json")).toThrow(
      /^f\.json: not a mallocbench results file: field plan\.runs: .*$/,
    );
  });
});
