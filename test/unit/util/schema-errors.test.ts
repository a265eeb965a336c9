import { describe, expect, it } from "vitest";
import { z } from "zod";
import { describeIssue, schemaKeys } from "../../../src/util/schema-errors.js";

const Schema = z
  .object({
    allocators: z.record(
      z.string(),
      z.object({ lib: z.string(), env: z.record(z.string(), z.string()) }),
    ),
    params: z.array(z.object({ name: z.string(), max: z.number().optional() })).optional(),
    target: z.union([z.object({ workload: z.string() }), z.object({ program: z.string() })]),
    pair: z.tuple([z.object({ first: z.string() }), z.number()]).optional(),
    size: z.string().transform((s) => s.length),
  })
  .strict();

describe("schema errors", () => {
  it("knows every object key of a schema, through records, arrays, unions, tuples and transforms", () => {
    expect([...schemaKeys(Schema)].sort()).toEqual(
      [
        "allocators",
        "env",
        "first",
        "lib",
        "max",
        "name",
        "pair",
        "params",
        "program",
        "size",
        "target",
        "workload",
      ].sort(),
    );
  });

  it("names the path and suggests the key meant", () => {
    const value = { allocators: {}, target: { workload: "w" }, size: "s", allocatorz: {} };
    const parsed = Schema.safeParse(value);
    if (parsed.success) throw new Error("accepted an unknown key");
    expect(describeIssue("bench.config.json", parsed.error, Schema)).toBe(
      'bench.config.json: (top level): unknown key "allocatorz" (did you mean "allocators"?)',
    );
  });
});
