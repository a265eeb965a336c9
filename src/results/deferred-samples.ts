/**
 * Loading a results file without building every run's RSS timeline up front. A run's
 * `timeline.samples` is an array of [milliseconds, bytes] pairs, 20 to a few hundred per run,
 * and JSON.parse builds one array per pair: in a file of 100,000 runs, 2 million small arrays,
 * half the time JSON.parse took (2.0 s of 2.0-2.4 s, against 1.0 s with the sample arrays cut
 * out) and most of its garbage collection. A report reads the samples of one run per cell.
 *
 * So, for a caller that asks (`bench report`), the sample arrays are cut out of the text
 * before JSON.parse ({@link cutSamples}: each becomes a placeholder string naming its piece of
 * text, behind a tag this load draws at random) if it is written as the schema takes it
 * ({@link CUT}: pairs of a JSON number that cannot overflow and a JSON integer of at
 * most 15 digits, which is safe), and the piece is parsed when the caller reads the samples
 * through {@link timelineSamples}: the same array JSON.parse and the schema would have given.
 * (Not a getter on the timeline: redefining a property of 100,000 objects took 0.3 s and left
 * them in V8's slow dictionary mode.) A sample array the scan does not take (an exponent of
 * three digits, an integer written as 5.0, a bad value) stays in the text, for JSON.parse and
 * the schema to read as before.
 *
 * Anything else this is not sure of gives up, and the caller parses the whole text as before:
 * text that does not parse once cut, a placeholder anywhere but in a run's timeline, a file
 * the schema refuses. So a bad file still gets the error message of the full parse.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import type { ResultsFile, Timeline } from "./schema.js";

/** A results file's text with its runs' sample arrays cut out. */
export interface CutText {
  /** The text, each sample array replaced by the string `${tag}${index}`. */
  text: string;
  /** The sample arrays' text, by index. */
  pieces: string[];
  tag: string;
}

/** Files smaller than this are parsed whole: the cut would gain nothing worth its risk. */
export const CUT_MIN_CHARS = 1 << 20;

/** JSON whitespace (not `\s`, which takes other spaces that JSON rejects). */
const WS = "[ \\t\\n\\r]*";
/**
 * A JSON number >= 0 of at most two exponent digits: never beyond 1e100, so always finite, and
 * never negative, as the schema's sample times must be (a "-" leaves the array to the schema).
 */
const NONNEGATIVE = "(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]{1,2})?(?![0-9])";
/** A JSON integer of at most 15 digits, no fraction or exponent: below 2^53, a safe integer. */
const COUNT = "(?:0|[1-9][0-9]{0,14})(?![0-9.eE])";
const PAIR = `\\[${WS}${NONNEGATIVE}${WS},${WS}${COUNT}${WS}\\]`;

/**
 * A `"samples":` key and an array of sample pairs exactly as the schema takes them
 * (`z.array(z.tuple([nonnegative, count]))`), written so that it certainly parses to that. Inside a
 * JSON string a quote is escaped, so `"samples":` there reads `\"samples\":` and cannot match:
 * every match is an object's key. One pass of V8's regular expression engine: 0.4 s on the
 * 100,000-run file, against 0.45-0.66 s for the same scan written in JavaScript.
 */
const CUT = new RegExp(`"samples":${WS}(\\[${WS}(?:${PAIR}(?:${WS},${WS}${PAIR})*)?${WS}\\])`, "g");

/**
 * The text with its sample arrays cut out ({@link CUT}), or null when it has none (or is
 * small). A sample array written otherwise stays in the text, for JSON.parse and the schema.
 */
export function cutSamples(text: string): CutText | null {
  if (text.length < CUT_MIN_CHARS) return null;
  const tag = `\u0000mallocbench-samples-${randomBytes(8).toString("hex")}-`;
  const escapedTag = `\\u0000${tag.slice(1)}`; // the same, as JSON text
  const pieces: string[] = [];
  const cut = text.replace(CUT, (_match, array: string) => {
    pieces.push(array);
    return `"samples":"${escapedTag}${pieces.length - 1}"`;
  });
  return pieces.length === 0 ? null : { text: cut, pieces, tag };
}

/**
 * Prepare parsed JSON of a cut text for validation: every placeholder in a run's
 * `timeline.samples` (of `runs` arrays given by `runLists`) becomes an empty array, and its
 * piece is recorded by run index. Null when a placeholder names no piece or one already
 * claimed: then parse the whole text instead. Placeholders left anywhere else make validation
 * fail, or are unknown keys that validation drops.
 */
export function claimSamples(runLists: unknown[][], cut: CutText): (number | undefined)[][] | null {
  const claims: (number | undefined)[][] = [];
  const seen = new Set<number>();
  for (const runs of runLists) {
    const list: (number | undefined)[] = new Array<number | undefined>(runs.length);
    for (let i = 0; i < runs.length; i++) {
      const timeline = (runs[i] as { timeline?: { samples?: unknown } } | null)?.timeline;
      const samples = timeline?.samples;
      if (typeof samples !== "string" || !samples.startsWith(cut.tag)) continue;
      const index = Number(samples.slice(cut.tag.length));
      const piece = cut.pieces[index];
      if (piece === undefined || seen.has(index)) return null;
      seen.add(index);
      (timeline as { samples: unknown }).samples = [];
      list[i] = index;
    }
    claims.push(list);
  }
  return claims;
}

/** Sample arrays not parsed yet, by the timeline they belong to ({@link deferSamples}). */
const pending = new WeakMap<object, string>();

/**
 * Leave the validated runs' claimed samples unparsed: their `samples` stay empty arrays, and
 * {@link timelineSamples} parses them when asked. Only for callers that read samples through
 * it (the report's model), never for a file that is written back.
 */
export function deferSamples(
  sets: ResultsFile[],
  claims: (number | undefined)[][],
  cut: CutText,
): void {
  sets.forEach((set, s) => {
    const list = claims[s] ?? [];
    set.runs.forEach((run, i) => {
      const index = list[i];
      if (index !== undefined && run.timeline) pending.set(run.timeline, cut.pieces[index] as string);
    });
  });
}

/**
 * A timeline's samples: parsed now if they were deferred ({@link deferSamples}), then kept in
 * the timeline as usual.
 */
export function timelineSamples(timeline: Timeline): Timeline["samples"] {
  const piece = pending.get(timeline);
  if (piece === undefined) return timeline.samples;
  pending.delete(timeline);
  timeline.samples = JSON.parse(piece) as Timeline["samples"];
  return timeline.samples;
}
