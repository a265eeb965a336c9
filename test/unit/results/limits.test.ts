import { describe, expect, it } from "vitest";
import {
  checkStringLimits,
  FIELD_MAX_CHARS,
  MAX_DEPTH,
  TEXT_MAX_CHARS,
} from "../../../src/results/limits.js";
import { UsageError } from "../../../src/errors.js";

function message(value: unknown): string {
  try {
    checkStringLimits(value, "f.json");
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  return "";
}

describe("checkStringLimits", () => {
  it("accepts names at the limit and free text up to its own limit", () => {
    expect(
      message({
        runs: [
          {
            allocator: "a".repeat(FIELD_MAX_CHARS),
            failure: { message: "m".repeat(TEXT_MAX_CHARS) },
          },
        ],
      }),
    ).toBe("");
  });

  it("names the field of a name, a key or free text past its limit", () => {
    expect(message({ runs: [{}, { allocator: "a".repeat(FIELD_MAX_CHARS + 1) }] })).toBe(
      `f.json: not a mallocbench results file: field runs[1].allocator: ${FIELD_MAX_CHARS + 1} characters long, above the limit of ${FIELD_MAX_CHARS}`,
    );
    expect(message({ runs: [{ params: { ["k".repeat(5000)]: "1" } }] })).toMatch(
      /field runs\[0\]\.params\.k{40}…: a key 5000 characters long/,
    );
    expect(message({ runs: [{ failure: { message: "m".repeat(TEXT_MAX_CHARS + 1) } }] })).toMatch(
      /field runs\[0\]\.failure\.message: 65537 characters long, above the limit of 65536$/,
    );
    expect(message({ environment: { kernel: "k".repeat(FIELD_MAX_CHARS + 1) } })).toMatch(
      /field environment\.kernel:/,
    );
  });

  it("refuses deep nesting without overflowing the stack", () => {
    let deep: unknown = [];
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    expect(message({ x: deep })).toMatch(new RegExp(`nested more than ${MAX_DEPTH} levels deep$`));
  });

  it("walks a file of many runs", () => {
    const runs = Array.from({ length: 200_000 }, (_, i) => ({ key: `k${i}`, allocator: "glibc" }));
    expect(message({ runs })).toBe("");
  });
});
