/**
 * A compact form of parsed JSON for moving many records from a worker thread to the main
 * thread. Structured cloning (what `postMessage` does) costs the receiving thread about as much
 * as parsing the JSON again; this form does not: numbers travel in one Float64Array, tags and
 * references in typed arrays (transferred, not copied), each distinct string and each distinct
 * object shape (its keys, in order) once. The receiver rebuilds every object of a shape with one
 * compiled object literal, so objects of the same shape share V8's hidden class as JSON.parse
 * would give them.
 *
 * `decodeJson(encodeJson(v))` is a deep copy of `v` for any JSON value (what JSON.parse can
 * return): same keys in the same order, same values (`-0` included).
 *
 * @module
 */

const NULL = 0;
const FALSE = 1;
const TRUE = 2;
const NUMBER = 3;
const STRING = 4;
const ARRAY = 5;
const OBJECT = 6;

export interface EncodedJson {
  /** One per value, in depth-first order. */
  tags: Uint8Array;
  /** One per number. */
  numbers: Float64Array;
  /** One per string (index into `strings`), array (its length) and object (index into `shapes`). */
  refs: Uint32Array;
  strings: string[];
  /** The keys of each object shape, in order. */
  shapes: string[][];
}

/** The typed arrays of an encoding, for `postMessage`'s transfer list. */
export function transferables(encoded: EncodedJson): ArrayBuffer[] {
  return [encoded.tags.buffer, encoded.numbers.buffer, encoded.refs.buffer] as ArrayBuffer[];
}

/** Encode a JSON value (throws on anything JSON.parse cannot return, such as undefined). */
export function encodeJson(value: unknown): EncodedJson {
  let tags = new Uint8Array(1 << 16);
  let numbers = new Float64Array(1 << 14);
  let refs = new Uint32Array(1 << 14);
  let nTags = 0;
  let nNumbers = 0;
  let nRefs = 0;
  const strings: string[] = [];
  const stringIndex = new Map<string, number>();
  const shapes: string[][] = [];
  // Shapes by their key count and first key, then compared key by key: cheaper than joining the
  // keys of every object into one lookup string.
  const shapeIndex = new Map<number, Map<string | undefined, number[]>>();
  const shapeOf = (keys: string[]): number => {
    let byFirst = shapeIndex.get(keys.length);
    if (!byFirst) shapeIndex.set(keys.length, (byFirst = new Map()));
    let candidates = byFirst.get(keys[0]);
    if (!candidates) byFirst.set(keys[0], (candidates = []));
    for (const c of candidates) {
      const known = shapes[c] as string[];
      let same = true;
      for (let i = 1; i < keys.length; i++) {
        if (known[i] !== keys[i]) {
          same = false;
          break;
        }
      }
      if (same) return c;
    }
    shapes.push(keys);
    candidates.push(shapes.length - 1);
    return shapes.length - 1;
  };

  const tag = (t: number): void => {
    if (nTags === tags.length) {
      const grown = new Uint8Array(nTags * 2);
      grown.set(tags);
      tags = grown;
    }
    tags[nTags++] = t;
  };
  const ref = (r: number): void => {
    if (nRefs === refs.length) {
      const grown = new Uint32Array(nRefs * 2);
      grown.set(refs);
      refs = grown;
    }
    refs[nRefs++] = r;
  };

  const visit = (v: unknown): void => {
    switch (typeof v) {
      case "number": {
        tag(NUMBER);
        if (nNumbers === numbers.length) {
          const grown = new Float64Array(nNumbers * 2);
          grown.set(numbers);
          numbers = grown;
        }
        numbers[nNumbers++] = v;
        return;
      }
      case "string": {
        tag(STRING);
        let i = stringIndex.get(v);
        if (i === undefined) {
          i = strings.length;
          strings.push(v);
          stringIndex.set(v, i);
        }
        ref(i);
        return;
      }
      case "boolean":
        tag(v ? TRUE : FALSE);
        return;
      case "object": {
        if (v === null) {
          tag(NULL);
          return;
        }
        if (Array.isArray(v)) {
          tag(ARRAY);
          ref(v.length);
          for (const item of v as unknown[]) visit(item);
          return;
        }
        const keys = Object.keys(v);
        const s = shapeOf(keys);
        tag(OBJECT);
        ref(s);
        const record = v as Record<string, unknown>;
        for (const key of keys) visit(record[key]);
        return;
      }
      default:
        throw new TypeError(`not a JSON value: ${typeof v}`);
    }
  };
  visit(value);
  return {
    tags: tags.slice(0, nTags),
    numbers: numbers.slice(0, nNumbers),
    refs: refs.slice(0, nRefs),
    strings,
    shapes,
  };
}

/** Builds one object of a shape, reading its values (in key order) from `next`. */
type Maker = (next: () => unknown) => Record<string, unknown>;

/** Shapes beyond this many are rebuilt key by key (each compiled maker costs a compilation). */
const MAX_COMPILED_SHAPES = 4096;

/**
 * One object literal per shape: V8 builds such an object with its final hidden class at once.
 * The keys come from the data and are quoted by JSON.stringify, so no key can be read as code.
 * A shape with a key `"__proto__"` is built key by key instead ({@link genericMaker}): in a
 * literal that key would set the prototype, where JSON.parse defines an own property.
 */
function compileMaker(keys: readonly string[]): Maker {
  if (keys.includes("__proto__")) return genericMaker(keys);
  const fields = keys.map((k) => `${JSON.stringify(k)}: next()`).join(", ");
  return new Function("next", `return { ${fields} };`) as Maker;
}

/** The same, key by key, for shapes past {@link MAX_COMPILED_SHAPES}. */
function genericMaker(keys: readonly string[]): Maker {
  return (next) => {
    const out: Record<string, unknown> = {};
    for (const key of keys)
      Object.defineProperty(out, key, {
        value: next(),
        writable: true,
        enumerable: true,
        configurable: true,
      });
    return out;
  };
}

/** The value {@link encodeJson} encoded (throws on a malformed encoding). */
export function decodeJson(encoded: EncodedJson): unknown {
  const { tags, numbers, refs, strings, shapes } = encoded;
  const makers: (Maker | undefined)[] = new Array<Maker | undefined>(shapes.length);
  let t = 0;
  let n = 0;
  let r = 0;
  const next = (): unknown => {
    const kind = tags[t++];
    if (kind === NUMBER) {
      if (n >= numbers.length) throw new RangeError("malformed encoding: numbers");
      return numbers[n++];
    }
    if (kind === STRING) {
      const s = strings[refs[r++] as number];
      if (s === undefined) throw new RangeError("malformed encoding: strings");
      return s;
    }
    if (kind === OBJECT) {
      const index = refs[r++] as number;
      let make = makers[index];
      if (make === undefined) {
        const keys = shapes[index];
        if (keys === undefined) throw new RangeError("malformed encoding: shapes");
        make = index < MAX_COMPILED_SHAPES ? compileMaker(keys) : genericMaker(keys);
        makers[index] = make;
      }
      return make(next);
    }
    if (kind === ARRAY) {
      const length = refs[r++] as number;
      const out = new Array<unknown>(length);
      for (let i = 0; i < length; i++) out[i] = next();
      return out;
    }
    if (kind === NULL) return null;
    if (kind === TRUE) return true;
    if (kind === FALSE) return false;
    throw new RangeError("malformed encoding: tags");
  };
  const value = next();
  if (t !== tags.length || n !== numbers.length || r !== refs.length)
    throw new RangeError("malformed encoding: trailing values");
  return value;
}
