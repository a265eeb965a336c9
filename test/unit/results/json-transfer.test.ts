import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeJson, encodeJson, transferables } from "../../../src/results/json-transfer.js";

/** Deep equality including key order and -0 (JSON.stringify loses -0, Object.is keeps it). */
function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a === "number" || typeof b === "number") return Object.is(a, b);
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  return ka.every((k) =>
    sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

describe("encodeJson / decodeJson", () => {
  it("round-trips any JSON value: same keys in the same order, same values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const parsed: unknown = JSON.parse(JSON.stringify(value) ?? "null");
        expect(sameJson(decodeJson(encodeJson(parsed)), parsed)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps -0 and shares one string table entry and one shape per distinct value", () => {
    const value = [
      { a: -0, b: "x" },
      { a: 1.5, b: "x" },
      { b: "y", a: 2 },
    ];
    const encoded = encodeJson(value);
    expect(encoded.strings).toEqual(["x", "y"]);
    expect(encoded.shapes).toEqual([
      ["a", "b"],
      ["b", "a"],
    ]);
    const back = decodeJson(encoded) as { a: number }[];
    expect(Object.is(back[0]?.a, -0)).toBe(true);
    expect(Object.keys(back[2] as object)).toEqual(["b", "a"]);
  });

  it("treats keys as data: quotes, newlines, U+2028 and code in keys round-trip", () => {
    const keys = ['"', "\\", "a\nb", "\u2028", "}; globalThis.pwned = 1; ({", "`${1}`", ""];
    const value = Object.fromEntries(keys.map((k, i) => [k, i]));
    const back = decodeJson(encodeJson(value)) as Record<string, number>;
    expect(Object.keys(back)).toEqual(Object.keys(value));
    for (const [i, k] of keys.entries()) expect(back[k]).toBe(i);
    expect((globalThis as { pwned?: unknown }).pwned).toBeUndefined();
  });

  it('defines "__proto__" as an own property, as JSON.parse does, and leaves the prototype alone', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as object;
    const back = decodeJson(encodeJson(parsed)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toEqual(["__proto__", "a"]);
    expect((back as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(back, "__proto__")?.value).toEqual({ polluted: true });
  });

  it("builds objects of shapes past the compiled ones key by key, with the same result", () => {
    const value = Array.from({ length: 5000 }, (_, i) => ({ [`k${i}`]: i, shared: "s" }));
    const back = decodeJson(encodeJson(value)) as Record<string, unknown>[];
    expect(back).toEqual(value);
    expect(Object.keys(back[4999] as object)).toEqual(["k4999", "shared"]);
  });

  it("hands its typed arrays over for transfer and rejects a malformed encoding", () => {
    const encoded = encodeJson({ a: [1, "x", true, null] });
    expect(transferables(encoded)).toHaveLength(3);
    expect(() => decodeJson({ ...encoded, tags: new Uint8Array([9]) })).toThrow(/malformed/);
    expect(() => decodeJson({ ...encoded, tags: encoded.tags.subarray(0, 2) })).toThrow(
      /malformed/,
    );
    expect(() => encodeJson({ a: undefined })).toThrow(/not a JSON value/);
  });
});
