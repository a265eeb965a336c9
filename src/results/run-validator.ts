/**
 * Run records checked by a compiled validator generated from the zod schema. A results file
 * holds up to a million runs, and zod's parse allocates a result for every field it checks;
 * ajv compiles the whole record into one function instead.
 *
 * `RunRecordSchema` stays the definition: zod's public `z.toJSONSchema` turns it into a JSON
 * Schema, and ajv compiles that once, on first use. ajv only accepts: a run it refuses is parsed
 * by zod, whose first issue names the field and what is wrong, so every error message is zod's.
 * test/unit/results/run-validator.test.ts checks that whatever ajv accepts zod accepts too, as
 * the same value.
 *
 * @module
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { z } from "zod";
import { RunRecordSchema, type RunRecord } from "./schema.js";

/** The property run records are a union on (OkRunSchema, FailedRunSchema). */
const DISCRIMINATOR = "status";

type JsonSchema = { [key: string]: unknown };

function isObject(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A record (an object schema whose `additionalProperties` is a schema) refuses the key
 * `__proto__`: zod's record leaves it out of its output, so such a run goes to zod.
 */
function refuseProtoKeys(node: unknown): void {
  if (Array.isArray(node)) for (const item of node) refuseProtoKeys(item);
  if (!isObject(node)) return;
  for (const value of Object.values(node)) refuseProtoKeys(value);
  if (isObject(node["additionalProperties"]))
    node["propertyNames"] = { ...(node["propertyNames"] as object), not: { const: "__proto__" } };
}

/**
 * The JSON Schemas ajv compiles, by the value of `status` they take: zod's, one per branch of
 * the union. Each branch is compiled on its own, and the run's `status` picks the one to run:
 * ajv inlines a union's branches into one function, too large for V8 to optimise.
 */
export function runRecordJsonSchemas(): Map<unknown, JsonSchema> {
  // "output": objects that strip unknown keys say `additionalProperties: false`.
  const { oneOf } = z.toJSONSchema(RunRecordSchema, { io: "output" }) as JsonSchema;
  const byTag = new Map<unknown, JsonSchema>();
  for (const branch of Array.isArray(oneOf) ? oneOf : []) {
    const properties = isObject(branch) ? branch["properties"] : undefined;
    const tag = isObject(properties) ? properties[DISCRIMINATOR] : undefined;
    if (!isObject(branch) || !isObject(tag) || !("const" in tag) || byTag.has(tag["const"]))
      throw new Error(
        `RunRecordSchema is no longer a union on "${DISCRIMINATOR}": update src/results/run-validator.ts`,
      );
    refuseProtoKeys(branch);
    byTag.set(tag["const"], branch);
  }
  if (byTag.size === 0)
    throw new Error(
      `RunRecordSchema is no longer a union on "${DISCRIMINATOR}": update src/results/run-validator.ts`,
    );
  return byTag;
}

let schemas: Map<unknown, JsonSchema> | undefined;
const compiled = new Map<unknown, ValidateFunction>();
let ajv: Ajv2020 | undefined;

/** The validator of runs whose `status` is `tag` (undefined for none), compiled on first use. */
function validatorFor(tag: unknown): ValidateFunction | undefined {
  const known = compiled.get(tag);
  if (known) return known;
  schemas ??= runRecordJsonSchemas();
  const schema = schemas.get(tag);
  if (!schema) return undefined;
  ajv ??= new Ajv2020({
    // Unknown keys are deleted, as zod's objects leave them out of their output.
    removeAdditional: true,
    // NaN and the infinities are not numbers (zod refuses them too).
    strictNumbers: true,
    // The schema is zod's output; the unit tests compile it against the meta-schema. Checking
    // it again here would double the time each load spends compiling.
    validateSchema: false,
  });
  const validate = ajv.compile(schema);
  compiled.set(tag, validate);
  return validate;
}

/**
 * The run record `value` is, with unknown keys deleted from it in place (as from freshly parsed
 * JSON, which the caller keeps only through the result), or undefined when the validator refuses
 * it: then parse it with `RunRecordSchema` for the error.
 */
export function checkedRun(value: unknown): RunRecord | undefined {
  if (!isObject(value)) return undefined;
  const validate = validatorFor(value[DISCRIMINATOR]);
  return validate?.(value) ? (value as unknown as RunRecord) : undefined;
}
