/** One line naming what to fix in a file that a zod schema rejected. */
import { z } from "zod";

type Issue = z.core.$ZodIssue;

/** `allocators.jem`, `params[2].max`: the path as a reader writes it. */
export function issuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

/**
 * Of a union's branches, the one the value most likely meant: not one that rejects the value's
 * type outright, and with the fewest complaints.
 */
function closestBranch(issue: Extract<Issue, { code: "invalid_union" }>): Issue[] | undefined {
  const branches = issue.errors.filter((b) => b.length > 0);
  const typed = branches.filter(
    (b) => !b.some((i) => i.code === "invalid_type" && i.path.length === 0),
  );
  const pool = typed.length > 0 ? typed : branches;
  return [...pool].sort((a, b) => a.length - b.length)[0];
}

/** The issue to report: inside a union, the closest branch's first, with the full path. */
function innermost(
  issue: Issue,
  prefix: readonly PropertyKey[] = [],
): { issue: Issue; path: PropertyKey[] } {
  const path = [...prefix, ...issue.path];
  if (issue.code === "invalid_union") {
    const branch = closestBranch(issue);
    const first = branch?.[0];
    if (first) return innermost(first, path);
  }
  return { issue, path };
}

/** Every object key a schema knows anywhere in it, for "did you mean". */
export function schemaKeys(schema: z.ZodType): Set<string> {
  const out = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== "object" || node === null) return;
    const n = node as Record<string, unknown>;
    const properties = n["properties"];
    if (typeof properties === "object" && properties !== null) {
      for (const [key, value] of Object.entries(properties)) {
        out.add(key);
        visit(value);
      }
    }
    for (const keyword of [
      "items",
      "prefixItems",
      "additionalProperties",
      "anyOf",
      "oneOf",
      "allOf",
    ])
      visit(n[keyword]);
    if (typeof n["$defs"] === "object" && n["$defs"] !== null)
      Object.values(n["$defs"]).forEach(visit);
  };
  // zod's public JSON Schema of the input; what it cannot express (transforms) is left open.
  visit(z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }));
  return out;
}

/** Edit distance counting a swap of two neighbours as one edit (optimal string alignment). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The known key closest to a misspelt one, when it is close enough to be the likely intent. */
export function didYouMean(key: string, known: Iterable<string>): string | undefined {
  if (key.length > 64) return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(1, Math.floor((best?.length ?? 0) / 3)) ? best : undefined;
}

/**
 * `file: path: what is wrong`, e.g. `bench.config.json: allocators.jem: unknown key "evn" (did you
 * mean "env"?)`.
 */
export function describeIssue(file: string, error: z.ZodError, schema?: z.ZodType): string {
  const first = error.issues[0];
  if (!first) return `${file}: invalid`;
  const { issue, path } = innermost(first);
  const where = issuePath(path) || "(top level)";
  if (issue.code === "unrecognized_keys") {
    const known = schema ? schemaKeys(schema) : new Set<string>();
    const keys = issue.keys.map((k) => {
      const hint = didYouMean(k, known);
      const shown = k.length > 80 ? `${k.slice(0, 80)}…` : k;
      return `"${shown}"${hint ? ` (did you mean "${hint}"?)` : ""}`;
    });
    return `${file}: ${where}: unknown key${keys.length > 1 ? "s" : ""} ${keys.join(", ")}`;
  }
  return `${file}: ${where}: ${issue.message}`;
}
