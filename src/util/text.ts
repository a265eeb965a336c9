/**
 * Text from results files, configs and the command line, made safe for where it is shown. Every
 * function here is one pass over its input (single-character classes, no backtracking), so a
 * hostile or huge string costs time in proportion to its length.
 */
import { sha256Hex } from "./hash.js";

/**
 * Characters a terminal, a spreadsheet or a reader would act on instead of showing: C0 controls,
 * DEL, C1 controls (U+0080-U+009F, including the 8-bit CSI), line and paragraph separators, and
 * the invisible format characters that reorder or hide text (bidi embeddings, overrides and
 * isolates, the Arabic letter mark, zero-width characters, the byte order mark).
 */
const CONTROL =
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]/g;
/** The same, except tab and line feed (the layout of multi-line text). */
const CONTROL_EXCEPT_LAYOUT =
  // eslint-disable-next-line no-control-regex -- as above
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]/g;

/** `\u001b` for ESC: visible, and the same escape JSON uses, so JSON text stays valid JSON. */
function visible(c: string): string {
  let escaped = ESCAPES.get(c);
  if (escaped === undefined)
    ESCAPES.set(c, (escaped = `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
  return escaped;
}
const ESCAPES = new Map<string, string>();

/** Every control and invisible format character written as a visible `\uXXXX` escape. */
export function showControls(text: string): string {
  return text.replace(CONTROL, visible);
}

/**
 * Text for a terminal or a log: line feeds and tabs lay it out, every other control character
 * (ESC and the sequences it starts, CR that overwrites a line, bidi overrides) is made visible.
 */
export function terminalText(text: string): string {
  return text.replace(CONTROL_EXCEPT_LAYOUT, visible);
}

/** Text from input written to stdout or stderr, neutralised by {@link terminalText}. */
export function writeOut(text: string): void {
  process.stdout.write(terminalText(text));
}

export function writeErr(text: string): void {
  process.stderr.write(terminalText(text));
}

/** Backslash-escaped: every character that could start Markdown or GFM syntax in running text. */
const MARKDOWN_SPECIAL = /[\\`*_[\]|~#!]/g;

/**
 * Escape text from results files: no HTML passes through, no Markdown syntax is formed, no
 * control or bidi character is hidden in it (shown as `\uXXXX`), and it stays on one line.
 * Single-character replacements only, so linear in the text's length.
 */
export function escapeMarkdown(text: string): string {
  return showControls(text.replace(/[\r\n]+/g, " "))
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(MARKDOWN_SPECIAL, (c) => `\\${c}`);
}

const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * One CSV cell (RFC 4180): controls made visible, so every record is one line; a text cell that
 * a spreadsheet would read as a formula (starting with = + - @, tab or CR) gets a leading `'`
 * (OWASP's CSV injection guidance); quoted when it holds a comma, a quote or edge spaces.
 * Numbers are written as they are.
 */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  let text = showControls(String(value));
  if (FORMULA_START.test(text) && !PLAIN_NUMBER.test(text)) text = `'${text}`;
  return /[",]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Labels in charts are at most this long; longer ones are cut, see {@link clipLabel}. */
export const LABEL_MAX = 120;

/**
 * A label for a chart: as it is when short; otherwise its start, an ellipsis and a hash of the
 * whole, so that two long names that share a start stay two labels.
 */
/**
 * An error line quoting input (a 100 KB --param value) keeps its start, which names the
 * problem, and its end, which says the fix.
 */
export function clipMiddle(text: string, max = 2000): string {
  if (text.length <= max) return text;
  const head = Math.floor(max * 0.6);
  const tail = max - head - 40;
  return `${text.slice(0, head)}[… ${text.length - head - tail} characters left out …]${text.slice(text.length - tail)}`;
}

export function clipLabel(text: string, max = LABEL_MAX): string {
  if (text.length <= max) return text;
  let cut = max - 12;
  // Not between the halves of a surrogate pair.
  if (/[\ud800-\udbff]/.test(text.charAt(cut - 1))) cut -= 1;
  return `${text.slice(0, cut)}…${sha256Hex(text).slice(0, 10)}`;
}
