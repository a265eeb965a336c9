/**
 * Allocator variants: one allocator run with settings in its environment, under its own name,
 * side by side with its base (docs/variants.md).
 *
 * Command line: `--variant NAME=BASE[:KEY=VALUE]`, repeatable. Everything after the first `=`
 * that follows KEY is the value, verbatim, so values may hold `,` `:` and `=`
 * (`MALLOC_CONF=narenas:2,tcache:false`). Give the flag again with the same NAME and BASE
 * to set more variables. Config file: `"allocators": { NAME: { "base": BASE, "env": {...} } }`.
 */
import { UsageError } from "../errors.js";
import { checkAllocatorName } from "./specs.js";
import type { AllocatorSpec } from "./types.js";

export interface VariantDef {
  name: string;
  base: string;
  /** The settings the variant adds to its base's environment. */
  env: Record<string, string>;
}

const FLAG = "--variant";
const ENV_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Throws UsageError when `key` cannot be a variant setting. */
export function checkVariantKey(key: string, where: string): void {
  if (!ENV_KEY_RE.test(key))
    throw new UsageError(
      `${where}: "${key}" is not an environment variable name (letters, digits and _, not starting with a digit)`,
    );
  if (key.startsWith("LD_"))
    throw new UsageError(
      `${where}: ${key} cannot be set by a variant (the harness sets LD_PRELOAD itself; the dynamic loader's variables would change what is measured)`,
    );
}

/**
 * Parse one `NAME=BASE[:KEY=VALUE]`.
 * @throws UsageError (one line naming --variant) for bad syntax, names or keys.
 */
export function parseVariantArg(arg: string): VariantDef {
  const usage = `${FLAG} "${arg}": expected NAME=BASE or NAME=BASE:KEY=VALUE (e.g. scudo-nozero=scudo:SCUDO_OPTIONS=zero_contents=0)`;
  const eq = arg.indexOf("=");
  if (eq < 0) throw new UsageError(usage);
  const name = arg.slice(0, eq).trim();
  const rest = arg.slice(eq + 1);
  const colon = rest.indexOf(":");
  const base = (colon < 0 ? rest : rest.slice(0, colon)).trim();
  if (name === "" || base === "") throw new UsageError(usage);
  checkAllocatorName(name, FLAG);
  if (!/^[a-z0-9][a-z0-9._@+-]*$/i.test(base))
    throw new UsageError(`${FLAG} "${arg}": "${base}" is not an allocator name`);
  const env: Record<string, string> = {};
  if (colon >= 0) {
    const assignment = rest.slice(colon + 1);
    const keyEnd = assignment.indexOf("=");
    if (keyEnd <= 0) throw new UsageError(usage);
    const key = assignment.slice(0, keyEnd);
    checkVariantKey(key, `${FLAG} "${arg}"`);
    env[key] = assignment.slice(keyEnd + 1);
  }
  return { name, base, env };
}

/**
 * Fold definitions that share a name into one (the same NAME repeated adds settings).
 * @throws UsageError when one name is given two bases, or one variable two values.
 */
export function mergeVariantDefs(defs: readonly VariantDef[], where = FLAG): VariantDef[] {
  const out = new Map<string, VariantDef>();
  for (const d of defs) {
    const seen = out.get(d.name);
    if (!seen) {
      out.set(d.name, { name: d.name, base: d.base, env: { ...d.env } });
      continue;
    }
    if (seen.base !== d.base)
      throw new UsageError(
        `${where}: variant "${d.name}" is given two bases, ${seen.base} and ${d.base}`,
      );
    for (const [k, v] of Object.entries(d.env)) {
      if (k in seen.env && seen.env[k] !== v)
        throw new UsageError(`${where}: variant "${d.name}" sets ${k} twice, to different values`);
      seen.env[k] = v;
    }
  }
  return [...out.values()];
}

/** The variants given with --variant, merged. */
export function parseVariantArgs(args: readonly string[]): VariantDef[] {
  return mergeVariantDefs(args.map(parseVariantArg));
}

/**
 * Config-file and command-line variants together: a command-line definition replaces the
 * config file's of the same name.
 */
export function combineVariants(
  fromConfig: readonly VariantDef[],
  fromFlags: readonly VariantDef[],
): VariantDef[] {
  const flagNames = new Set(fromFlags.map((v) => v.name));
  return [...fromConfig.filter((v) => !flagNames.has(v.name)), ...fromFlags];
}

/**
 * The AllocatorSpecs of `defs` against the allocators available: each is its base (library,
 * libc, family, version) with the variant's settings added to the base's environment. A base
 * may be an earlier variant.
 * @throws UsageError for an unknown base or a name already taken.
 */
export function applyVariants(
  defs: readonly VariantDef[],
  available: readonly AllocatorSpec[],
): AllocatorSpec[] {
  const byName = new Map(available.map((a) => [a.name, a] as const));
  const out: AllocatorSpec[] = [];
  for (const d of defs) {
    if (byName.has(d.name))
      throw new UsageError(
        `${FLAG} ${d.name}=${d.base}: the name "${d.name}" is already an allocator; choose another name`,
      );
    const base = byName.get(d.base);
    if (!base) {
      const valid = [...byName.keys()].join(", ");
      throw new UsageError(
        `${FLAG} ${d.name}=${d.base}: unknown base allocator "${d.base}" (valid: ${valid})`,
      );
    }
    const spec: AllocatorSpec = {
      ...base,
      name: d.name,
      env: { ...base.env, ...d.env },
      variant: { base: base.name, env: { ...d.env } },
    };
    byName.set(d.name, spec);
    out.push(spec);
  }
  return out;
}

/** `KEY=VALUE KEY2=VALUE2`, for lists and summaries. */
export function formatSettings(env: Record<string, string>): string {
  const parts = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? parts.join(" ") : "(no settings)";
}

/**
 * The variants of a config file's `allocators` (entries with `base`), validated like
 * --variant. Entries with `lib` (or a bare path) are user allocators, not variants.
 */
export function variantsFromConfig(
  allocators: Record<
    string,
    string | { lib: string } | { base: string; env?: Record<string, string> }
  >,
  where = "bench.config.json",
): VariantDef[] {
  const out: VariantDef[] = [];
  for (const [name, value] of Object.entries(allocators)) {
    if (typeof value === "string" || !("base" in value)) continue;
    checkAllocatorName(name, `${where}: allocators.${name}`);
    const env = value.env ?? {};
    for (const key of Object.keys(env)) checkVariantKey(key, `${where}: allocators.${name}.env`);
    out.push({ name, base: value.base, env: { ...env } });
  }
  return out;
}

/** One line per variant or harness-built allocator, for summaries: what the name stands for. */
export function allocatorNotes(
  allocators: readonly {
    name: string;
    lib?: string;
    builtFrom?: string;
    variant?: { base: string; env: Record<string, string> };
  }[],
): string[] {
  const out: string[] = [];
  for (const a of allocators) {
    if (a.variant)
      out.push(`${a.name}: variant of ${a.variant.base} with ${formatSettings(a.variant.env)}`);
    else if (a.builtFrom)
      out.push(`${a.name}: ${a.lib ?? ""}, built by the harness from ${a.builtFrom}`);
  }
  return out;
}
