/**
 * The report's one ratio convention: every ratio is candidate / baseline, and is shown folded to
 * at least 1 with the word saying which way it points ("2.40x faster", "1.30x more memory",
 * "1.00x: no difference"), so no reader has to know which side of 1 is better.
 */

/** The direction words of one metric: below 1, above 1. */
export interface DirectionWords {
  below: string;
  above: string;
}

export const TIME_WORDS: DirectionWords = { below: "faster", above: "slower" };
export const MEMORY_WORDS: DirectionWords = { below: "less memory", above: "more memory" };

export const NO_DIFFERENCE = "no difference";

/** Words for a metric named by the report ("time", "peak RSS"). */
export function wordsFor(metric: "time" | "peak RSS"): DirectionWords {
  return metric === "time" ? TIME_WORDS : MEMORY_WORDS;
}

/** 3 significant figures at most, 2 decimals below 10. */
export function foldedNumber(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** The ratio folded to >= 1 with its direction word: "2.40x faster", "1.00x: no difference". */
export function directed(ratio: number, words: DirectionWords): string {
  const folded = ratio < 1 ? 1 / ratio : ratio;
  const text = foldedNumber(folded);
  if (text === "1.00") return `1.00x: ${NO_DIFFERENCE}`;
  return `${text}x ${ratio < 1 ? words.below : words.above}`;
}

/**
 * A ratio interval in the same convention: "2.10-2.70x faster" when it lies on one side of 1,
 * "1.20x faster to 1.10x slower" when it contains 1.
 */
export function directedInterval(lower: number, upper: number, words: DirectionWords): string {
  if (upper < 1) return `${foldedNumber(1 / upper)}-${foldedNumber(1 / lower)}x ${words.below}`;
  if (lower > 1) return `${foldedNumber(lower)}-${foldedNumber(upper)}x ${words.above}`;
  return `${directed(lower, words)} to ${directed(upper, words)}`;
}

/**
 * A Vega expression labelling a log ratio axis tick in the same convention ("2x faster",
 * "1x" at the reference line), so no bare ratio appears on a chart either.
 */
export function axisLabelExpr(words: DirectionWords): string {
  // Compact: chart specs cut strings beyond 120 characters (src/util/text.ts, LABEL_MAX).
  const f = (v: string): string => `format(${v},'.2~r')`;
  return (
    `datum.value<1?${f("1/datum.value")}+'x ${words.below}':` +
    `datum.value>1?${f("datum.value")}+'x ${words.above}':'1x: same'`
  );
}

/** Footnote mark of cells whose ratio of medians points the other way from the HL estimate. */
export const BIMODAL_MARK = "‡";

export function bimodalNote(words: DirectionWords): string {
  return `${BIMODAL_MARK} The ratio of the medians points the other way (${words.below} against ${words.above}) from the Hodges-Lehmann estimate shown: the runs fall into separate clusters (bimodal), so the two summaries disagree; see the distribution chart.`;
}

/**
 * Whether the median ratio and the HL estimate point in opposite directions, each by more than
 * the rounding of the numbers shown.
 */
export function disagrees(hl: number, medianRatio: number): boolean {
  const side = (r: number): number => (r < 0.995 ? -1 : r > 1.005 ? 1 : 0);
  return side(hl) * side(medianRatio) < 0;
}
