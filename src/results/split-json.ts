/**
 * Splitting a results file's JSON into pieces that parse on their own, so several threads can
 * parse one large file side by side (see ./parallel-load.ts).
 *
 * A results file is one object whose `runs` array holds nearly all of its bytes. It is cut
 * between two run records, where the bytes read `}`, `,`, `{` (whitespace allowed between):
 * - the head, `{ ...keys before runs..., "runs": [ first runs` + `]}`, is an object whose last
 *   key is `runs`;
 * - a middle piece, `{"runs":[` + `runs` + `]}`, is an object with the one key `runs`;
 * - the last piece, `{"runs":[` + `last runs ], ...keys after runs }`, is an object whose first
 *   key is `runs`.
 * A cut anywhere else cannot give these: inside a string, a piece ends in an unterminated
 * string; at another depth, its brackets do not balance; between the elements of another
 * top-level array, the head's last key is not `runs`. So the pieces are checked, and anything
 * unexpected returns null: the caller parses the whole file the ordinary way.
 *
 * @module
 */

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;
const QUOTE = 0x22;

function isSpace(b: number | undefined): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** A cut between two records: the head piece ends at `end` (exclusive), the next starts at `start`. */
export interface Cut {
  end: number;
  start: number;
}

/** How far past its target a cut is looked for (a run record is a few KB). */
const SEARCH_BYTES = 4 * 2 ** 20;

/**
 * The first `}` , `{` boundary at or after `from` whose `{` opens an object with a key (the next
 * byte after whitespace is a quote), within {@link SEARCH_BYTES}; null if there is none.
 */
export function findCut(bytes: Uint8Array, from: number): Cut | null {
  const limit = Math.min(bytes.length, from + SEARCH_BYTES);
  for (let i = bytes.indexOf(CLOSE_BRACE, from); i !== -1 && i < limit; ) {
    let j = i + 1;
    while (isSpace(bytes[j])) j++;
    if (bytes[j] === COMMA) {
      j++;
      while (isSpace(bytes[j])) j++;
      if (bytes[j] === OPEN_BRACE) {
        let k = j + 1;
        while (isSpace(bytes[k])) k++;
        if (bytes[k] === QUOTE) return { end: i + 1, start: j };
      }
    }
    i = bytes.indexOf(CLOSE_BRACE, i + 1);
  }
  return null;
}

/**
 * Cuts that split `bytes` into `parts` pieces of about equal size (`weights`, if given, sets the
 * share of each piece); null if a piece would have no cut.
 */
export function findCuts(bytes: Uint8Array, parts: number, weights?: number[]): Cut[] | null {
  const w = weights ?? Array.from({ length: parts }, () => 1);
  const total = w.reduce((a, b) => a + b, 0);
  const cuts: Cut[] = [];
  let share = 0;
  let from = 0;
  for (let i = 0; i < parts - 1; i++) {
    share += w[i] as number;
    const target = Math.max(from, Math.floor((bytes.length * share) / total));
    const cut = findCut(bytes, target);
    if (!cut) return null;
    cuts.push(cut);
    from = cut.start;
  }
  return cuts;
}

export const PIECE_PREFIX = '{"runs":[';
export const HEAD_SUFFIX = "]}";

/** Byte ranges of the pieces for these cuts, with the text to put around each. */
export function pieces(
  length: number,
  cuts: Cut[],
): { from: number; to: number; prefix: string; suffix: string }[] {
  const out: { from: number; to: number; prefix: string; suffix: string }[] = [];
  let from = 0;
  for (const [i, cut] of cuts.entries()) {
    out.push({ from, to: cut.end, prefix: i === 0 ? "" : PIECE_PREFIX, suffix: HEAD_SUFFIX });
    from = cut.start;
  }
  out.push({ from, to: length, prefix: cuts.length === 0 ? "" : PIECE_PREFIX, suffix: "" });
  return out;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The runs of a parsed piece, if it has the shape its position requires (else null). */
export function runsOfPiece(value: unknown, position: "head" | "middle" | "last"): unknown[] | null {
  if (!isObject(value)) return null;
  const keys = Object.keys(value);
  const runs = value["runs"];
  if (!Array.isArray(runs)) return null;
  if (position === "head" && keys[keys.length - 1] !== "runs") return null;
  if (position === "middle" && keys.length !== 1) return null;
  if (position === "last" && keys[0] !== "runs") return null;
  return runs;
}

/**
 * The whole file's object from its parsed head and last piece and every run in order; null if
 * a key appears in both (the file's keys are not what the pieces suggest).
 */
export function assemble(head: Json, last: Json, runs: unknown[]): Json | null {
  const out: Json = {};
  for (const key of Object.keys(head)) if (key !== "runs") setOwn(out, key, head[key]);
  setOwn(out, "runs", runs);
  for (const key of Object.keys(last)) {
    if (key === "runs") continue;
    if (Object.prototype.hasOwnProperty.call(out, key)) return null;
    setOwn(out, key, last[key]);
  }
  return out;
}

/** An own property, as JSON.parse defines it (a key "__proto__" does not set the prototype). */
function setOwn(target: Json, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * Whether a piece after the head may hold a second `runs` key at the top level, which JSON.parse
 * would let override the first (a `"runs"` token anywhere in the piece: a key or a string
 * value). Such a file is parsed whole.
 */
export function mentionsRuns(text: string, offset: number): boolean {
  return text.indexOf('"runs"', offset) !== -1;
}
