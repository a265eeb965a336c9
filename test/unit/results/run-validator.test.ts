/**
 * The compiled run validator against zod itself: whatever it accepts, zod accepts, and zod's
 * output is the value it leaves (unknown keys dropped); whatever zod rejects, it rejects.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors.js";
import { parseResults } from "../../../src/results/io.js";
import { checkedRun, runRecordJsonSchemas } from "../../../src/results/run-validator.js";
import { ResultsFileSchema, RunRecordSchema, type RunRecord } from "../../../src/results/schema.js";
import { syntheticResults } from "../../../testkit/synthetic.js";

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
  latencySampling: {
    unit: "ns",
    sampleEvery: 64,
    clockOverheadNs: 20.5,
    samples: { malloc: 1000 },
  },
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
      entryPoints: { malloc: "/lib/x.so", calloc: null },
      mapped: true,
      mappedDuringLoad: false,
      verified: true,
    },
    figures: { rps: 1000.5 },
  },
};
const failed = synthetic.runs.find((r) => r.status === "failed") as RunRecord;
const samples: unknown[] = [rich, failed, { ...failed, metrics: { wallSeconds: 0.5 } }];

/** A fresh copy, as from JSON.parse (the validator edits its input). */
const fresh = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

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

type Mutation =
  | { kind: "set"; value: unknown }
  | { kind: "delete" }
  | { kind: "add"; key: string; value: unknown };

/** A copy of `value` with one edit at `path`; JSON text keeps `__proto__` an own key. */
function mutate(value: unknown, path: (string | number)[], m: Mutation): unknown {
  const copy = fresh(value) as Record<string | number, unknown>;
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
      Object.defineProperty(target, m.key, {
        value: m.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return JSON.parse(JSON.stringify(copy).replaceAll('"__proto_key__"', '"__proto__"')) as unknown;
}

/** Values that are nearly right: wrong types, bounds, integers, enum members, lengths. */
const NEARLY_RIGHT: unknown[] = [
  -1,
  0,
  0.5,
  1,
  2 ** 53,
  1e308,
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
];
const nasty = fc.oneof(fc.jsonValue(), fc.constantFrom(...NEARLY_RIGHT));

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  nasty.map((value) => ({ kind: "set" as const, value })),
  fc.constant({ kind: "delete" as const }),
  fc
    .tuple(fc.constantFrom("extra", "__proto_key__", "status", "seconds", "1"), nasty)
    .map(([key, value]) => ({ kind: "add" as const, key, value })),
);

/** The validator may refuse anything zod takes (zod then parses it); what it accepts is zod's. */
function expectAgreesWithZod(value: unknown): void {
  const slow = RunRecordSchema.safeParse(fresh(value));
  const fast = checkedRun(fresh(value));
  if (fast === undefined) return;
  expect(slow.success).toBe(true);
  expect(fast).toStrictEqual(slow.data);
}

describe("compiled run validator", () => {
  it("is generated from RunRecordSchema as valid JSON Schema, one per status", () => {
    const schemas = runRecordJsonSchemas();
    expect([...schemas.keys()].sort()).toEqual(["failed", "ok"]);
    // Strict mode and the meta-schema: what the loader skips at run time to start faster.
    const ajv = new Ajv2020({
      strict: true,
      strictNumbers: true,
      removeAdditional: true,
      validateSchema: true,
    });
    for (const schema of schemas.values()) expect(() => ajv.compile(schema)).not.toThrow();
  });

  it("accepts valid runs as zod's output, in any key order", () => {
    for (const run of [...samples, ...synthetic.runs]) {
      expect(checkedRun(fresh(run))).toStrictEqual(RunRecordSchema.parse(fresh(run)));
      const reversed = Object.fromEntries(Object.entries(run as object).reverse());
      expect(checkedRun(fresh(reversed))).toStrictEqual(RunRecordSchema.parse(fresh(reversed)));
    }
  });

  it("drops unknown keys as zod does, at every level", () => {
    const run = fresh(rich) as Record<string, Record<string, unknown>>;
    run["comment"] = { x: 1 } as unknown as Record<string, unknown>;
    (run["metrics"] as Record<string, unknown>)["bogus"] = -1;
    (run["timeline"] as Record<string, unknown>)["extra"] = "x";
    const out = checkedRun(run) as unknown as Record<string, Record<string, unknown>>;
    expect(out).toBeDefined();
    expect(out).not.toHaveProperty("comment");
    expect(out["metrics"]).not.toHaveProperty("bogus");
    expect(out["timeline"]).not.toHaveProperty("extra");
    expect(out).toStrictEqual(RunRecordSchema.parse(fresh(rich)));
  });

  it("refuses what lies outside a metric's domain, and non-numbers", () => {
    const bad = (edit: (run: Record<string, Record<string, unknown>>) => void) => {
      const run = fresh(rich) as Record<string, Record<string, unknown>>;
      edit(run);
      expect(RunRecordSchema.safeParse(fresh(run)).success).toBe(false);
      return checkedRun(run);
    };
    expect(bad((r) => (r["metrics"]!["seconds"] = 0))).toBeUndefined();
    expect(bad((r) => (r["metrics"]!["userSeconds"] = -0.5))).toBeUndefined();
    expect(bad((r) => (r["metrics"]!["ops"] = 2.5))).toBeUndefined();
    expect(bad((r) => (r["metrics"]!["ops"] = 2 ** 53))).toBeUndefined();
    expect(bad((r) => (r["threads"] = 0 as never))).toBeUndefined();
    expect(bad((r) => (r["timeline"]!["samples"] = [[-1, 4096]]))).toBeUndefined();
    expect(bad((r) => (r["timeline"]!["samples"] = [[1, 4096, 3]]))).toBeUndefined();
    expect(bad((r) => (r["status"] = "maybe" as never))).toBeUndefined();
    // JSON.parse gives Infinity for 1e999; a non-JSON value never reaches here, but NaN too.
    expect(bad((r) => (r["metrics"]!["seconds"] = Infinity))).toBeUndefined();
    expect(bad((r) => (r["metrics"]!["wallSeconds"] = NaN))).toBeUndefined();
    expect(checkedRun(null)).toBeUndefined();
    expect(checkedRun([rich])).toBeUndefined();
  });

  it("leaves a record holding a __proto__ key to zod", () => {
    const run = JSON.parse(JSON.stringify(rich).replace('"slots"', '"__proto__"')) as unknown;
    expect(Object.keys((run as { params: object }).params)).toContain("__proto__");
    expect(checkedRun(fresh(run))).toBeUndefined();
    expect(RunRecordSchema.parse(fresh(run)).params).toEqual({ "2": "x" });
  });

  it("agrees with zod on every field of a run set to each nearly-right value", () => {
    // Exhaustive over single edits: a check zod has and the JSON Schema lost (a refine()) shows.
    for (const run of [rich, failed])
      for (const p of paths(run))
        for (const value of NEARLY_RIGHT)
          expectAgreesWithZod(mutate(run, p, { kind: "set", value }));
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
          if (q.length > 0)
            expectAgreesWithZod(mutate(once, q[j % q.length] as (string | number)[], m2));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("parseResults with the compiled validator", () => {
  const file = syntheticResults({
    runs: 3,
    latency: true,
    timelines: true,
    failCell: "larson/musl/2",
  });

  it("returns what zod's parse of the whole file returns", () => {
    expect(parseResults(fresh(file), "f.json")).toStrictEqual(ResultsFileSchema.parse(fresh(file)));
  });

  it("reports the first bad field in one line, from a bad run or a bad header", () => {
    const json = fresh(file) as Record<string, unknown>;
    const runs = json["runs"] as Record<string, unknown>[];
    const badRun = { ...json, runs: runs.map((r, i) => (i === 5 ? { ...r, threads: 0 } : r)) };
    expect(() => parseResults(fresh(badRun), "f.json")).toThrow(UsageError);
    expect(() => parseResults(fresh(badRun), "f.json")).toThrow(
      /^f\.json: not a mallocbench results file: field runs\[5\]\.threads: .*$/,
    );
    const badSample = fresh(file) as { runs: { timeline: { samples: number[][] } }[] };
    (badSample.runs[7] as { timeline: { samples: number[][] } }).timeline.samples[3] = [30, -5];
    expect(() => parseResults(badSample, "f.json")).toThrow(
      /^f\.json: not a mallocbench results file: field runs\[7\]\.timeline\.samples\[3\]\[1\]: must be >= 0$/,
    );
    const badHeader = { ...json, plan: { ...(json["plan"] as object), runs: -1 } };
    expect(() => parseResults(fresh(badHeader), "f.json")).toThrow(
      /^f\.json: not a mallocbench results file: field plan\.runs: .*$/,
    );
  });
});
