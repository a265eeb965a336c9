import { UsageError } from "../errors.js";

/**
 * Lengths no file mallocbench writes comes near: names, paths and other one-line fields fit in
 * PATH_MAX; free text (failure messages, stderr tails, reasons) is clipped to a few KiB when
 * recorded. A longer string is a hand-made or damaged file, and would otherwise flow whole into
 * every table row, chart and message that shows it.
 */
export const FIELD_MAX_CHARS = 4096;
export const TEXT_MAX_CHARS = 65_536;
/** Results files nest about eight levels; anything deeper is not one. */
export const MAX_DEPTH = 64;

/** Fields holding free text rather than a name or a path. */
const TEXT_FIELDS = new Set([
  "message",
  "stderrTail",
  "stderr",
  "reason",
  "description",
  "warnings",
  "evidence",
  "perfUnavailable",
  "error",
  "note",
  "output",
]);

function fieldPath(parts: readonly (string | number)[]): string {
  let out = "";
  for (const part of parts) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out || "(root)";
}

function holdsStringOrObject(list: unknown[]): boolean {
  for (let i = 0; i < list.length; i++) {
    const t = typeof list[i];
    if (t === "string" || t === "object") return true;
  }
  return false;
}

/**
 * Throws a UsageError naming the first string (value or key) longer than its limit, or the first
 * value nested deeper than MAX_DEPTH. Iterative with one frame per level, so neither a hostile
 * nesting nor a file of many runs costs more than MAX_DEPTH frames.
 */
export function checkStringLimits(
  value: unknown,
  source: string,
  what = "not a mallocbench results file",
  fix = "",
): void {
  interface Frame {
    container: Record<string, unknown> | unknown[];
    keys: string[] | null; // null for an array
    next: number;
    text: boolean;
  }
  const stack: Frame[] = [];
  const path = (last: string | number): string =>
    fieldPath([
      ...stack.map((f) => (f.keys ? (f.keys[f.next - 1] as string) : f.next - 1)).slice(0, -1),
      last,
    ]);
  const fail = (last: string | number, problem: string): never => {
    throw new UsageError(`${source}: ${what}: field ${path(last)}: ${problem}${fix}`);
  };
  const visit = (v: unknown, key: string | number, text: boolean): void => {
    if (typeof v === "string") {
      const max = text ? TEXT_MAX_CHARS : FIELD_MAX_CHARS;
      if (v.length > max) fail(key, `${v.length} characters long, above the limit of ${max}`);
      return;
    }
    if (typeof v !== "object" || v === null) return;
    if (stack.length >= MAX_DEPTH) fail(key, `nested more than ${MAX_DEPTH} levels deep`);
    // Arrays of numbers (RSS samples: millions of pairs in a large file) need no frame.
    if (Array.isArray(v) && !holdsStringOrObject(v)) return;
    const keys = Array.isArray(v) ? null : Object.keys(v);
    stack.push({ container: v as Frame["container"], keys, next: 0, text });
  };
  visit(value, "", false);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as Frame;
    const { container, keys } = frame;
    if (keys === null) {
      const list = container as unknown[];
      if (frame.next >= list.length) {
        stack.pop();
        continue;
      }
      const i = frame.next++;
      visit(list[i], i, frame.text);
    } else {
      if (frame.next >= keys.length) {
        stack.pop();
        continue;
      }
      const key = keys[frame.next++] as string;
      if (key.length > FIELD_MAX_CHARS)
        fail(
          `${key.slice(0, 40)}…`,
          `a key ${key.length} characters long, above the limit of ${FIELD_MAX_CHARS}`,
        );
      visit((container as Record<string, unknown>)[key], key, frame.text || TEXT_FIELDS.has(key));
    }
  }
}
