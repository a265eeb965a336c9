/**
 * A fast path for validating many records against a zod schema, derived from that schema (it
 * stays the single source of truth): `compileFastParse(schema)` walks the schema's definition once
 * and returns a plain function that checks a value and builds the same output zod's `parse`
 * builds (keys in the schema's order, unknown keys dropped).
 *
 * Arrays, records and objects that come out exactly as they went in (an object: no unknown
 * keys, its keys in the schema's order; elements and fields unchanged) are returned as they are
 * instead of copied: the same contents as zod's copy, for callers that parse freshly read JSON
 * and keep only the output (as every caller here does). Each object schema's parser is compiled
 * to a function that reads its fields by name (see `objectParser`).
 *
 * It is an accelerator, never the judge: it returns {@link FAST_PARSE_FAILED} for anything it is
 * not sure of, and the caller then runs zod itself, so a bad file gets zod's own error. Only
 * the schema kinds and checks listed below are compiled; anything else (transforms, defaults,
 * pipes, `when` conditions, unknown checks, catch-all objects...) makes `compileFastParse` return
 * null, and zod does all the work. zod checks each field with a call that allocates its own
 * result (about 60-130 µs per run record of a results file here); this path allocates only the
 * output.
 *
 * Supported: object (strip mode), discriminated union of objects, array (min/max/exact length),
 * tuple (fixed length), record with string keys, optional, nullable, string, number (with
 * greater/less than, integer formats and refine checks), boolean, literal, enum.
 *
 * @module
 */
import type { z } from "zod";

/** Returned when the value is not known to be valid: parse it with zod instead. */
export const FAST_PARSE_FAILED: unique symbol = Symbol("fast parse failed");

type Parser = (value: unknown) => unknown;

/** The parts of zod's internal definition objects this module reads. */
interface Def {
  type: string;
  checks?: { _zod: { def: CheckDef } }[];
  coerce?: boolean;
  shape?: Record<string, Schema>;
  catchall?: unknown;
  element?: Schema;
  items?: Schema[];
  rest?: unknown;
  keyType?: Schema;
  valueType?: Schema;
  innerType?: Schema;
  values?: unknown[];
  options?: Schema[];
  discriminator?: string;
}
interface CheckDef {
  check: string;
  when?: unknown;
  value?: unknown;
  inclusive?: boolean;
  format?: string;
  minimum?: number;
  maximum?: number;
  length?: number;
  fn?: (value: unknown) => unknown;
}
interface Schema {
  _zod: { def: Def; values?: unknown };
}

const FAIL = FAST_PARSE_FAILED;

class Unsupported extends Error {}

function isPlainObjectValue(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Checks of a number or an array, as predicates; throws Unsupported for any other check. */
function compileChecks(def: Def, kind: "number" | "array"): ((v: never) => boolean)[] {
  const out: ((v: never) => boolean)[] = [];
  for (const check of def.checks ?? []) {
    const c = check._zod.def;
    if (c.when !== undefined) throw new Unsupported("conditional check");
    if (c.check === "custom" && typeof c.fn === "function") {
      const fn = c.fn;
      out.push((v: unknown) => {
        const r = fn(v);
        return !(r instanceof Promise) && Boolean(r);
      });
    } else if (kind === "number" && (c.check === "greater_than" || c.check === "less_than")) {
      const bound = c.value;
      if (typeof bound !== "number") throw new Unsupported("non-number bound");
      const inclusive = c.inclusive === true;
      out.push(
        c.check === "greater_than"
          ? (v: number) => (inclusive ? v >= bound : v > bound)
          : (v: number) => (inclusive ? v <= bound : v < bound),
      );
    } else if (kind === "number" && c.check === "number_format" && c.format === "safeint") {
      out.push((v: number) => Number.isSafeInteger(v));
    } else if (kind === "array" && c.check === "min_length" && typeof c.minimum === "number") {
      const min = c.minimum;
      out.push((v: unknown[]) => v.length >= min);
    } else if (kind === "array" && c.check === "max_length" && typeof c.maximum === "number") {
      const max = c.maximum;
      out.push((v: unknown[]) => v.length <= max);
    } else if (kind === "array" && c.check === "length_equals" && typeof c.length === "number") {
      const len = c.length;
      out.push((v: unknown[]) => v.length === len);
    } else {
      throw new Unsupported(`check ${c.check}`);
    }
  }
  return out;
}

function noChecks(def: Def): void {
  if ((def.checks?.length ?? 0) > 0) throw new Unsupported(`checks on ${def.type}`);
}

function compile(schema: Schema): Parser {
  const def = schema._zod.def;
  if (def.coerce) throw new Unsupported("coercion");
  switch (def.type) {
    case "string":
      noChecks(def);
      return (v) => (typeof v === "string" ? v : FAIL);
    case "boolean":
      noChecks(def);
      return (v) => (typeof v === "boolean" ? v : FAIL);
    case "number": {
      const checks = compileChecks(def, "number") as ((v: number) => boolean)[];
      return (v) => {
        if (typeof v !== "number" || !Number.isFinite(v)) return FAIL;
        for (const check of checks) if (!check(v)) return FAIL;
        return v;
      };
    }
    case "literal":
    case "enum": {
      noChecks(def);
      // The set of accepted values zod itself tests membership in.
      const values = schema._zod.values;
      if (!(values instanceof Set)) throw new Unsupported(`${def.type} without values`);
      return (v) => (values.has(v) ? v : FAIL);
    }
    case "nullable": {
      noChecks(def);
      const inner = compile(def.innerType as Schema);
      return (v) => (v === null ? null : inner(v));
    }
    case "optional": {
      // Only reached for array/tuple/record elements; object fields handle absence themselves.
      noChecks(def);
      const inner = compile(def.innerType as Schema);
      return (v) => (v === undefined ? FAIL : inner(v));
    }
    case "array": {
      const checks = compileChecks(def, "array") as ((v: unknown[]) => boolean)[];
      const element = compile(def.element as Schema);
      return (v) => {
        if (!Array.isArray(v)) return FAIL;
        let out: unknown[] | null = null; // copied from the first element that changes
        for (let i = 0; i < v.length; i++) {
          const r = element(v[i]);
          if (r === FAIL) return FAIL;
          if (out) out.push(r);
          else if (r !== v[i]) {
            out = v.slice(0, i);
            out.push(r);
          }
        }
        for (const check of checks) if (!check(v)) return FAIL;
        return out ?? v;
      };
    }
    case "tuple": {
      noChecks(def);
      if (def.rest !== null && def.rest !== undefined) throw new Unsupported("tuple rest");
      const items = (def.items ?? []).map((item) => {
        if (item._zod.def.type === "optional") throw new Unsupported("optional tuple item");
        return compile(item);
      });
      const n = items.length;
      return (v) => {
        if (!Array.isArray(v) || v.length !== n) return FAIL;
        let out: unknown[] | null = null; // copied from the first item that changes
        for (let i = 0; i < n; i++) {
          const r = (items[i] as Parser)(v[i]);
          if (r === FAIL) return FAIL;
          if (out) out.push(r);
          else if (r !== v[i]) {
            out = v.slice(0, i);
            out.push(r);
          }
        }
        return out ?? v;
      };
    }
    case "record": {
      noChecks(def);
      const keyDef = (def.keyType as Schema)._zod.def;
      if (keyDef.type !== "string" || (keyDef.checks?.length ?? 0) > 0 || keyDef.coerce)
        throw new Unsupported("record key");
      const value = compile(def.valueType as Schema);
      return (v) => {
        if (!isPlainObjectValue(v) || Object.getPrototypeOf(v) !== Object.prototype) return FAIL;
        let out: Record<string, unknown> | null = null; // copied from the first value that changes
        const keys = Reflect.ownKeys(v);
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i];
          if (typeof key !== "string" || key === "__proto__") return FAIL;
          const r = value(v[key]);
          if (r === FAIL) return FAIL;
          if (out) out[key] = r;
          else if (r !== v[key]) {
            out = {};
            for (let j = 0; j < i; j++) out[keys[j] as string] = v[keys[j] as string];
            out[key] = r;
          }
        }
        // Unchanged: the same keys in the same order, so the value itself is zod's output.
        return out ?? v;
      };
    }
    case "object":
      return compileObject(def);
    case "union":
      return compileDiscriminatedUnion(def);
    default:
      throw new Unsupported(def.type);
  }
}

function compileObject(def: Def): Parser {
  noChecks(def);
  if (def.catchall !== undefined) throw new Unsupported("object catchall");
  const fields = Object.entries(def.shape ?? {}).map(([key, field]) => {
    if (key === "__proto__") throw new Unsupported("__proto__ key");
    const fieldDef = field._zod.def;
    const optional = fieldDef.type === "optional";
    if (optional) noChecks(fieldDef);
    return {
      key,
      optional,
      parse: compile(optional ? (fieldDef.innerType as Schema) : field),
    };
  });
  return objectParser(fields);
}

/**
 * The parser of an object schema's fields, compiled to a function that reads each field by its
 * name: property loads with a constant name are fast where reading by a key in a variable is not
 * (this parser runs for every object of every run record). The names come from the schema, and
 * are quoted by JSON.stringify.
 */
function objectParser(fields: { key: string; optional: boolean; parse: Parser }[]): Parser {
  const body: string[] = [
    "return function parseObject(v) {",
    "  if (typeof v !== 'object' || v === null || Array.isArray(v)) return FAIL;",
    "  const out = {};",
    "  let same = true, count = 0, value, r;",
  ];
  for (const [i, { key, optional }] of fields.entries()) {
    const name = JSON.stringify(key);
    body.push(
      `  value = v[${name}];`,
      "  if (value === undefined) {",
      // JSON has no undefined: an absent optional key is absent in zod's output too; anything
      // else (a required key missing, an explicit undefined) is left to zod.
      optional ? `    if (${name} in v) return FAIL;` : "    return FAIL;",
      "  } else {",
      `    r = parse[${i}](value);`,
      "    if (r === FAIL) return FAIL;",
      "    if (r !== value) same = false;",
      `    out[${name}] = r;`,
      "    count++;",
      "  }",
    );
  }
  // The value itself when it holds exactly zod's output (no other keys, the schema's order):
  // then the copy dies young instead of both living on.
  body.push("  return same && sameKeys(v, out, count) ? v : out;", "};");
  const make = new Function("FAIL", "parse", "sameKeys", body.join("\n")) as (
    fail: typeof FAIL,
    parse: Parser[],
    same: typeof sameKeys,
  ) => Parser;
  return make(
    FAIL,
    fields.map((f) => f.parse),
    sameKeys,
  );
}

/** Whether `v` has exactly the keys of `out` (`count` of them), in the same order. */
function sameKeys(v: Record<string, unknown>, out: Record<string, unknown>, count: number): boolean {
  const theirs = Object.keys(v);
  if (theirs.length !== count) return false;
  let i = 0;
  for (const key in out) if (theirs[i++] !== key) return false;
  return Object.getPrototypeOf(v) === Object.prototype;
}

/** z.discriminatedUnion: the option whose literal discriminator holds the value parses it. */
function compileDiscriminatedUnion(def: Def): Parser {
  noChecks(def);
  const discriminator = def.discriminator;
  if (typeof discriminator !== "string") throw new Unsupported("plain union");
  const byValue = new Map<unknown, Parser>();
  for (const option of def.options ?? []) {
    const optionDef = option._zod.def;
    const tag = optionDef.type === "object" ? optionDef.shape?.[discriminator] : undefined;
    const tagDef = tag?._zod.def;
    if (tagDef?.type !== "literal") throw new Unsupported("discriminator is not a literal");
    const parse = compileObject(optionDef);
    for (const value of tagDef.values ?? []) {
      if (byValue.has(value)) throw new Unsupported("duplicate discriminator value");
      byValue.set(value, parse);
    }
  }
  return (v) => {
    if (!isPlainObjectValue(v)) return FAIL;
    const parse = byValue.get(v[discriminator]);
    return parse ? parse(v) : FAIL;
  };
}

/**
 * The fast parser of `schema`, or null when the schema uses something this module does not
 * compile (then validate with zod alone).
 */
export function compileFastParse<T>(
  schema: z.ZodType<T>,
): ((value: unknown) => T | typeof FAST_PARSE_FAILED) | null {
  try {
    return compile(schema as unknown as Schema) as (value: unknown) => T | typeof FAST_PARSE_FAILED;
  } catch (error) {
    if (error instanceof Unsupported) return null;
    throw error;
  }
}
