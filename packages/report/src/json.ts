// report.json in canonical form: key order follows the schema (maps sorted), so equal results give equal bytes.
import type { RunResult } from "@parallax/protocol";
import { REPORT_JSON_SCHEMA } from "./schema.js";

type Schema = { readonly $ref?: string; readonly properties?: Record<string, Schema>; readonly additionalProperties?: Schema | boolean; readonly items?: Schema };

const DEFS = REPORT_JSON_SCHEMA.$defs as unknown as Record<string, Schema>;

function resolve(schema: Schema | undefined): Schema | undefined {
  const ref = schema?.$ref;
  if (ref === undefined) return schema;
  return DEFS[ref.slice("#/$defs/".length)];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A copy with object keys reordered: declared properties in schema order, then any others sorted. Free-form values are kept as they are. */
function canonical(value: unknown, schemaIn: Schema | undefined): unknown {
  const schema = resolve(schemaIn);
  if (schema === undefined) return value;
  if (Array.isArray(value)) return value.map((item) => canonical(item, schema.items));
  if (!isPlainObject(value)) return value;
  const declared = schema.properties ?? {};
  const rest = typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(declared)) {
    if (key in value) out[key] = canonical(value[key], declared[key]);
  }
  for (const key of Object.keys(value).filter((k) => !(k in declared)).sort()) out[key] = canonical(value[key], rest);
  return out;
}

/** The canonical report.json: schema key order, 2-space indent, trailing newline. */
export function renderJson(result: RunResult): string {
  return `${JSON.stringify(canonical(result, REPORT_JSON_SCHEMA as unknown as Schema), null, 2)}\n`;
}
